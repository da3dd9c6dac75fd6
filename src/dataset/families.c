/* The families beyond impacts: plucked and struck pitched notes, sustained textures. Each is a table of
 * sources like src/dataset/sources.c's: General MIDI programs of the Debian SoundFonts rendered note by
 * note through libfluidsynth (src/dataset/fluid_render.c), and, for textures, recorded ambiences.
 * Licences from /usr/share/doc/<package>/copyright; docs/data.md repeats them. */
#include "ds_sources.h"

#include <string.h>

/* ---- plucks: guitars, basses, harp, pizzicato, koto, kalimba, mallets, bells, music box, keyboards ----
 * Keys every PLUCK_STEP semitones over each program's playable range, at three velocities; note-off
 * after PLUCK_HOLD_S (most have decayed by then; a piano's note is damped as a player would), then
 * rendered until the release is 60 dB down. */
#define PLUCK_STEP 4
#define PLUCK_HOLD_S 2.5
#define PLUCK_MAX_S 6.0
#define FLUID_SILENCE_DB (-60.0)

static const ds_fluid_prog g_pluck_progs[] = {
    {0, 24, 100, "piano"},       {4, 28, 100, "piano"},    /* acoustic grand, electric piano (tine) */
    {6, 29, 89, "harpsichord"},  {7, 36, 96, "clav"},
    {8, 60, 108, "bell"},        {9, 72, 108, "bell"},     /* celesta, glockenspiel */
    {14, 60, 77, "bell"},                                  /* tubular bells */
    {10, 60, 96, "musicbox"},
    {11, 53, 89, "mallet"},      {12, 45, 96, "mallet"},   /* vibraphone, marimba */
    {13, 65, 108, "mallet"},                               /* xylophone */
    {15, 48, 96, "dulcimer"},
    {24, 40, 84, "guitar"},      {25, 40, 84, "guitar"},   /* nylon, steel */
    {26, 40, 86, "guitar"},      {27, 40, 86, "guitar"},   /* jazz, clean electric */
    {28, 40, 84, "guitar"},                                /* muted */
    {32, 28, 67, "bass"},        {33, 28, 67, "bass"},     /* acoustic, finger */
    {34, 28, 67, "bass"},        {36, 28, 67, "bass"},     /* picked, slap */
    {45, 28, 96, "pizzicato"},   {46, 24, 103, "harp"},
    {104, 48, 84, "sitar"},      {105, 48, 84, "banjo"},   /* banjo and shamisen: skin-headed lutes */
    {106, 50, 81, "banjo"},
    {107, 48, 96, "koto"},       {108, 48, 96, "kalimba"},
};
static const int g_pluck_vel[] = {50, 85, 120};
static const ds_fluid_plan g_pluck_plan = {g_pluck_progs, (int)(sizeof g_pluck_progs / sizeof g_pluck_progs[0]),
                                           PLUCK_STEP, g_pluck_vel, (int)(sizeof g_pluck_vel / sizeof g_pluck_vel[0]),
                                           PLUCK_HOLD_S, 0.0, PLUCK_MAX_S, FLUID_SILENCE_DB};

/* ---- textures: bowed, sung and blown sustained notes, pads, synth effects, noises ----
 * Held TEXTURE_HOLD_S + 0..TEXTURE_SPREAD_S (4..7 s, by key and program), then released. */
#define TEXTURE_STEP 6
#define TEXTURE_HOLD_S 4.0
#define TEXTURE_SPREAD_S 3.0
#define TEXTURE_MAX_S 10.0

static const ds_fluid_prog g_texture_progs[] = {
    {40, 55, 96, "strings"},   {41, 48, 84, "strings"},   /* violin, viola */
    {42, 36, 76, "strings"},   {43, 28, 60, "strings"},   /* cello, contrabass */
    {44, 36, 96, "strings"},   {48, 36, 96, "strings"},   /* tremolo, string ensemble */
    {49, 36, 96, "strings"},                              /* slow strings */
    {50, 36, 96, "synthstrings"}, {51, 36, 96, "synthstrings"},
    {52, 48, 79, "choir"},     {53, 48, 79, "choir"},     /* aahs, oohs */
    {54, 48, 84, "choir"},                                /* synth voice */
    {16, 36, 96, "organ"},     {19, 24, 96, "organ"},     /* drawbar, church organ */
    {20, 36, 96, "organ"},     {21, 41, 89, "organ"},     /* reed organ, accordion */
    {60, 41, 77, "brass"},     {61, 36, 84, "brass"},     /* french horn, brass section */
    {62, 36, 84, "brass"},                                /* synth brass */
    {22, 48, 84, "reed"},      {65, 49, 81, "reed"},      /* harmonica, alto sax */
    {68, 58, 91, "reed"},      {70, 34, 72, "reed"},      /* oboe, bassoon */
    {71, 50, 91, "reed"},                                 /* clarinet */
    {73, 60, 96, "flute"},     {75, 60, 96, "flute"},     /* flute, pan flute */
    {76, 60, 84, "flute"},     {77, 55, 84, "flute"},     /* blown bottle, shakuhachi */
    {79, 60, 84, "flute"},                                /* ocarina */
    {88, 36, 96, "pad"},       {89, 36, 96, "pad"},       /* new age, warm */
    {90, 36, 96, "pad"},       {91, 36, 96, "pad"},       /* polysynth, choir pad */
    {92, 36, 96, "pad"},       {93, 36, 96, "pad"},       /* bowed, metallic */
    {94, 36, 96, "pad"},       {95, 36, 96, "pad"},       /* halo, sweep */
    {96, 36, 96, "fx"},        {97, 36, 96, "fx"},        /* rain, soundtrack */
    {99, 36, 96, "fx"},        {100, 36, 96, "fx"},       /* atmosphere, brightness */
    {101, 36, 96, "fx"},       {102, 36, 96, "fx"},       /* goblins, echoes */
    {103, 36, 96, "fx"},                                  /* sci-fi */
    {121, 48, 72, "noise"},    {122, 36, 84, "noise"},    /* breath noise, seashore */
};
static const int g_texture_vel[] = {70, 115};
static const ds_fluid_plan g_texture_plan = {
    g_texture_progs, (int)(sizeof g_texture_progs / sizeof g_texture_progs[0]), TEXTURE_STEP, g_texture_vel,
    (int)(sizeof g_texture_vel / sizeof g_texture_vel[0]), TEXTURE_HOLD_S, TEXTURE_SPREAD_S, TEXTURE_MAX_S,
    FLUID_SILENCE_DB};

/* Sonic Pi: the ambi_ samples and the vinyl hiss; CC0 but for ambi_sauna (not in the copyright file:
 * the package default, MIT). */
static const char *sonicpi_ambi_licence(const char *rel)
{
    return strstr(rel, "ambi_sauna") ? "MIT" : "CC0-1.0";
}

/* The General MIDI SoundFonts Debian packages, each played through a plan. */
#define DS_SOUNDFONTS(plan)                                                                                    \
    {"fluid-gm", "fluid-soundfont-gm", DS_KIND_FLUID, "/usr/share/sounds/sf2/FluidR3_GM.sf2", "MIT", NULL, NULL, \
     NULL, NULL, 0, NULL, &(plan)},                                                                           \
    {"musescore", "musescore-general-soundfont-small", DS_KIND_FLUID,                                          \
     "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3", "MIT", NULL, NULL, NULL, NULL, 0, NULL, &(plan)},     \
    {"timgm6mb", "timgm6mb-soundfont", DS_KIND_FLUID, "/usr/share/sounds/sf2/TimGM6mb.sf2", "GPL-2", NULL, NULL, \
     NULL, NULL, 0, NULL, &(plan)}

static const ds_source g_plucks[] = {DS_SOUNDFONTS(g_pluck_plan)};

static const ds_source g_textures[] = {
    DS_SOUNDFONTS(g_texture_plan),
    /* recorded ambiences, drones, wind and water; longer ones are cut at TEXTURE_MAX_S with a fade */
    {"sonic-pi", "sonic-pi-samples", DS_KIND_FILES, "/usr/share/sonic-pi/samples", "CC0-1.0", "ambi_|vinyl_hiss",
     NULL, sonicpi_ambi_licence, NULL, 0, "ambience"},
    {"0ad", "0ad-data", DS_KIND_ZIP, "/usr/share/games/0ad/mods/public/public.zip", "CC-BY-SA-3.0",
     "audio/ambient/", NULL, NULL, NULL, 0, "ambience"},
    /* tileset day, night and rain loops; not the single animal calls */
    {"megaglest", "megaglest-data", DS_KIND_FILES, "/usr/share/games/megaglest/tilesets", "CC-BY-SA-3.0", "/sounds/",
     "chicken|wolf|owl|rooster|hawk|cow|dog|crow|bird.", NULL, NULL, 0, "ambience"},
    {"redeclipse", "redeclipse-data", DS_KIND_FILES, "/usr/share/games/redeclipse/data/sounds/ambience",
     "CC-BY-SA-3.0+", NULL, "door", NULL, NULL, 0, "ambience"},
    {"wesnoth", "wesnoth-1.16-data", DS_KIND_FILES, "/usr/share/games/wesnoth/1.16/data/core/sounds/ambient",
     "GPL-2+", NULL, "wardrums", NULL, NULL, 0, "ambience"},
};

static const char *const g_family_names[DS_FAMILY_COUNT] = {"impacts", "plucks", "textures"};

int ds_family_parse(const char *name, ds_family *f)
{
    for (int i = 0; i < DS_FAMILY_COUNT; i++)
        if (name && !strcmp(name, g_family_names[i])) {
            *f = (ds_family)i;
            return 1;
        }
    return 0;
}

const char *ds_family_name(ds_family f) { return f >= 0 && f < DS_FAMILY_COUNT ? g_family_names[f] : "?"; }

const ds_source *ds_family_sources(ds_family f, int *n)
{
    switch (f) {
    case DS_FAMILY_PLUCKS: *n = (int)(sizeof g_plucks / sizeof g_plucks[0]); return g_plucks;
    case DS_FAMILY_TEXTURES: *n = (int)(sizeof g_textures / sizeof g_textures[0]); return g_textures;
    default: return ds_sources(n);
    }
}

const char *ds_family_packages(ds_family f)
{
    switch (f) {
    case DS_FAMILY_PLUCKS: return "fluid-soundfont-gm musescore-general-soundfont-small timgm6mb-soundfont";
    case DS_FAMILY_TEXTURES:
        return "fluid-soundfont-gm musescore-general-soundfont-small timgm6mb-soundfont sonic-pi-samples 0ad-data "
               "megaglest-data redeclipse-data wesnoth-1.16-data";
    default: return ds_source_packages();
    }
}

/* Textures: a cut recording fades over TEXTURE_FADE_MS, so its end is no click; their tails stay
 * (the -60 dB tail rule is the impacts'). */
#define PLUCK_MAX_KEPT_S PLUCK_MAX_S
#define TEXTURE_MAX_KEPT_S TEXTURE_MAX_S
#define TEXTURE_FADE_MS 500.0
#define FAMILY_MIN_S 0.2 /* a pluck or a texture shorter than this after trimming is a broken render */

ds_params ds_family_params(ds_family f)
{
    ds_params p = ds_params_default();
    if (f == DS_FAMILY_PLUCKS) {
        p.max_s = PLUCK_MAX_KEPT_S;
        p.min_s = FAMILY_MIN_S;
    } else if (f == DS_FAMILY_TEXTURES) {
        p.max_s = TEXTURE_MAX_KEPT_S;
        p.fade_ms = TEXTURE_FADE_MS;
        p.min_s = FAMILY_MIN_S;
    }
    return p;
}
