/* OSC over UDP: our socket, bound to one address (loopback by default), liblo to decode the packets, one
 * catch-all handler that turns /neurorack/... messages into events. */
#include "control/osc.h"

#include <lo/lo.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "/neurorack/"

#define OSC_MAX_PACKET 65536  /* the largest UDP datagram */
#define OSC_MAX_BUNDLE_DEPTH 4 /* bundles inside bundles */
#define OSC_POLL_MS 50         /* the receive thread checks for stop this often */

/* liblo 0.31 cannot bind a UDP server to one address, so the socket is ours (bound to 127.0.0.1 unless a
 * host asks for more) and liblo decodes the packets. */
struct nr_osc {
    int fd;
    pthread_t thread;
    atomic_int stop;
    nr_audio_client client;
    atomic_uint accepted, rejected;
    char addr[64];
    int port;
    unsigned char buf[OSC_MAX_PACKET];
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

/* What a decode adds up: the events go to client, the counts to the caller. */
typedef struct {
    const nr_audio_client *client;
    uint32_t accepted, rejected;
} osc_decode;

static void on_message(osc_decode *d, const char *path, const char *types, lo_arg **argv, int argc)
{
    if (!strcmp(path, PREFIX "model")) { /* the one address with a string */
        nr_control_event ev;
        if (argc != 1 || (types[0] != LO_STRING && types[0] != LO_SYMBOL) || nr_model_event(&argv[0]->s, &ev) < 0) {
            d->rejected++;
            return;
        }
        d->client->post(d->client->ctx, NR_SRC_OSC, &ev);
        d->accepted++;
        return;
    }
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
        d->rejected++;
        return;
    }
    for (int i = 0; i < n; i++) d->client->post(d->client->ctx, NR_SRC_OSC, &ev[i]);
    d->accepted++;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One packet: a message, or a bundle ("#bundle", an 8-byte time tag, then elements of a big-endian size
 * and its bytes), whose elements are dispatched in order (time tags are not scheduled: events go out at
 * once, as liblo's server did). Malformed packets are counted as rejected. */
static void dispatch(osc_decode *d, const unsigned char *p, size_t n, int depth)
{
    if (n >= 16 && !memcmp(p, "#bundle", 8)) {
        if (depth >= OSC_MAX_BUNDLE_DEPTH) {
            d->rejected++;
            return;
        }
        for (size_t at = 16; at < n;) {
            uint32_t k = n - at >= 4 ? be32(p + at) : 0;
            if (n - at < 4 || k == 0 || k % 4 || k > n - at - 4) {
                d->rejected++;
                return;
            }
            dispatch(d, p + at + 4, k, depth + 1);
            at += 4 + k;
        }
        return;
    }
    int res = 0;
    /* liblo copies the bytes it keeps; it does not write to them (its prototype predates const) */
    lo_message m = lo_message_deserialise((void *)p, n, &res);
    const char *path = m ? lo_get_path((void *)p, (ssize_t)n) : NULL;
    if (!m || !path) {
        if (m) lo_message_free(m);
        d->rejected++;
        return;
    }
    on_message(d, path, lo_message_get_types(m), lo_message_get_argv(m), lo_message_get_argc(m));
    lo_message_free(m);
}

void nr_osc_decode(const void *packet, size_t n, const nr_audio_client *c, uint32_t *accepted, uint32_t *rejected)
{
    osc_decode d = {c, 0, 0};
    dispatch(&d, packet, n, 0);
    *accepted += d.accepted;
    *rejected += d.rejected;
}

static void *receive(void *arg)
{
    nr_osc *o = arg;
    while (!atomic_load(&o->stop)) {
        struct pollfd pfd = {o->fd, POLLIN, 0};
        int k = poll(&pfd, 1, OSC_POLL_MS);
        if (k <= 0) continue;
        ssize_t n = recv(o->fd, o->buf, sizeof o->buf, 0);
        if (n <= 0) continue;
        uint32_t acc = 0, rej = 0;
        nr_osc_decode(o->buf, (size_t)n, &o->client, &acc, &rej);
        atomic_fetch_add(&o->accepted, acc);
        atomic_fetch_add(&o->rejected, rej);
    }
    return NULL;
}

nr_result nr_osc_start(const char *port, const char *bind_addr, const nr_audio_client *c, nr_osc **out)
{
    *out = NULL;
    if (port && strcmp(port, "0")) {
        char *end;
        long p = strtol(port, &end, 10);
        if (*end || p < 1 || p > 65535)
            return nr_fail(NR_ERR_ARG, "osc: port '%s'; expected a UDP port number 1..65535", port);
    } else {
        port = "0"; /* the kernel picks a free port */
    }
    if (!bind_addr || !*bind_addr) bind_addr = NR_OSC_DEFAULT_BIND;
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    int e = getaddrinfo(bind_addr, port, &hints, &ai);
    if (e != 0)
        return nr_fail(NR_ERR_ARG, "osc: bind address '%s': %s (expected an IP address such as 127.0.0.1, 0.0.0.0 "
                                   "or ::)", bind_addr, gai_strerror(e));
    nr_osc *o = calloc(1, sizeof *o);
    if (!o) {
        freeaddrinfo(ai);
        return nr_fail(NR_ERR_NOMEM, "osc: out of memory");
    }
    o->client = *c;
    o->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (o->fd < 0 || bind(o->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        int err = errno;
        if (o->fd >= 0) close(o->fd);
        free(o);
        freeaddrinfo(ai);
        return nr_fail(NR_ERR_DEVICE, "osc: cannot listen on UDP %s port %s (%s)", bind_addr, port, strerror(err));
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(o->fd, (struct sockaddr *)&ss, &sl) == 0)
        getnameinfo((struct sockaddr *)&ss, sl, o->addr, sizeof o->addr, NULL, 0, NI_NUMERICHOST);
    o->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                       : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (pthread_create(&o->thread, NULL, receive, o) != 0) {
        close(o->fd);
        free(o);
        return nr_fail(NR_ERR_DEVICE, "osc: cannot start the receive thread");
    }
    *out = o;
    return NR_OK;
}

int nr_osc_port(const nr_osc *o) { return o->port; }
const char *nr_osc_address(const nr_osc *o) { return o->addr; }
uint32_t nr_osc_accepted(const nr_osc *o) { return atomic_load(&((nr_osc *)o)->accepted); }
uint32_t nr_osc_rejected(const nr_osc *o) { return atomic_load(&((nr_osc *)o)->rejected); }

void nr_osc_stop(nr_osc *o)
{
    if (!o) return;
    atomic_store(&o->stop, 1);
    pthread_join(o->thread, NULL);
    close(o->fd);
    free(o);
}
