/* OSC over UDP with liblo: one catch-all method that turns /neurorack/... messages into events. */
#include "control/osc.h"

#include <lo/lo.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "/neurorack/"

struct nr_osc {
    lo_server_thread st;
    nr_audio_client client;
    atomic_uint accepted, rejected;
};

/* "N" at the end of an address (1..max) -> 0-based index, else -1. */
static int index_of(const char *s, int max)
{
    if (s[0] < '1' || s[0] > '9' || s[1] != '\0') return -1;
    int i = s[0] - '1';
    return i < max ? i : -1;
}

int nr_osc_parse(const char *path, int argc, const double *args, nr_control_event ev[2])
{
    if (!path || strncmp(path, PREFIX, strlen(PREFIX)) != 0) return -1;
    const char *what = path + strlen(PREFIX);
    ev[0] = ev[1] = (nr_control_event){.value = 1.0f, .time = -1};
    if (!strncmp(what, "gate/", 5)) {
        int g = index_of(what + 5, NR_NUM_GATES);
        if (g < 0 || argc > 1) return -1;
        ev[0].type = ev[1].type = NR_EV_GATE;
        ev[0].index = ev[1].index = g;
        if (argc == 0) { /* a trigger: the instrument sees the rising edge */
            ev[1].value = 0.0f;
            return 2;
        }
        if (!isfinite(args[0])) return -1;
        ev[0].value = args[0] > 0.5 ? 1.0f : 0.0f;
        return 1;
    }
    if (!strncmp(what, "cv/", 3)) {
        int i = index_of(what + 3, NR_NUM_CV);
        if (i < 0 || argc != 1 || !isfinite(args[0]) || fabs(args[0]) > 10.0) return -1;
        ev[0].type = NR_EV_CV;
        ev[0].index = i;
        ev[0].value = (float)args[0];
        return 1;
    }
    if (!strcmp(what, "encoder")) {
        if (argc != 1 || !isfinite(args[0]) || args[0] != floor(args[0]) || args[0] == 0 || fabs(args[0]) > 100)
            return -1;
        ev[0].type = NR_EV_ENCODER;
        ev[0].value = (float)args[0];
        return 1;
    }
    if (!strcmp(what, "push") || !strcmp(what, "longpush")) {
        if (argc > 1) return -1;
        if (argc == 1 && !(isfinite(args[0]) && args[0] > 0.5)) return 0; /* a release: nothing to do */
        ev[0].type = what[0] == 'p' ? NR_EV_PUSH : NR_EV_LONG_PUSH;
        return 1;
    }
    return -1;
}

static int on_message(const char *path, const char *types, lo_arg **argv, int argc, lo_message msg, void *data)
{
    (void)msg;
    nr_osc *o = data;
    double args[4];
    if (argc > 4) argc = 5; /* more than any address takes: rejected below */
    for (int i = 0; i < argc && i < 4; i++) {
        /* liblo's arguments point into the packet, 4-byte aligned: 8-byte values are copied out, never
         * read in place (a misaligned load) */
        int32_t i32;
        float f32;
        double f64;
        int64_t i64;
        switch (types[i]) {
        case LO_INT32: memcpy(&i32, argv[i], sizeof i32), args[i] = i32; break;
        case LO_FLOAT: memcpy(&f32, argv[i], sizeof f32), args[i] = f32; break;
        case LO_DOUBLE: memcpy(&f64, argv[i], sizeof f64), args[i] = f64; break;
        case LO_INT64: memcpy(&i64, argv[i], sizeof i64), args[i] = (double)i64; break;
        case LO_TRUE: args[i] = 1; break;
        case LO_FALSE: args[i] = 0; break;
        default: args[i] = NAN; break;
        }
    }
    nr_control_event ev[2];
    int n = argc > 4 ? -1 : nr_osc_parse(path, argc, args, ev);
    if (n < 0) {
        atomic_fetch_add(&o->rejected, 1);
        return 1;
    }
    for (int i = 0; i < n; i++) o->client.post(o->client.ctx, NR_SRC_OSC, &ev[i]);
    atomic_fetch_add(&o->accepted, 1);
    return 0;
}

/* liblo reports server errors through this; the start call reports one line instead. */
static char g_osc_err[200];
static void on_error(int num, const char *msg, const char *where)
{
    snprintf(g_osc_err, sizeof g_osc_err, "%s%s%s (%d)", msg ? msg : "error", where ? " at " : "",
             where ? where : "", num);
}

nr_result nr_osc_start(const char *port, const nr_audio_client *c, nr_osc **out)
{
    *out = NULL;
    if (port && strcmp(port, "0")) {
        char *end;
        long p = strtol(port, &end, 10);
        if (*end || p < 1 || p > 65535)
            return nr_fail(NR_ERR_ARG, "osc: port '%s'; expected a UDP port number 1..65535", port);
    } else {
        port = NULL; /* liblo picks a free port */
    }
    nr_osc *o = calloc(1, sizeof *o);
    if (!o) return nr_fail(NR_ERR_NOMEM, "osc: out of memory");
    o->client = *c;
    g_osc_err[0] = '\0';
    o->st = lo_server_thread_new_with_proto(port, LO_UDP, on_error);
    if (!o->st) {
        free(o);
        return nr_fail(NR_ERR_DEVICE, "osc: cannot listen on UDP port %s (%s)", port ? port : "(any)",
                       g_osc_err[0] ? g_osc_err : "in use?");
    }
    lo_server_thread_add_method(o->st, NULL, NULL, on_message, o);
    if (lo_server_thread_start(o->st) < 0) {
        lo_server_thread_free(o->st);
        free(o);
        return nr_fail(NR_ERR_DEVICE, "osc: cannot start the server thread");
    }
    *out = o;
    return NR_OK;
}

int nr_osc_port(const nr_osc *o) { return lo_server_thread_get_port(o->st); }
uint32_t nr_osc_accepted(const nr_osc *o) { return atomic_load(&((nr_osc *)o)->accepted); }
uint32_t nr_osc_rejected(const nr_osc *o) { return atomic_load(&((nr_osc *)o)->rejected); }

void nr_osc_stop(nr_osc *o)
{
    if (!o) return;
    lo_server_thread_stop(o->st);
    lo_server_thread_free(o->st);
    free(o);
}
