/* For targets whose reader takes a file name: the input bytes in a temporary file of this process. */
#ifndef NR_FUZZ_FILE_H
#define NR_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char g_fuzz_path[64];

static void fuzz_file_remove(void) { unlink(g_fuzz_path); }

/* "/tmp/nr_fuzz_<pid>.<ext>" holding data[size]; NULL if it cannot be written. Removed at exit. */
static inline const char *fuzz_file(const uint8_t *data, size_t size, const char *ext)
{
    char *path = g_fuzz_path;
    if (!path[0]) atexit(fuzz_file_remove);
    snprintf(g_fuzz_path, sizeof g_fuzz_path, "/tmp/nr_fuzz_%d.%s", (int)getpid(), ext);
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    int ok = fwrite(data, 1, size, f) == size;
    if (fclose(f) != 0) ok = 0;
    return ok ? path : NULL;
}

#endif
