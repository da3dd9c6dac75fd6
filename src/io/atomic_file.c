#include "io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_SUFFIX ".tmp.XXXXXX"

static const char *kind_of(mode_t m)
{
    return S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" : S_ISFIFO(m) ? "a FIFO"
           : S_ISDIR(m) ? "a folder" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

int nr_atomic_check_target(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        nr_fail(NR_ERR_IO, "%s is %s, not a regular file: it is never replaced or written", path, kind_of(st.st_mode));
        return -1;
    }
    return 0;
}

int nr_atomic_open(const char *path, char **tmp)
{
    *tmp = NULL;
    /* Only a regular file (or none) is replaced: renaming over /dev/null as root would swap the device
     * node for a file. A symbolic link is followed: the file it names is replaced, the link kept. */
    if (nr_atomic_check_target(path) != 0) return -1;
    char *real = NULL;
    struct stat lst;
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) real = realpath(path, NULL);
    const char *target = real ? real : path;
    size_t len = strlen(target) + sizeof TMP_SUFFIX;
    char *t = malloc(len);
    if (!t) {
        free(real);
        nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
        return -1;
    }
    snprintf(t, len, "%s" TMP_SUFFIX, target);
    free(real);
    int fd = mkstemp(t);
    if (fd < 0) {
        nr_fail(NR_ERR_IO, "%s: cannot create a file in its folder: %s", path, strerror(errno));
        free(t);
        return -1;
    }
    /* mkstemp makes 0600; give the result the mode a plain fopen would have. */
    struct stat st;
    mode_t mode;
    if (stat(path, &st) == 0) { /* through a link: the target's mode */
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

int nr_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return k < 0 && errno ? errno : EIO;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

const char *nr_write_error_text(int err)
{
    return err == ENOSPC ? "disk full" : err ? strerror(err) : "write failed (disk full?)";
}

/* After the rename the new name must reach the disk too: fsync the folder that holds it. */
static nr_result sync_folder(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir) return nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    int e = fd < 0 ? errno : fsync(fd) != 0 ? errno : 0;
    if (fd >= 0) close(fd);
    free(dir);
    /* EINVAL: a file system that cannot sync a folder; the rename is as safe as it can be there. */
    if (e && e != EINVAL)
        return nr_fail(NR_ERR_IO, "%s: written, but its folder could not be flushed to disk: %s", path,
                       nr_write_error_text(e));
    return NR_OK;
}

static const volatile sig_atomic_t *g_cancel;

void nr_atomic_set_cancel(const volatile sig_atomic_t *flag) { g_cancel = flag; }

nr_result nr_atomic_commit(const char *path, int fd, char *tmp)
{
    nr_result r = NR_OK;
    if (g_cancel && *g_cancel) {
        nr_atomic_abort(fd, tmp);
        return nr_fail(NR_ERR_INTERRUPTED, "%s: interrupted; the previous file is unchanged", path);
    }
    if (fsync(fd) != 0) {
        int e = errno;
        r = nr_fail(NR_ERR_IO, "%s: %s while flushing to disk; the previous file is unchanged", path,
                    nr_write_error_text(e));
        nr_atomic_abort(fd, tmp);
        return r;
    }
    if (close(fd) != 0) {
        int e = errno;
        r = nr_fail(NR_ERR_IO, "%s: %s while closing; the previous file is unchanged", path, nr_write_error_text(e));
        nr_atomic_abort(-1, tmp);
        return r;
    }
    if (g_cancel && *g_cancel) { /* a signal during the flush: still in time */
        nr_atomic_abort(-1, tmp);
        return nr_fail(NR_ERR_INTERRUPTED, "%s: interrupted; the previous file is unchanged", path);
    }
    /* The file that is replaced is the temporary file's name less its suffix: path itself, or the file
     * a symbolic link at path names. */
    size_t tl = strlen(tmp);
    char *target = tl > sizeof TMP_SUFFIX - 1 ? strndup(tmp, tl - (sizeof TMP_SUFFIX - 1)) : NULL;
    if (!target) {
        nr_atomic_abort(-1, tmp);
        return nr_fail(NR_ERR_NOMEM, "%s: out of memory", path);
    }
    if (nr_atomic_check_target(target) != 0) /* it became a device or folder since open */
        r = NR_ERR_IO;
    else if (rename(tmp, target) != 0)
        r = nr_fail(NR_ERR_IO, "%s: cannot replace the file: %s", path, strerror(errno));
    if (r != NR_OK) {
        nr_atomic_abort(-1, tmp);
        free(target);
        return r;
    }
    free(tmp);
    r = sync_folder(target);
    free(target);
    return r;
}

void nr_atomic_abort(int fd, char *tmp)
{
    if (fd >= 0) close(fd);
    if (tmp) unlink(tmp);
    free(tmp);
}

nr_result nr_atomic_fopen(const char *path, FILE **f, char **tmp)
{
    *f = NULL;
    int fd = nr_atomic_open(path, tmp);
    if (fd < 0) return NR_ERR_IO;
    *f = fdopen(fd, "wb");
    if (!*f) {
        nr_result r = nr_fail(NR_ERR_IO, "%s: %s", path, strerror(errno));
        nr_atomic_abort(fd, *tmp);
        *tmp = NULL;
        return r;
    }
    return NR_OK;
}

nr_result nr_atomic_fcommit(const char *path, FILE *f, char *tmp)
{
    int e = errno; /* set by the caller's last write if that failed */
    if (!ferror(f)) {
        errno = 0;
        if (fflush(f) != 0) e = errno;
    }
    if (ferror(f)) {
        nr_atomic_fabort(f, tmp);
        return nr_fail(NR_ERR_IO, "%s: %s while writing; the previous file is unchanged", path, nr_write_error_text(e));
    }
    /* The stream owns the descriptor: keep a duplicate for fsync and rename after fclose. */
    int fd = dup(fileno(f));
    if (fd < 0) {
        e = errno;
        nr_atomic_fabort(f, tmp);
        return nr_fail(NR_ERR_IO, "%s: %s", path, strerror(e));
    }
    if (fclose(f) != 0) {
        e = errno;
        nr_atomic_abort(fd, tmp);
        return nr_fail(NR_ERR_IO, "%s: %s while closing; the previous file is unchanged", path, nr_write_error_text(e));
    }
    return nr_atomic_commit(path, fd, tmp);
}

void nr_atomic_fabort(FILE *f, char *tmp)
{
    if (f) fclose(f);
    nr_atomic_abort(-1, tmp);
}
