/* Atomic file replacement: write a temporary file in the target's folder, fsync, rename. */
#ifndef NR_IO_ATOMIC_FILE_H
#define NR_IO_ATOMIC_FILE_H

#include "nr/core.h"

/* Create "<path>.tmp.XXXXXX" with the permissions the target would get (the existing file's, else
 * 0666 less the umask). Returns the open descriptor and the malloc'd name in *tmp, or -1 with the
 * error recorded. */
int nr_atomic_open(const char *path, char **tmp);

/* fsync + close fd, then rename tmp over path; on any failure unlink tmp. Frees tmp. */
nr_result nr_atomic_commit(const char *path, int fd, char *tmp);

/* Close fd (if >= 0), unlink and free tmp. */
void nr_atomic_abort(int fd, char *tmp);

#endif
