/* The Debian packages the data set is made from, what is taken from each, and their licences
 * (read from /usr/share/doc/<package>/copyright; docs/data.md repeats them). */
#include "ds_sources.h"

#include <string.h>

/* Hydrogen kits: licence per kit folder (copyright file, "Files: drumkits/<kit>.h2drumkit"). */
static const char *hydrogen_licence(const char *rel)
{
    static const struct {
        const char *kit, *lic;
    } t[] = {
        {"ElectricEmpireKit/", "GPL-2+"},          {"HardElectro1/", "GPL-2+"},
        {"VariBreaks/", "GPL-2+"},                 {"Millo-Drums_v.1/", "GPL-2"},
        {"Millo_MultiLayered2/", "GPL-2"},         {"Millo_MultiLayered3/", "GPL-2"},
        {"ColomboAcousticDrumkit/", "GPL-2+ with composition exception"},
        {"circAfrique v4/", "CC-BY-SA-3.0"},       {"BJA_Pacific/", "CC-BY-SA-3.0-us"},
        {"Gimme A Hand 1.0/", "GPL-2"},            {"The Black Pearl 1.0/", "GPL-2"},
        {"rumpf_kit_z01_h2/", "CC-BY-3.0"},        {"Audiophob/", "CC0-1.0"},
        {"ForzeeStereo/", "GPL-2"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strncmp(rel, t[i].kit, strlen(t[i].kit))) return t[i].lic;
    return "GPL-2+"; /* the package default */
}

/* Sonic Pi: the copyright file lists most samples as CC0 one by one; the samples README says all of
 * them are CC0 (freesound.org, public domain dedication). The few unlisted ones keep the package's
 * default (MIT) to be safe. */
static const char *sonicpi_licence(const char *rel)
{
    static const char *const unlisted[] = {"ambi_sauna", "bd_mehackit", "glitch_", "loop_", "mehackit_",
                                           "perc_bell2", "perc_door", "perc_impact", "perc_swoosh",
                                           "sn_generic"};
    for (size_t i = 0; i < sizeof unlisted / sizeof unlisted[0]; i++)
        if (!strncmp(rel, unlisted[i], strlen(unlisted[i]))) return "MIT";
    return "CC0-1.0";
}

/* UFO:AI: the copyright file names a licence per file; the weapon, impact and glass/metal break
 * sounds are CC-BY-SA-3.0 except these. */
static const char *ufoai_licence(const char *rel)
{
    static const struct {
        const char *file, *lic;
    } t[] = {
        {"sound/misc/breakwood02", "public-domain"}, {"sound/misc/breakwood03", "public-domain"},
        {"sound/misc/breakwood04", "public-domain"}, {"sound/doors/creak_low_short", "GPL-2+"},
        {"sound/doors/open_close", "GPL-2+"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strncmp(rel, t[i].file, strlen(t[i].file))) return t[i].lic;
    return "CC-BY-SA-3.0";
}

/* GM percussive programs (bank 0, 0-based): timpani, tinkle bell, agogo, steel drums, woodblock,
 * taiko drum, melodic tom, synth drum, gunshot. */
static const int g_perc_programs[] = {47, 112, 113, 114, 115, 116, 117, 118, 127};

static const ds_source g_sources[] = {
    {"hydrogen", "hydrogen-drumkits", DS_KIND_HYDROGEN, "/usr/share/hydrogen/data/drumkits", "GPL-2+", NULL,
     /* guitar strums are not impacts */
     "belofilms_GuitarStrums/", hydrogen_licence, NULL, 0},
    {"sonic-pi", "sonic-pi-samples", DS_KIND_FILES, "/usr/share/sonic-pi/samples", "CC0-1.0",
     "bd_|drum_|elec_|glitch_perc|perc_|sn_|tabla_|misc_cineboom",
     /* rolls and swooshes are not one-shots; beeps and blips are tones */
     "drum_roll|perc_swoosh|perc_swash|elec_beep|elec_blip|elec_blup|elec_chime|elec_twang|elec_twip|elec_plip",
     sonicpi_licence, NULL, 0},
    {"lmms", "lmms-common", DS_KIND_FILES, "/usr/share/lmms/samples", "GPL-2+",
     "drums/|effects/explode|misc/hit|misc/dong|misc/metalish|misc/snaph|misc/metronome", NULL, NULL, NULL, 0},
    {"0ad", "0ad-data", DS_KIND_ZIP, "/usr/share/games/0ad/mods/public/public.zip", "CC-BY-SA-3.0",
     "audio/attack/impact/|audio/attack/destruction/|audio/attack/siege/ballist_attack|audio/attack/siege/"
     "ram_attack.|audio/actor/gate/stonegate_close|audio/attack/weapon/|audio/resource/mining/|"
     "lumber_treeexpire|audio/resource/construction/con_stone",
     /* arrows in flight are whooshes without a hit; a bow's release is a string's twang */
     "arrowfly|bow_attack", NULL, NULL, 0, "hit"},
    {"avl-drums", "avldrums.lv2-soundfont", DS_KIND_SF2, "/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2",
     "CC-BY-SA-3.0", NULL, NULL, NULL, NULL, -1},
    {"avl-drums", "avldrums.lv2-soundfont", DS_KIND_SF2, "/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2",
     "CC-BY-SA-3.0", NULL, NULL, NULL, NULL, -1},
    {"fluid-gm", "fluid-soundfont-gm", DS_KIND_SF2, "/usr/share/sounds/sf2/FluidR3_GM.sf2", "MIT", NULL, NULL, NULL,
     g_perc_programs, (int)(sizeof g_perc_programs / sizeof g_perc_programs[0])},
    {"musescore", "musescore-general-soundfont-small", DS_KIND_SF2,
     "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3", "MIT", NULL, NULL, NULL, g_perc_programs,
     (int)(sizeof g_perc_programs / sizeof g_perc_programs[0])},
    /* Game sound effects: one-shot weapon, impact, explosion, destruction and magic sounds. Left out
     * everywhere: voices, music, loops (hums, engines, flights, ambiences), footsteps, UI sounds. A sound
     * whose name says nothing more is a "hit". Licences from each package's copyright file: ufoai per
     * file (above); openarena, warzone2100 "Files: *" GPL-2+, wesnoth GPL-2+ (its licence statement);
     * megaglest "Files: *" CC-BY-SA-3.0; redeclipse "Files: *" CC-BY-SA-3.0+ (no entry for
     * data/sounds/sfx or weapons; the sounds' readme says the same); hedgewars GFDL-1.3 (its entry for
     * the Data/Sounds folder; the CC-BY-SA droplets are not taken). */
    {"ufoai", "ufoai-sound", DS_KIND_ZIP, "/usr/share/games/ufoai/base/0snd.pk3", "CC-BY-SA-3.0",
     "sound/impact/|sound/misc/break|sound/seq/sword-hit|sound/doors/door|sound/weapons/",
     /* bursts of many shots (-5x ... -150x) are rattles, reloads and gear are clicks, flamers hiss;
      * of the doors only the closing slams */
     "x.ogg|reload-|grenade-pin|irgoggles|medikit|flamer-|plasma-hoverheavy|melee-throw|-open",
     ufoai_licence, NULL, 0, "hit"},
    {"openarena", "openarena-data", DS_KIND_ZIP, "/usr/share/games/openarena/baseoa/pak0.pk3", "GPL-2+",
     "sound/weapons/|sound/movers/doors/dr1_end|sound/movers/plats/pt1_end|sound/world/clack",
     /* hums, flights, spins and the empty click */
     "_hum|hum.wav|fly.wav|wvulwind|weapon_hover|noammo|change.wav|fstrun|buletby|machgf|vulcanf", NULL, NULL, 0,
     "hit"},
    {"openarena", "openarena-data", DS_KIND_ZIP, "/usr/share/games/openarena/baseoa/pak5-TA.pk3", "GPL-2+",
     "sound/items/kam_|sound/items/obelisk_hit|sound/weapons/", "wstbtick|wstbactv|wnalfire", NULL, NULL, 0, "hit"},
    {"openarena", "openarena-data", DS_KIND_ZIP, "/usr/share/games/openarena/baseoa/pak6-patch085.pk3", "GPL-2+",
     "sound/le/", NULL, NULL, NULL, 0, "hit"},
    {"warzone2100", "warzone2100-data", DS_KIND_ZIP, "/usr/share/games/warzone2100/base.wz", "GPL-2+",
     "audio/sfx/explons/|audio/sfx/weapons/",
     /* building tools, machine-gun bursts, the flamer and lasers are loops or rattles */
     "build|bldstart|bldloop|weld-|mgbar|mgtower|mgheavy|asltmg|flmthrow|rapdcan|bemlsr|rotlsr|hwtzflgt|squish|"
     "splash",
     NULL, NULL, 0, "hit"},
    {"wesnoth", "wesnoth-1.16-data", DS_KIND_FILES, "/usr/share/games/wesnoth/1.16/data/core/sounds", "GPL-2+",
     "axe.|bow.|bow-puny.|bow-puny-fire.|cave-in|claws|club.|crossbow.|crossbow-fire.|dagger-swish|dart|"
     "dragonstick.|explosion|fist|flail.|flame-big.|gunshot|hatchet.|ink.|knife.|lightning.|mace.|magic-|"
     "magicmissile|melee-fire|mud-fist.|mud-glob.|pincers|rumble|sling.|sling-big.|spear.|staff.|sword-1|"
     "throwing-knife.|thunderstick.|torch.|water-blast|wose-attack|petrified",
     /* misses are swings without a hit */
     "miss", NULL, NULL, 0, "hit"},
    {"megaglest", "megaglest-data", DS_KIND_FILES, "/usr/share/games/megaglest/techs/megapack", "CC-BY-SA-3.0",
     "_attack|_hit|hit.|attack.|building_fall|anvil|firearrowhit|knife|throw",
     /* unit voices (acknowledge, select, die), walking, flying, music; attacks that are a shout or an
      * animal's cry (seen in their spectrograms: harmonic sweeps), a bow's twang; the berserk units
      * reuse their base units' sounds, some of them time-reversed */
     "_ack|select|_die|walk|fly|music|stand|summon|heal|_build|_harvest|_mine|_prod|work_|guard_attack|"
     "horseman_attack|cudgel_attack|eagle_attack|pig_attack|bull_attack|snake_attack|valkyrie_attack|"
     "archer_attack|_berserk/",
     NULL, NULL, 0, "hit"},
    {"redeclipse", "redeclipse-data", DS_KIND_FILES, "/usr/share/games/redeclipse/data/sounds", "CC-BY-SA-3.0+",
     "sfx/bounce|sfx/debris|sfx/shell|sfx/splosh|weapons/explode|weapons/thud|weapons/thwack|"
     "weapons/ricochet|weapons/tink|weapons/bzap|weapons/singe|/explode|/primary|/secondary",
     /* the flamer is a burst of fire, the sword's moves are hums; sfx/damage* are tonal hit markers */
     "flamer/|sword/|zapper/primary4", NULL, NULL, 0, "hit"},
    {"hedgewars", "hedgewars-data", DS_KIND_FILES, "/usr/share/games/hedgewars/Data/Sounds", "GFDL-1.3",
     "airmine_impact|baseballbat|bump|explosion|firepunch_hit|frozen_hog_impact|graveimpact|grenadeimpact|"
     "gun.|hammer|knife_impact|melonimpact|mineimpact|mortar|shotgunfire|whipcrack|sinegun|portalshot",
     /* voices are in voices/; guns that rattle and the pick hammer are loops */
     "voices/|drillgun|landgun|minigun|pickhammer", NULL, NULL, 0, "hit"},
};

const ds_source *ds_sources(int *n)
{
    *n = (int)(sizeof g_sources / sizeof g_sources[0]);
    return g_sources;
}

const char *ds_source_packages(void)
{
    return "hydrogen-drumkits sonic-pi-samples lmms-common 0ad-data avldrums.lv2-soundfont fluid-soundfont-gm "
           "musescore-general-soundfont-small ufoai-sound openarena-data warzone2100-data wesnoth-1.16-data megaglest-data "
           "redeclipse-data hedgewars-data";
}
