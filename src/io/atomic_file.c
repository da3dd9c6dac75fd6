#include "io/atomic_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int nr_atomic_open(const char *path, char **tmp)
{
    *tmp = NULL;
    size_t len = strlen(path) + 16;
    char *t = malloc(len);
    if (!t) {
        nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
        return -1;
    }
    snprintf(t, len, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(t);
    if (fd < 0) {
        nr_fail(NR_ERR_IO, "%s: cannot create a file in its folder: %s", path, strerror(errno));
        free(t);
        return -1;
    }
    /* mkstemp makes 0600; give the result the mode a plain fopen would have. */
    struct stat st;
    mode_t mode;
    if (stat(path, &st) == 0) {
        mode = st.st_mode & 07777;
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    if (fchmod(fd, mode) != 0) { /* not fatal: the file is still written */
    }
    *tmp = t;
    return fd;
}

nr_result nr_atomic_commit(const char *path, int fd, char *tmp)
{
    nr_result r = NR_OK;
    if (fsync(fd) != 0) {
        int e = errno;
        r = nr_fail(NR_ERR_IO, "%s: %s while flushing to disk", path, e == ENOSPC ? "disk full" : strerror(e));
        nr_atomic_abort(fd, tmp);
        return r;
    }
    if (close(fd) != 0) {
        int e = errno;
        r = nr_fail(NR_ERR_IO, "%s: %s while closing", path, e == ENOSPC ? "disk full" : strerror(e));
        nr_atomic_abort(-1, tmp);
        return r;
    }
    if (rename(tmp, path) != 0) {
        r = nr_fail(NR_ERR_IO, "%s: cannot replace the file: %s", path, strerror(errno));
        nr_atomic_abort(-1, tmp);
        return r;
    }
    free(tmp);
    return NR_OK;
}

void nr_atomic_abort(int fd, char *tmp)
{
    if (fd >= 0) close(fd);
    if (tmp) unlink(tmp);
    free(tmp);
}
