/* Start and stop a private JACK server (dummy backend) for a test; header-only. */
#ifndef NR_JACKD_HELPER_H
#define NR_JACKD_HELPER_H

#include "audio/backend.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int jackd_installed(void)
{
    const char *dirs[] = {"/usr/bin/jackd", "/usr/local/bin/jackd", "/bin/jackd"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (access(dirs[i], X_OK) == 0) return 1;
    return 0;
}

/* Starts `jackd -n NAME -d dummy -r RATE -p PERIOD` and waits until a client can join (5 s at most).
 * Returns the pid, or -1 (the server's output is in LOG). */
static pid_t jackd_start(const char *name, int rate, int period, const char *log)
{
    char r[16], p[16];
    snprintf(r, sizeof r, "%d", rate);
    snprintf(p, sizeof p, "%d", period);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) dup2(fd, 1), dup2(fd, 2);
        setenv("JACK_NO_AUDIO_RESERVATION", "1", 1);
        execlp("jackd", "jackd", "-n", name, "-d", "dummy", "-r", r, "-p", p, (char *)NULL);
        _exit(127);
    }
    nr_backend_config bc = nr_backend_config_init();
    bc.server_name = name;
    bc.autoconnect = 0;
    for (int i = 0; i < 100; i++) {
        usleep(50000);
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) return -1;
        nr_backend *b;
        if (nr_backend_open_jack(&bc, &b) == NR_OK) {
            nr_backend_close(b);
            return pid;
        }
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static void jackd_stop(pid_t pid)
{
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 60; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) return;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* A server name no other run of the test shares. */
static const char *jackd_unique_name(void)
{
    static char name[64];
    snprintf(name, sizeof name, "nrtest-%d", (int)getpid());
    return name;
}

#endif
