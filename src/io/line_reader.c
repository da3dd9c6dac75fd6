#include "io/line_reader.h"

#include <stdlib.h>

int nr_line_reader_init(nr_line_reader *lr, FILE *f, size_t max)
{
    lr->f = f;
    lr->max = max;
    lr->len = 0;
    lr->line = 0;
    lr->buf = malloc(max + 1);
    if (lr->buf) lr->buf[0] = '\0';
    return lr->buf != NULL;
}

void nr_line_reader_free(nr_line_reader *lr)
{
    free(lr->buf);
    lr->buf = NULL;
}

nr_line_status nr_line_next(nr_line_reader *lr)
{
    if (!lr->buf) return NR_LINE_NOMEM;
    size_t n = 0;
    int c, nul = 0;
    while ((c = getc(lr->f)) != EOF && c != '\n') {
        if (n == lr->max) {
            lr->line++;
            return NR_LINE_TOO_LONG; /* the rest is not read: a longer line is an error, never split */
        }
        if (c == '\0') nul = 1;
        lr->buf[n++] = (char)c;
    }
    if (c == EOF && ferror(lr->f)) return NR_LINE_READ_ERROR;
    if (c == EOF && n == 0) return NR_LINE_END;
    lr->line++;
    if (nul) return NR_LINE_NUL;
    if (n && lr->buf[n - 1] == '\r') n--;
    lr->buf[n] = '\0';
    lr->len = n;
    return NR_LINE_OK;
}

int nr_line_skip_rest(nr_line_reader *lr)
{
    int c;
    while ((c = getc(lr->f)) != EOF && c != '\n') {}
    return !ferror(lr->f);
}

const char *nr_line_error(const nr_line_reader *lr, nr_line_status st)
{
    static _Thread_local char msg[96];
    switch (st) {
    case NR_LINE_TOO_LONG:
        snprintf(msg, sizeof msg, "line %ld is longer than %zu bytes", lr->line, lr->max);
        break;
    case NR_LINE_NUL:
        snprintf(msg, sizeof msg, "line %ld holds a NUL byte: not a text file", lr->line);
        break;
    case NR_LINE_READ_ERROR:
        snprintf(msg, sizeof msg, "read error after line %ld", lr->line);
        break;
    case NR_LINE_NOMEM:
        snprintf(msg, sizeof msg, "out of memory for a line buffer");
        break;
    default:
        snprintf(msg, sizeof msg, "no error");
    }
    return msg;
}
