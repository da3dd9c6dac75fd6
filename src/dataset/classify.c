/* Class guesses for one-shots: words in their names, General MIDI drum keys, and a look at the sound
 * (long and dark -> boom). A guess, used for counts and balance, never as ground truth. */
#include "ds_internal.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

typedef struct {
    const char *word; /* matched at the start of a word ("tom" matches "tom01", not "bottom") */
    const char *cls;
} rule;

/* Names of drums and percussion (kits, SoundFont samples, sample packs). First match wins: specific
 * words before general ones. */
static const rule g_rules[] = {
    {"sidestick", "snare"}, {"side", "snare"},   {"rimshot", "snare"},   {"rim", "snare"},
    {"kick", "kick"},       {"kik", "kick"},     {"bassdrum", "kick"},   {"bd", "kick"},
    {"bombo", "kick"},      {"snare", "snare"},  {"sn", "snare"},        {"snr", "snare"},        {"sd", "snare"},
    {"clap", "clap"},       {"handclap", "clap"}, {"snap", "clap"},      {"floortom", "tom"},
    {"tom", "tom"},         {"hihat", "hat"},    {"hat", "hat"},         {"hh", "hat"},
    {"crash", "cymbal"},    {"ride", "cymbal"},  {"splash", "cymbal"},   {"china", "cymbal"},
    {"cymbal", "cymbal"},   {"cym", "cymbal"},   {"cowbell", "metal"},   {"bell", "metal"},
    {"triangle", "metal"},  {"agogo", "metal"},  {"anvil", "metal"},     {"metal", "metal"},
    {"chime", "metal"},     {"gong", "metal"},   {"dong", "metal"},      {"clang", "metal"},
    {"sword", "metal"},     {"steel", "metal"},  {"paiste", "cymbal"},   {"wood", "wood"},
    {"block", "wood"},      {"clave", "wood"},   {"clav", "wood"},       {"stick", "wood"},
    {"castanet", "wood"},   {"log", "wood"},     {"knock", "wood"},      {"door", "wood"},
    {"stone", "stone"},     {"rock", "stone"},   {"mining", "stone"},    {"conga", "hand"},
    {"bongo", "hand"},      {"tabla", "hand"},   {"timbal", "hand"},     {"djembe", "hand"},
    {"surdo", "hand"},      {"cajon", "hand"},   {"darbuka", "hand"},    {"udu", "hand"},
    {"shaker", "shaker"},   {"shake", "shaker"}, {"maraca", "shaker"},   {"tambourine", "shaker"},
    {"tamb", "shaker"},     {"cabasa", "shaker"}, {"boom", "boom"},      {"explo", "boom"},
    {"impact", "boom"},     {"cineboom", "boom"}, {"thunder", "boom"},   {"timpani", "boom"},
    {"taiko", "boom"},      {"timp", "boom"},      {"zap", "fx"},       {"blip", "fx"},         {"glitch", "fx"},
    {"fx", "fx"},           {"laser", "fx"},     {"beep", "fx"},         {"ping", "fx"},
    {"twang", "fx"},        {"kick", "kick"},    {"bass", "kick"},       {"perc", "perc"},
    {"hit", "perc"},        {"drum", "perc"},
};

/* Names of game sound effects (sources with a default class, ds_source.cls): explosion, crash (things
 * breaking or collapsing), hit (weapon and body impacts), whoosh (a swing or throw that ends in a hit),
 * magic (spells, energy weapons), and the materials. A table of its own, so drum names keep their
 * classes ("VariBreaks" is no crash, "HardElectro" no spell) and the drum words hidden in effect names
 * do not win ("hatchet" is no hat, "rocket" no rock, "dragon_rider" no ride cymbal). */
static const rule g_fx_rules[] = {
    {"richet", "hit"},        {"bounce", "hit"},        {"bldfall", "crash"},     {"water-blast", "magic"},
    {"dragonstick", "hit"},   {"thunderstick", "hit"},  {"hatchet", "hit"},       {"dragon", "magic"},
    {"metal", "metal"},       {"sword", "metal"},       {"steel", "metal"},       {"anvil", "metal"},
    {"clang", "metal"},       {"bell", "metal"},        {"chime", "metal"},       {"gong", "metal"},
    {"shell", "metal"},       {"wood", "wood"},         {"door", "wood"},         {"stick", "wood"},
    {"knock", "wood"},        {"stone", "stone"},       {"mining", "stone"},      {"explo", "explosion"},   {"expl", "explosion"},    {"bomb", "explosion"},
    {"grenade", "explosion"}, {"mortar", "explosion"},  {"rocket", "explosion"},  {"rockl", "explosion"},
    {"blast", "explosion"},   {"airmine", "explosion"}, {"mineimpact", "explosion"}, {"detonat", "explosion"},
    {"kam", "explosion"},     {"collapse", "crash"},    {"debris", "crash"},      {"destruction", "crash"},
    {"break", "crash"},       {"shatter", "crash"},     {"glass", "crash"},       {"smash", "crash"},
    {"crash", "crash"},       {"cave", "crash"},        {"rumble", "crash"},      {"treeexpire", "crash"},
    {"building", "crash"},    {"magic", "magic"},       {"spell", "magic"},
    {"holy", "magic"},        {"faerie", "magic"},      {"lightning", "magic"},   {"lg", "magic"},
    {"plasma", "magic"},      {"plasm", "magic"},       {"laser", "magic"},       {"lsr", "magic"},
    {"taser", "magic"},       {"psi", "magic"},         {"portal", "magic"},      {"sinegun", "magic"},
    {"gauss", "magic"},       {"bfg", "magic"},         {"railg", "magic"},       {"obelisk", "magic"},
    {"petrified", "magic"},   {"frozen", "magic"},      {"ink", "magic"},         {"mud", "magic"},
    {"zap", "magic"},         {"swoosh", "whoosh"},     {"swish", "whoosh"},      {"whoosh", "whoosh"},
    {"whip", "whoosh"},       {"throw", "whoosh"},      {"dagger", "whoosh"},     {"boom", "boom"},
    {"thunder", "boom"},      {"impact", "hit"},        {"hit", "hit"},           {"punch", "hit"},
    {"fist", "hit"},          {"slam", "hit"},          {"thud", "hit"},          {"bump", "hit"},
    {"hammer", "hit"},
};

static const char *match_rules(const rule *rules, size_t n_rules, const char *text)
{
    char low[512];
    size_t n = 0;
    for (size_t i = 0; text[i] && n < sizeof low - 2; i++) {
        /* CamelCase starts a word: "PearlKick" reads as "pearl kick" */
        if (i && isupper((unsigned char)text[i]) && islower((unsigned char)text[i - 1])) low[n++] = ' ';
        low[n++] = (char)tolower((unsigned char)text[i]);
    }
    low[n] = '\0';
    for (size_t r = 0; r < n_rules; r++) {
        size_t wl = strlen(rules[r].word);
        for (const char *p = strstr(low, rules[r].word); p; p = strstr(p + 1, rules[r].word)) {
            /* A word starts after a non-letter; two-letter words (bd, sn, hh...) must also end there. */
            int starts = p == low || !isalpha((unsigned char)p[-1]);
            int ends = wl > 2 || !isalpha((unsigned char)p[wl]);
            if (starts && ends) return rules[r].cls;
        }
    }
    return NULL;
}

const char *ds_class_from_text(const char *text) { return match_rules(g_rules, sizeof g_rules / sizeof g_rules[0], text); }

const char *ds_class_from_effect_text(const char *text)
{
    return match_rules(g_fx_rules, sizeof g_fx_rules / sizeof g_fx_rules[0], text);
}

const char *ds_class_from_gm_key(int key)
{
    switch (key) {
    case 35: case 36: return "kick";
    case 37: case 38: case 40: return "snare";
    case 39: return "clap";
    case 41: case 43: case 45: case 47: case 48: case 50: return "tom";
    case 42: case 44: case 46: return "hat";
    case 49: case 51: case 52: case 55: case 57: case 59: return "cymbal";
    case 53: case 56: case 67: case 68: case 80: case 81: case 83: case 84: return "metal";
    case 54: case 69: case 70: case 82: return "shaker";
    case 60: case 61: case 62: case 63: case 64: case 65: case 66: case 86: case 87: return "hand";
    case 75: case 76: case 77: case 85: case 31: return "wood";
    case 27: case 28: case 29: case 30: case 32: case 33: case 34: return "fx";
    case 58: return "perc";
    default: return NULL; /* whistles, guiro, cuica: not impacts */
    }
}

const char *ds_class_refine(const char *cls, const float *x, long n, int rate)
{
    if (n < (long)(1.5 * rate)) return cls ? cls : "perc";
    if (cls && strcmp(cls, "kick") && strcmp(cls, "perc") && strcmp(cls, "fx") && strcmp(cls, "hit")) return cls;
    /* Share of the energy below ~250 Hz (one-pole low-pass): more than 70 % is a dark sound. */
    double a = exp(-2.0 * M_PI * 250.0 / rate), lp = 0.0, e_lp = 0.0, e = 0.0;
    for (long i = 0; i < n; i++) {
        lp = (1.0 - a) * x[i] + a * lp;
        e_lp += lp * lp;
        e += (double)x[i] * x[i];
    }
    if (e > 0.0 && e_lp / e > 0.7) return "boom";
    return cls ? cls : "perc";
}

int ds_not_impact(const char *text)
{
    static const char *const words[] = {"whistle", "guiro", "cuica", "loop", "applause", "crowd", "breath", "choir"};
    char low[512];
    size_t n = 0;
    for (; text[n] && n < sizeof low - 1; n++) low[n] = (char)tolower((unsigned char)text[n]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(low, words[i])) return 1;
    return 0;
}
