#include "nr/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One message per thread, so a loader thread's error never races with the UI thread's. */
static _Thread_local char g_msg[1024];

const char *const nr_desc_names[NR_NUM_DESC] = {
    "loudness", "percussivity", "tonelike", "noisiness", "richness", "brightness", "pitch",
};

const char *nr_result_str(nr_result r)
{
    switch (r) {
    case NR_OK: return "ok";
    case NR_ERR_ARG: return "bad argument";
    case NR_ERR_IO: return "I/O error";
    case NR_ERR_FORMAT: return "format error";
    case NR_ERR_VERSION: return "unsupported version";
    case NR_ERR_SHAPE: return "shape mismatch";
    case NR_ERR_VALUE: return "bad value";
    case NR_ERR_NOMEM: return "out of memory";
    case NR_ERR_UNSUPPORTED: return "unsupported";
    case NR_ERR_DEVICE: return "device error";
    case NR_ERR_INTERRUPTED: return "interrupted";
    }
    return "unknown error";
}

const char *nr_last_error(void) { return g_msg; }

void nr_clear_error(void) { g_msg[0] = '\0'; }

nr_result nr_fail(nr_result code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_msg, sizeof g_msg, fmt, ap);
    va_end(ap);
    return code;
}

nr_result nr_fail_prefix(nr_result code, const char *prefix)
{
    char tmp[sizeof g_msg];
    memcpy(tmp, g_msg, sizeof tmp);
    /* Truncation is fine: a message is one line for a person, not data. */
    int n = snprintf(g_msg, sizeof g_msg, "%s: ", prefix);
    if (n > 0 && (size_t)n < sizeof g_msg)
        snprintf(g_msg + n, sizeof g_msg - (size_t)n, "%s", tmp[0] ? tmp : nr_result_str(code));
    return code;
}
