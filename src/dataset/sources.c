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
     "ram_attack.|audio/actor/gate/stonegate_close",
     NULL, NULL, NULL, 0},
    {"avl-drums", "avldrums.lv2-soundfont", DS_KIND_SF2, "/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2",
     "CC-BY-SA-3.0", NULL, NULL, NULL, NULL, -1},
    {"avl-drums", "avldrums.lv2-soundfont", DS_KIND_SF2, "/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2",
     "CC-BY-SA-3.0", NULL, NULL, NULL, NULL, -1},
    {"fluid-gm", "fluid-soundfont-gm", DS_KIND_SF2, "/usr/share/sounds/sf2/FluidR3_GM.sf2", "MIT", NULL, NULL, NULL,
     g_perc_programs, (int)(sizeof g_perc_programs / sizeof g_perc_programs[0])},
    {"musescore", "musescore-general-soundfont-small", DS_KIND_SF2,
     "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3", "MIT", NULL, NULL, NULL, g_perc_programs,
     (int)(sizeof g_perc_programs / sizeof g_perc_programs[0])},
};

const ds_source *ds_sources(int *n)
{
    *n = (int)(sizeof g_sources / sizeof g_sources[0]);
    return g_sources;
}

const char *ds_source_packages(void)
{
    return "hydrogen-drumkits sonic-pi-samples lmms-common 0ad-data avldrums.lv2-soundfont fluid-soundfont-gm "
           "musescore-general-soundfont-small";
}
