/* Ctrl-C or SIGTERM during a file render (`render`, `play --audio file:`) leaves the existing output file
 * exactly as it was, removes the temporary file, says so in one line and exits 128 + the signal; a
 * deliberate --duration end is no interrupt. Runs the real program (NR_BIN). */
#include "nr_test.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define OLD_CONTENT "the previous render, which must survive"

/* A long curve file: n rows at the analysis frame rate. */
static const char *long_curves(int n)
{
    const char *p = nt_tmp("long.csv");
    FILE *f = fopen(p, "w");
    if (!f) return NULL;
    fprintf(f, "time_s,loudness,percussivity,tonelike,noisiness,richness,brightness,pitch\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "%.9g,0.1,0.05,3000,0.05,1500,1200,%d\n", i * 512.0 / 22050.0, 60 + i % 200);
    fclose(f);
    return p;
}

static int temp_files_left(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return n;
}

/* Runs argv with stderr to errpath, sends sig after delay_ms (0: none); returns the exit code, or
 * -signal when the program died of a signal. */
static int run(char *const argv[], const char *errpath, int sig, int delay_ms)
{
    pid_t pid = fork();
    if (pid == 0) {
        FILE *e = freopen(errpath, "w", stderr);
        FILE *o = freopen("/dev/null", "w", stdout);
        (void)e, (void)o;
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid < 0) return -1000;
    if (sig) {
        usleep((useconds_t)delay_ms * 1000);
        kill(pid, sig);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

static void check_interrupted(const char *what, char *const argv[], const char *out, int sig)
{
    NT_CHECK(nt_write_file(out, OLD_CONTENT, strlen(OLD_CONTENT)) == 0);
    const char *err = nt_tmp("stderr.txt");
    int code = run(argv, err, sig, 1500);
    NT_CHECKF(code == 128 + sig, "%s: exit code %d, expected %d", what, code, 128 + sig);
    size_t n = 0;
    char *got = nt_read_file(out, &n);
    NT_CHECKF(got && n == strlen(OLD_CONTENT) && !memcmp(got, OLD_CONTENT, n), "%s: the previous file changed", what);
    free(got);
    NT_CHECKF(temp_files_left(nt_tmpdir()) == 0, "%s: a temporary file was left", what);
    char *msg = nt_read_file(err, &n);
    int lines = 0;
    for (size_t i = 0; msg && i < n; i++) lines += msg[i] == '\n';
    NT_CHECKF(msg && strstr(msg, "interrupted") && strstr(msg, "left as it was") && lines == 1, "%s: stderr '%s'",
              what, msg ? msg : "");
    free(msg);
}

static void test_render_interrupted(void)
{
    const char *bin = getenv("NR_BIN");
    if (!bin || !*bin) {
        nt_skip("NR_BIN not set (run through make test)");
        return;
    }
    const char *csv = long_curves(40000); /* 929 s of audio: the render runs for seconds */
    NT_CHECK(csv != NULL);
    char out[1024];
    snprintf(out, sizeof out, "%s", nt_tmp("out.wav"));
    char *argv[] = {(char *)bin, "render", "--curves", (char *)csv, "-o", out, NULL};
    check_interrupted("render, SIGINT", argv, out, SIGINT);
    check_interrupted("render, SIGTERM", argv, out, SIGTERM);
}

static void test_play_file_interrupted(void)
{
    const char *bin = getenv("NR_BIN");
    if (!bin || !*bin) {
        nt_skip("NR_BIN not set (run through make test)");
        return;
    }
    char out[1024], arg[1100], settings[1024];
    snprintf(out, sizeof out, "%s", nt_tmp("play.wav"));
    snprintf(arg, sizeof arg, "file:%s", out);
    snprintf(settings, sizeof settings, "%s", nt_tmp("settings.json"));
    char *argv[] = {(char *)bin, "play", "--headless", "--settings", settings, "--audio", arg, "--duration", "86400",
                    NULL};
    check_interrupted("play --audio file:, SIGTERM", argv, out, SIGTERM);
    check_interrupted("play --audio file:, SIGINT", argv, out, SIGINT);
    /* a --duration end is no interrupt: the file is replaced and the exit code is 0 */
    char *short_argv[] = {(char *)bin, "play", "--headless", "--settings", settings, "--audio", arg, "--duration", "0.2",
                          NULL};
    NT_CHECK(nt_write_file(out, OLD_CONTENT, strlen(OLD_CONTENT)) == 0);
    NT_CHECK(run(short_argv, nt_tmp("stderr.txt"), 0, 0) == 0);
    size_t n = 0;
    char *got = nt_read_file(out, &n);
    NT_CHECK(got && n > 44 && !memcmp(got, "RIFF", 4));
    free(got);
}

int main(void)
{
    NT_RUN(test_render_interrupted);
    NT_RUN(test_play_file_interrupted);
    return nt_end();
}
