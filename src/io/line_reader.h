/* Bounded line reading for every text format the project parses: a line longer than the format's limit
 * (or /dev/zero given as a file) is an error that names the line, never unbounded memory, and a long
 * line is never split into two (as fgets into a fixed buffer would). Not audio-thread safe. */
#ifndef NR_IO_LINE_READER_H
#define NR_IO_LINE_READER_H

#include <stddef.h>
#include <stdio.h>

typedef enum {
    NR_LINE_OK = 1,        /* buf holds the line, without its "\n" or "\r\n" */
    NR_LINE_END = 0,       /* no more lines */
    NR_LINE_TOO_LONG = -1, /* line `line` is longer than max bytes */
    NR_LINE_NUL = -2,      /* line `line` holds a NUL byte (binary data, not text) */
    NR_LINE_READ_ERROR = -3,
    NR_LINE_NOMEM = -4
} nr_line_status;

typedef struct {
    FILE *f;
    size_t max; /* longest accepted line in bytes, without the line end */
    char *buf;  /* the current line, NUL-terminated (max + 1 bytes, allocated once) */
    size_t len; /* its length */
    long line;  /* 1-based number of the current line */
} nr_line_reader;

/* Allocates the buffer; returns 0 when out of memory. */
int nr_line_reader_init(nr_line_reader *lr, FILE *f, size_t max);
void nr_line_reader_free(nr_line_reader *lr);
nr_line_status nr_line_next(nr_line_reader *lr);
/* After NR_LINE_TOO_LONG: reads past the rest of that line (without keeping it), so a format that skips a
 * bad line can go on with the next one. Returns 0 on a read error. */
int nr_line_skip_rest(nr_line_reader *lr);
/* A one-line description of a failed status ("line 12 is longer than 4096 bytes"), in a static buffer. */
const char *nr_line_error(const nr_line_reader *lr, nr_line_status st);

#endif
