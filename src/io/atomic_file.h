/* Atomic file replacement: write a temporary file in the target's folder, fsync it, rename it over
 * the target, fsync the folder. A crash or a full disk leaves the old file or the new one, never a
 * mix; on failure the old file is untouched and no temporary file is left. */
#ifndef NR_IO_ATOMIC_FILE_H
#define NR_IO_ATOMIC_FILE_H

#include "nr/core.h"

#include <signal.h>
#include <stdio.h>

/* Create "<path>.tmp.XXXXXX" with the permissions the target would get (the existing file's, else
 * 0666 less the umask). Returns the open descriptor and the malloc'd name in *tmp, or -1 with the
 * error recorded. A path that exists and is not a regular file (/dev/null, a FIFO, a folder) is refused:
 * it is never replaced or written. A symbolic link is followed: the file it names is replaced (the
 * temporary file sits beside that one) and the link stays. */
int nr_atomic_open(const char *path, char **tmp);

/* -1 with the error recorded if path exists and is not a regular file (after following links), else 0. */
int nr_atomic_check_target(const char *path);

/* fsync + close fd, rename tmp over path (or over the file a link at path named at open), fsync the
 * folder; on any failure unlink tmp. Frees tmp. */
nr_result nr_atomic_commit(const char *path, int fd, char *tmp);

/* A program that catches SIGINT/SIGTERM points this at the flag its handler sets (non-zero: stop); from
 * then on a commit finding it set does not replace the target: it removes the temporary file and fails
 * with NR_ERR_INTERRUPTED, so a render cut short by Ctrl-C never overwrites the previous file. Library
 * hosts (plugins) leave it unset. Not thread-safe: set it once, at start. */
void nr_atomic_set_cancel(const volatile sig_atomic_t *flag);

/* Close fd (if >= 0), unlink and free tmp. */
void nr_atomic_abort(int fd, char *tmp);

/* Write all n bytes to fd, retrying short writes and EINTR. Returns 0, or the errno of the failure
 * (EIO if the system reported none). */
int nr_write_all(int fd, const void *p, size_t n);

/* Words for the errno of a failed write: "disk full" for ENOSPC, a guess when errno was lost (0). */
const char *nr_write_error_text(int err);

/* The same for a stdio stream: *f writes ("wb") to the temporary file. Returns NR_OK or NR_ERR_IO. */
nr_result nr_atomic_fopen(const char *path, FILE **f, char **tmp);
/* fflush; a write error on the stream (ferror, from any earlier write: call this right after the
 * writes, errno still theirs) fails here, "disk full" for ENOSPC; then as nr_atomic_commit. Closes f
 * and frees tmp either way. */
nr_result nr_atomic_fcommit(const char *path, FILE *f, char *tmp);
/* fclose f (if any), unlink and free tmp. */
void nr_atomic_fabort(FILE *f, char *tmp);

#endif
