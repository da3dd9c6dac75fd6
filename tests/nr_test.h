/* A small test harness: each tests/test_*.c is one program that ends with the line
 * "N passed, N failed, N skipped" (counting tests, not checks). Run from the repository root. */
#ifndef NR_TEST_H
#define NR_TEST_H

#include <stddef.h>

void nt_begin(const char *name);
void nt_finish(void);
void nt_fail_at(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Mark the current test skipped, with the reason printed (e.g. "../shared absent"). */
void nt_skip(const char *why);
/* Print the summary line; returns the process exit code (1 if anything failed). */
int nt_end(void);
/* Did the current test fail so far? */
int nt_failed(void);

/* 1 in a build under AddressSanitizer (tests may use shorter inputs there, saying so). */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#define NT_RUN(fn) do { nt_begin(#fn); fn(); nt_finish(); } while (0)
/* Run a test once per kernel path this build holds (src/core/cpu.h), named "fn[avx2]" etc., with every
 * kernel family switched to that path; a path this CPU lacks is reported skipped by name. The path in
 * use before is restored after. A refused NR_CPU fails it. */
#define NT_RUN_PATHS(fn) nt_run_paths(#fn, fn)
void nt_run_paths(const char *name, void (*fn)(void));
#define NT_CHECK(cond) do { if (!(cond)) nt_fail_at(__FILE__, __LINE__, "%s", #cond); } while (0)
#define NT_CHECKF(cond, ...) do { if (!(cond)) nt_fail_at(__FILE__, __LINE__, __VA_ARGS__); } while (0)

/* Under emulation (NR_EMULATED set, as make test-aarch64 does) skip the current test, saying why, and
 * return 1; else 0. For tests too slow under qemu whose code has no architecture-specific path. */
int nt_skip_emulated(const char *why);
/* Path of a file in ../shared (or $NR_SHARED), or NULL if it is absent (then skip, saying why). */
const char *nt_shared(const char *rel);
/* Read a raw little-endian float32 file (malloc'd); NULL on failure. *n = number of floats. */
float *nt_read_f32(const char *path, long *n);
/* A fresh temporary folder for this test program (removed at nt_end unless NT_KEEP is set). */
const char *nt_tmpdir(void);
/* Path inside nt_tmpdir() (a rotating static buffer: copy it if you keep many). */
const char *nt_tmp(const char *name);
/* Write bytes to a file; returns 0 on success. */
int nt_write_file(const char *path, const void *data, size_t n);
/* Read a whole file (malloc'd, NUL-terminated); NULL on failure. */
char *nt_read_file(const char *path, size_t *n);
/* Read a mono sound file (malloc'd, n + 1 floats, the last 0); NULL after failing the current test, naming
 * the file, if it cannot be read or is not mono. *rate (if not NULL) = its sample rate. */
float *nt_read_wav(const char *path, long *n, int *rate);
/* Catch this process's stderr in a file until nt_stderr_end, which puts stderr back and returns what was
 * written (malloc'd, NUL-terminated; NULL if it could not be caught: the code between still runs). */
int nt_stderr_begin(void);
char *nt_stderr_end(int token);
/* From now on a write past `bytes` in any file fails (EFBIG), as on a full disk; 0 lifts the limit.
 * Returns 0 on success. */
int nt_file_size_limit(long bytes);
/* Runs cmd through the shell, its output (up to n - 1 bytes, NUL-terminated) into out, read to the end
 * so the program never dies of SIGPIPE; returns its exit status, -1 if it could not run or exit. */
int nt_run_cmd(const char *cmd, char *out, size_t n);
/* Does the file at path hold exactly these n bytes? */
int nt_file_is(const char *path, const void *data, size_t n);
/* Entries of dir whose name holds ".tmp." (temporary files an atomic write left behind). */
int nt_temp_files_left(const char *dir);
/* This thread's CPU time in seconds (CLOCK_THREAD_CPUTIME_ID): other programs on the machine do not count. */
double nt_thread_cpu_s(void);
/* A write that fails half-way must leave the previous file. Between NT_WRITE_FAIL_BEGIN and
 * NT_WRITE_FAIL_END, writes past `limit` bytes fail (as on a full disk); END lifts the limit and checks
 * that the write failed (failed != 0) with a message `msg` that names path and says the file is
 * "unchanged", that path holds the bytes it had at BEGIN, and that dir holds no temporary file. */
#define NT_WRITE_FAIL_BEGIN(path, limit) nt_write_fail_begin(__FILE__, __LINE__, path, limit)
#define NT_WRITE_FAIL_END(failed, msg, dir) nt_write_fail_end(__FILE__, __LINE__, failed, msg, dir)
void nt_write_fail_begin(const char *file, int line, const char *path, long limit);
void nt_write_fail_end(const char *file, int line, int failed, const char *msg, const char *dir);

#endif
