/* For a kernel file built once per path (Makefile: KERNEL_SRC). The Makefile passes NR_KPATH (a
 * NR_CPU_* number) and NR_KSUFFIX (its name) with that path's instruction set; without them the file is
 * the generic build, which also holds the file's path-independent code (NR_KBASE) and its dispatch table.
 *
 *   void NR_K(nr_foo)(float *x, size_t n) { ... }      names the kernel nr_foo_avx2 etc.
 *   #if NR_KBASE
 *   #define FOO_KERNELS(X) X(void, nr_foo, (float *x, size_t n), (x, n))
 *   NR_DISPATCH(FOO_KERNELS)                            defines nr_foo(), calling the table's nr_foo_<path>
 *   #endif
 *
 * The table starts on the generic kernels and is filled at start by a constructor (core/cpu.h). */
#ifndef NR_CORE_KERNEL_PATH_H
#define NR_CORE_KERNEL_PATH_H

#include "core/cpu.h"

#define NR_KPATH_GENERIC 0 /* = NR_CPU_GENERIC etc.: usable in #if */
#define NR_KPATH_NEON 1
#define NR_KPATH_AVX2 2
#define NR_KPATH_AVX512 3

#ifndef NR_KPATH
#define NR_KPATH NR_KPATH_GENERIC
#define NR_KSUFFIX generic
#endif
#define NR_KBASE (NR_KPATH == NR_KPATH_GENERIC)

#define NR_KCAT_(a, b) a##_##b
#define NR_KCAT(a, b) NR_KCAT_(a, b)
#define NR_K(name) NR_KCAT(name, NR_KSUFFIX)

/* The suffixed kernels of one entry, for every path this architecture builds. */
#define NR_KD_DECL1(ret, name, params, sfx) ret name##_##sfx params;
#if defined(__x86_64__)
#define NR_KD_DECL(ret, name, params, args)                                                            \
    NR_KD_DECL1(ret, name, params, generic) NR_KD_DECL1(ret, name, params, avx2)                        \
        NR_KD_DECL1(ret, name, params, avx512)
#elif defined(__aarch64__)
#define NR_KD_DECL(ret, name, params, args)                                                            \
    NR_KD_DECL1(ret, name, params, generic) NR_KD_DECL1(ret, name, params, neon)
#else
#define NR_KD_DECL(ret, name, params, args) NR_KD_DECL1(ret, name, params, generic)
#endif
#define NR_KD_FIELD(ret, name, params, args) ret(*name) params;
#define NR_KD_INIT(ret, name, params, args) name##_generic,
#define NR_KD_SET_generic(ret, name, params, args) nr_kd.name = name##_generic;
#define NR_KD_SET_avx2(ret, name, params, args) nr_kd.name = name##_avx2;
#define NR_KD_SET_avx512(ret, name, params, args) nr_kd.name = name##_avx512;
#define NR_KD_SET_neon(ret, name, params, args) nr_kd.name = name##_neon;
#define NR_KD_WRAP(ret, name, params, args)                                                            \
    ret name params { return nr_kd.name args; }

#if defined(__x86_64__)
#define NR_KD_CASES(LIST)                                                                              \
    case NR_CPU_AVX2: LIST(NR_KD_SET_avx2) break;                                                      \
    case NR_CPU_AVX512: LIST(NR_KD_SET_avx512) break;
#elif defined(__aarch64__)
#define NR_KD_CASES(LIST)                                                                              \
    case NR_CPU_NEON: LIST(NR_KD_SET_neon) break;
#else
#define NR_KD_CASES(LIST)
#endif

/* One table per file: LIST(X) calls X(return type, name, (parameters), (arguments)) per entry. */
#define NR_DISPATCH(LIST)                                                                              \
    LIST(NR_KD_DECL)                                                                                   \
    static struct {                                                                                    \
        LIST(NR_KD_FIELD)                                                                              \
    } nr_kd = {LIST(NR_KD_INIT)};                                                                      \
    static void nr_kd_set(int path)                                                                    \
    {                                                                                                  \
        switch (path) {                                                                                \
            NR_KD_CASES(LIST)                                                                          \
        default: LIST(NR_KD_SET_generic) break;                                                        \
        }                                                                                              \
    }                                                                                                  \
    __attribute__((constructor)) static void nr_kd_register(void) { nr_cpu_register(nr_kd_set); }    \
    LIST(NR_KD_WRAP)

#endif
