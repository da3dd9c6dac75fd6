#include "core/cpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const path_names[NR_CPU_N_PATHS] = {"generic", "neon", "avx2", "avx512"};
static const char *const path_needs[NR_CPU_N_PATHS] = {
    "baseline instructions only", "aarch64 Advanced SIMD (NEON)", "x86-64-v3: AVX2 + FMA",
    "x86-64-v4: AVX-512 F, BW, DQ, VL"};

const char *nr_cpu_path_name(int path) { return path >= 0 && path < NR_CPU_N_PATHS ? path_names[path] : "?"; }
const char *nr_cpu_path_needs(int path) { return path >= 0 && path < NR_CPU_N_PATHS ? path_needs[path] : "?"; }

int nr_cpu_path_built(int path)
{
    switch (path) {
    case NR_CPU_GENERIC: return 1;
#if defined(__x86_64__)
    case NR_CPU_AVX2:
    case NR_CPU_AVX512: return 1;
#elif defined(__aarch64__)
    case NR_CPU_NEON: return 1;
#endif
    default: return 0;
    }
}

int nr_cpu_path_supported(int path)
{
    if (!nr_cpu_path_built(path)) return 0;
#if defined(__x86_64__)
    /* libgcc / compiler-rt check the OS saves the wider registers (XGETBV) before reporting AVX features */
    __builtin_cpu_init();
    if (path == NR_CPU_AVX2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (path == NR_CPU_AVX512)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#endif
    return 1; /* generic; NEON is part of the aarch64 baseline */
}

int nr_cpu_best_path(void)
{
    for (int p = NR_CPU_N_PATHS - 1; p > 0; p--)
        if (nr_cpu_path_supported(p)) return p;
    return NR_CPU_GENERIC;
}

/* Written by the first nr_cpu_path() (constructors run one at a time, before main and threads), then
 * only by nr_cpu_use. */
static int g_path = -1;
static char g_error[256];
static nr_cpu_setter g_setters[NR_CPU_MAX_FAMILIES];
static int g_n_setters;

static int choose(void)
{
    const int best = nr_cpu_best_path();
    const char *want = getenv("NR_CPU");
    if (!want || !*want) return best;
    for (int p = 0; p < NR_CPU_N_PATHS; p++) {
        if (strcmp(want, path_names[p]) != 0) continue;
        if (!nr_cpu_path_built(p)) {
            char built[64] = "";
            for (int q = 0; q < NR_CPU_N_PATHS; q++)
                if (nr_cpu_path_built(q))
                    snprintf(built + strlen(built), sizeof built - strlen(built), "%s%s", built[0] ? ", " : "",
                             path_names[q]);
            snprintf(g_error, sizeof g_error, "NR_CPU=%s: this build has no %s kernels (%s); its paths: %s", want,
                     want, path_needs[p], built);
        }
        else if (!nr_cpu_path_supported(p))
            snprintf(g_error, sizeof g_error, "NR_CPU=%s: this CPU lacks %s (the best path here is %s)", want,
                     path_needs[p], nr_cpu_path_name(best));
        else
            return p;
        return best;
    }
    snprintf(g_error, sizeof g_error, "NR_CPU=%s: unknown kernel path (use generic, neon, avx2 or avx512)", want);
    return best;
}

int nr_cpu_path(void)
{
    if (g_path < 0) g_path = choose();
    return g_path;
}

const char *nr_cpu_error(void)
{
    nr_cpu_path();
    return g_error[0] ? g_error : NULL;
}

int nr_cpu_use(int path)
{
    if (!nr_cpu_path_supported(path)) return -1;
    g_path = path;
    for (int i = 0; i < g_n_setters; i++) g_setters[i](path);
    return 0;
}

void nr_cpu_register(nr_cpu_setter set)
{
    if (g_n_setters < NR_CPU_MAX_FAMILIES) {
        g_setters[g_n_setters++] = set;
    } else { /* a build error, not a user's: the family keeps its generic kernels */
        fprintf(stderr, "neurorack: more than %d kernel families; raise NR_CPU_MAX_FAMILIES\n", NR_CPU_MAX_FAMILIES);
        return;
    }
    set(nr_cpu_path());
}
