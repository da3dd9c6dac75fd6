#include "nr_test.h"
#include "core/cpu.h"

#include <dirent.h>
#include <signal.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int g_pass, g_fail, g_skip;
static int g_cur_failed, g_cur_skipped;
static const char *g_cur = "";
static char g_tmp[256];
static double g_cur_start;

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void nt_begin(const char *name)
{
    g_cur = name;
    g_cur_failed = g_cur_skipped = 0;
    g_cur_start = seconds_now();
}

void nt_finish(void)
{
    if (g_cur_failed) {
        g_fail++;
        printf("FAIL %s\n", g_cur);
    } else if (g_cur_skipped) {
        g_skip++;
    } else {
        g_pass++;
        double took = seconds_now() - g_cur_start;
        if (took >= 1.0) printf("ok   %s (%.1f s)\n", g_cur, took); /* where a program's time goes */
        else printf("ok   %s\n", g_cur);
    }
    fflush(stdout);
}

int nt_failed(void) { return g_cur_failed; }

void nt_run_paths(const char *name, void (*fn)(void))
{
    static char full[256];
    const int was = nr_cpu_path();
    for (int p = 0; p < NR_CPU_N_PATHS; p++) {
        if (!nr_cpu_path_built(p)) continue;
        snprintf(full, sizeof full, "%s[%s]", name, nr_cpu_path_name(p));
        nt_begin(full);
        if (nr_cpu_error()) {
            nt_fail_at(__FILE__, __LINE__, "%s", nr_cpu_error());
        } else if (!nr_cpu_path_supported(p)) {
            char why[160];
            snprintf(why, sizeof why, "this CPU lacks %s", nr_cpu_path_needs(p));
            nt_skip(why);
        } else if (p != was && getenv("NR_EMULATED")) {
            /* under qemu only the path in use (NEON): the generic C runs in the native builds */
            nt_skip("under emulation only the path in use runs; this one runs in the native and ASan builds");
        } else {
            nr_cpu_use(p);
            fn();
        }
        nt_finish();
    }
    nr_cpu_use(was);
}

void nt_fail_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    printf("  %s:%d: %s: ", file, line, g_cur);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    g_cur_failed = 1;
}

void nt_skip(const char *why)
{
    printf("skip %s: %s\n", g_cur, why);
    g_cur_skipped = 1;
}

int nt_skip_emulated(const char *why)
{
    if (!getenv("NR_EMULATED")) return 0;
    nt_skip(why);
    return 1;
}

int nt_end(void)
{
    if (g_tmp[0] && !getenv("NT_KEEP")) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_tmp);
    }
    printf("%d passed, %d failed, %d skipped\n", g_pass, g_fail, g_skip);
    return g_fail ? 1 : 0;
}

const char *nt_shared(const char *rel)
{
    static char bufs[8][1024];
    static int k;
    const char *root = getenv("NR_SHARED");
    if (!root || !*root) root = "../shared";
    char *b = bufs[k++ & 7];
    snprintf(b, sizeof bufs[0], "%s/%s", root, rel);
    if (access(b, R_OK) != 0) return NULL;
    return b;
}

float *nt_read_f32(const char *path, long *n)
{
    size_t bytes;
    char *d = nt_read_file(path, &bytes);
    if (!d) return NULL;
    *n = (long)(bytes / 4);
    return (float *)d;
}

const char *nt_tmpdir(void)
{
    if (!g_tmp[0]) {
        snprintf(g_tmp, sizeof g_tmp, "/tmp/nr_test_XXXXXX");
        if (!mkdtemp(g_tmp)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return g_tmp;
}

const char *nt_tmp(const char *name)
{
    static char bufs[8][512];
    static int k;
    char *b = bufs[k++ & 7];
    snprintf(b, sizeof bufs[0], "%s/%s", nt_tmpdir(), name);
    return b;
}

int nt_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, n, f);
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

char *nt_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long len = ftell(f);
    rewind(f);
    char *d = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (!d || fread(d, 1, (size_t)len, f) != (size_t)len) {
        free(d);
        fclose(f);
        return NULL;
    }
    fclose(f);
    d[len] = '\0';
    if (n) *n = (size_t)len;
    return d;
}

float *nt_read_wav(const char *path, long *n, int *rate)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) return nt_fail_at(__FILE__, __LINE__, "%s: %s", path, sf_strerror(NULL)), NULL;
    float *x = info.channels == 1 ? calloc((size_t)info.frames + 1, sizeof *x) : NULL;
    if (!x) {
        sf_close(sf);
        return nt_fail_at(__FILE__, __LINE__, "%s: %d channels, %lld frames (one channel expected)", path,
                          info.channels, (long long)info.frames), NULL;
    }
    *n = (long)sf_readf_float(sf, x, info.frames);
    if (rate) *rate = info.samplerate;
    sf_close(sf);
    return x;
}

int nt_stderr_begin(void)
{
    fflush(stderr);
    int saved = dup(2);
    if (saved < 0) return -1;
    FILE *f = fopen(nt_tmp("stderr.txt"), "w");
    if (!f) {
        close(saved);
        return -1;
    }
    int ok = dup2(fileno(f), 2) >= 0;
    fclose(f);
    if (!ok) {
        close(saved);
        return -1;
    }
    return saved;
}

char *nt_stderr_end(int token)
{
    if (token < 0) return NULL;
    fflush(stderr);
    dup2(token, 2);
    close(token);
    size_t n;
    return nt_read_file(nt_tmp("stderr.txt"), &n);
}

int nt_file_size_limit(long bytes)
{
    static struct rlimit saved;
    static int limited;
    if (bytes <= 0) {
        if (!limited) return 0;
        limited = 0;
        signal(SIGXFSZ, SIG_DFL);
        return setrlimit(RLIMIT_FSIZE, &saved);
    }
    if (!limited && getrlimit(RLIMIT_FSIZE, &saved) != 0) return -1;
    struct rlimit lim = saved;
    lim.rlim_cur = (rlim_t)bytes;
    signal(SIGXFSZ, SIG_IGN); /* the write fails with EFBIG instead of killing the process */
    limited = 1;
    return setrlimit(RLIMIT_FSIZE, &lim);
}

int nt_file_is(const char *path, const void *data, size_t n)
{
    size_t k;
    char *d = nt_read_file(path, &k);
    int same = d && k == n && !memcmp(d, data, n);
    free(d);
    return same;
}

double nt_thread_cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int nt_temp_files_left(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

static struct {
    char path[1024];
    char *old; /* (old_n) bytes the file held at begin */
    size_t old_n;
} g_wf;

void nt_write_fail_begin(const char *file, int line, const char *path, long limit)
{
    snprintf(g_wf.path, sizeof g_wf.path, "%s", path);
    free(g_wf.old);
    g_wf.old = nt_read_file(path, &g_wf.old_n);
    if (!g_wf.old) nt_fail_at(file, line, "%s: no previous file to keep", path);
    if (nt_file_size_limit(limit) != 0) nt_fail_at(file, line, "cannot set a file-size limit");
}

void nt_write_fail_end(const char *file, int line, int failed, const char *msg, const char *dir)
{
    nt_file_size_limit(0);
    if (!failed || !strstr(msg, g_wf.path) || !strstr(msg, "unchanged"))
        nt_fail_at(file, line, "%s: the write %s, saying \"%s\"", g_wf.path, failed ? "failed" : "did not fail", msg);
    if (g_wf.old && !nt_file_is(g_wf.path, g_wf.old, g_wf.old_n))
        nt_fail_at(file, line, "%s: the previous file was not kept", g_wf.path);
    int left = nt_temp_files_left(dir);
    if (left) nt_fail_at(file, line, "%s: %d temporary file(s) left behind", dir, left);
    free(g_wf.old);
    g_wf.old = NULL;
}

int nt_run_cmd(const char *cmd, char *out, size_t n)
{
    out[0] = 0;
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t got = fread(out, 1, n - 1, p);
    out[got] = 0;
    char rest[4096]; /* read to the end: closing the pipe early would kill the program with SIGPIPE */
    while (fread(rest, 1, sizeof rest, p) > 0) continue;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
