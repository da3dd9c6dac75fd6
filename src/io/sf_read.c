#include "io/sf_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Size fields of libsndfile's header log ("data : 44100 (should be 22028)"): first the chunks that
 * hold the samples (the more telling message), then the containers. */
static const char *const g_size_labels[] = {"data", "SSND", "BODY", "Data Size", "chunk",
                                            "RIFF", "RIFX", "riff", "Riff size", "FORM"};
#define N_LABELS (int)(sizeof g_size_labels / sizeof *g_size_labels)
#define UNKNOWN_SIZE 0xFFFFFFFFull /* streaming writers' "length not known yet" */

nr_result nr_sf_open_read(const char *path, SF_INFO *info, SNDFILE **out)
{
    *out = NULL;
    memset(info, 0, sizeof *info);
    struct stat st;
    if (stat(path, &st) != 0) return nr_fail(NR_ERR_IO, "%s: cannot open audio file: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) return nr_fail(NR_ERR_IO, "%s: is a folder, expected an audio file", path);
    /* (a pipe, e.g. the shell's <(...), has no size and is read as it comes) */
    if (S_ISREG(st.st_mode) && st.st_size == 0)
        return nr_fail(NR_ERR_FORMAT, "%s: empty file (0 bytes), expected audio", path);
    /* libsndfile reports a permission problem as "not a sound file": ask the system first. */
    if (access(path, R_OK) != 0) return nr_fail(NR_ERR_IO, "%s: cannot open audio file: %s", path, strerror(errno));
    SNDFILE *sf = sf_open(path, SFM_READ, info);
    if (!sf)
        return nr_fail(NR_ERR_FORMAT, "%s: not an audio file libsndfile can read (WAV, FLAC, OGG, AIFF...): %s",
                       path, sf_strerror(NULL));
    nr_result r = nr_sf_check_header(sf, path);
    if (r != NR_OK) {
        sf_close(sf);
        return r;
    }
    *out = sf;
    return NR_OK;
}

/* "A (should be B)" after a size label; 1 with both values, 0 if the line is not of that shape. */
static int parse_should_be(const char *s, unsigned long long *a, unsigned long long *b)
{
    char *end;
    if (*s < '0' || *s > '9') return 0;
    *a = strtoull(s, &end, 10);
    if (strncmp(end, " (should be ", 12)) return 0;
    s = end + 12;
    if (*s < '0' || *s > '9') return 0;
    *b = strtoull(s, &end, 10);
    return *end == ')';
}

/* Index in g_size_labels of the size field this log line says claims more than the file holds, or -1. */
static int line_truncated(const char *line, unsigned long long *said, unsigned long long *has)
{
    while (*line == ' ') line++;
    if (sscanf(line, "*** Chunk size %llu > file length %llu", said, has) == 2) return 4; /* "chunk" */
    const char *colon = strstr(line, " : ");
    if (!colon) return -1;
    size_t n = (size_t)(colon - line);
    while (n && line[n - 1] == ' ') n--;
    for (int i = 0; i < N_LABELS; i++) {
        if (strlen(g_size_labels[i]) != n || strncmp(line, g_size_labels[i], n)) continue;
        /* A missing pad byte after an odd-sized chunk loses no audio. */
        int bad = parse_should_be(colon + 3, said, has) && *said != UNKNOWN_SIZE && *said > *has + 1;
        return bad ? i : -1;
    }
    return -1;
}

nr_result nr_sf_check_header(SNDFILE *sf, const char *what)
{
    char log[8192];
    log[0] = '\0';
    sf_command(sf, SFC_GET_LOG_INFO, log, sizeof log);
    log[sizeof log - 1] = '\0';
    if (strstr(log, "wasn't closed properly"))
        return nr_fail(NR_ERR_FORMAT, "%s: damaged: the program writing it never finished its header (no data size)",
                       what);
    int best = N_LABELS;
    unsigned long long said = 0, has = 0;
    for (char *line = log; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        unsigned long long s, h;
        int i = line_truncated(line, &s, &h);
        if (i >= 0 && i < best) best = i, said = s, has = h;
        line = nl ? nl + 1 : NULL;
    }
    if (best < N_LABELS)
        return nr_fail(NR_ERR_FORMAT, "%s: truncated: its header gives '%s' %llu bytes but the file holds only %llu",
                       what, g_size_labels[best], said, has);
    return NR_OK;
}

sf_count_t nr_sf_header_frames(const SF_INFO *info)
{
    return info->frames < 0 || info->frames == SF_COUNT_MAX ? -1 : info->frames;
}

nr_result nr_sf_check_read(SNDFILE *sf, const SF_INFO *info, long got, const char *what)
{
    sf_count_t want = nr_sf_header_frames(info);
    char total[32] = "?";
    if (want >= 0) snprintf(total, sizeof total, "%lld", (long long)want);
    if (sf_error(sf) != SF_ERR_NO_ERROR)
        return nr_fail(NR_ERR_FORMAT, "%s: truncated or damaged: decoding stopped after %ld of %s frames (%s)", what,
                       got, total, sf_strerror(sf));
    if (want >= 0 && got < want)
        return nr_fail(NR_ERR_FORMAT, "%s: truncated: %ld of the %s frames its header announces could be read", what,
                       got, total);
    return NR_OK;
}
