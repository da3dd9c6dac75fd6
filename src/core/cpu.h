/* Kernel paths chosen at run time. The library is built for the baseline of its architecture
 * (x86-64, or armv8-a where NEON is baseline); the hot kernel files are built once more per path with
 * that path's instruction set (Makefile: KERNEL_SRC) and a name suffix. At start each kernel family
 * registers a table of function pointers here, filled with the best path the CPU reports, or with the
 * lower one named by the environment variable NR_CPU (generic, neon, avx2, avx512). Inner loops never
 * test the path: a call goes through its family's table, set once. */
#ifndef NR_CORE_CPU_H
#define NR_CORE_CPU_H

/* The paths, lowest first. NR_KPATH (kernel_path.h) uses the same numbers. */
enum {
    NR_CPU_GENERIC = 0, /* plain C with GCC/Clang generic vectors, baseline instructions */
    NR_CPU_NEON = 1,    /* aarch64 Advanced SIMD intrinsics */
    NR_CPU_AVX2 = 2,    /* x86-64-v3: AVX2 + FMA, 8-lane kernels for 16 registers */
    NR_CPU_AVX512 = 3,  /* x86-64-v4: AVX-512 F/BW/DQ/VL, 16-lane kernels for 32 registers */
    NR_CPU_N_PATHS = 4
};

/* "generic", "neon", "avx2", "avx512"; "?" out of range. */
const char *nr_cpu_path_name(int path);
/* One line on what the path needs, e.g. "x86-64-v3: AVX2 + FMA". */
const char *nr_cpu_path_needs(int path);
/* This build holds kernels for the path (x86-64: generic, avx2, avx512; aarch64: generic, neon). */
int nr_cpu_path_built(int path);
/* Built, and this CPU (and its OS) can run it. */
int nr_cpu_path_supported(int path);
/* The highest supported path. */
int nr_cpu_best_path(void);
/* The path in use. The first call chooses it: NR_CPU when set and usable, else the best. */
int nr_cpu_path(void);
/* Why NR_CPU was refused (unknown name, or a path this CPU or build lacks); NULL when it was not.
 * The path in use is then the best one: programs should print this and stop. */
const char *nr_cpu_error(void);
/* Switch every kernel family to a supported path (tests, bench); returns 0, or -1 and changes nothing.
 * Not while another thread runs kernels. */
int nr_cpu_use(int path);

/* A kernel family's setter, called with the path now and on every nr_cpu_use. At most
 * NR_CPU_MAX_FAMILIES families; called from constructors (kernel_path.h's NR_DISPATCH). */
#define NR_CPU_MAX_FAMILIES 32
typedef void (*nr_cpu_setter)(int path);
void nr_cpu_register(nr_cpu_setter set);

#endif
