/* OSC: address parsing, and messages over UDP loopback (127.0.0.1, a free port) reaching the queue. */
#include "control/osc.h"
#include "fake_client.h"
#include "neurorack.h"
#include "nr_test.h"

#include <lo/lo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

static void test_parse(void)
{
    nr_control_event ev[2];
    double a[2] = {1, 0};
    NT_CHECK(nr_osc_parse("/neurorack/gate/1", 1, a, ev) == 1 && ev[0].type == NR_EV_GATE && ev[0].index == 0 &&
             ev[0].value == 1.0f && ev[0].time == -1);
    a[0] = 0;
    NT_CHECK(nr_osc_parse("/neurorack/gate/2", 1, a, ev) == 1 && ev[0].index == 1 && ev[0].value == 0.0f);
    NT_CHECK(nr_osc_parse("/neurorack/gate/2", 0, a, ev) == 2 && ev[0].value == 1.0f && ev[1].value == 0.0f &&
             ev[1].index == 1);
    a[0] = -2.5;
    NT_CHECK(nr_osc_parse("/neurorack/cv/4", 1, a, ev) == 1 && ev[0].type == NR_EV_CV && ev[0].index == 3 &&
             ev[0].value == -2.5f);
    a[0] = 3;
    NT_CHECK(nr_osc_parse("/neurorack/encoder", 1, a, ev) == 1 && ev[0].type == NR_EV_ENCODER && ev[0].value == 3);
    NT_CHECK(nr_osc_parse("/neurorack/push", 0, a, ev) == 1 && ev[0].type == NR_EV_PUSH);
    NT_CHECK(nr_osc_parse("/neurorack/longpush", 0, a, ev) == 1 && ev[0].type == NR_EV_LONG_PUSH);
    a[0] = 0;
    NT_CHECK(nr_osc_parse("/neurorack/push", 1, a, ev) == 0); /* button release */
    /* not ours or wrong */
    a[0] = NAN;
    NT_CHECK(nr_osc_parse("/neurorack/cv/1", 1, a, ev) == -1);
    a[0] = 20;
    NT_CHECK(nr_osc_parse("/neurorack/cv/1", 1, a, ev) == -1);
    NT_CHECK(nr_osc_parse("/neurorack/cv/5", 1, a, ev) == -1);
    NT_CHECK(nr_osc_parse("/neurorack/cv/0", 1, a, ev) == -1);
    NT_CHECK(nr_osc_parse("/neurorack/cv/11", 1, a, ev) == -1);
    NT_CHECK(nr_osc_parse("/neurorack/gate/3", 0, a, ev) == -1);
    NT_CHECK(nr_osc_parse("/neurorack/cv/1", 0, a, ev) == -1);
    a[0] = 0.5;
    NT_CHECK(nr_osc_parse("/neurorack/encoder", 1, a, ev) == -1);
    NT_CHECK(nr_osc_parse("/other/gate/1", 0, a, ev) == -1);
    NT_CHECK(nr_osc_parse("/neurorack/volume", 1, a, ev) == -1);
}

/* nr_osc_decode on packet bytes, no socket: a bundle holding a gate and a CV message, a NaN CV, a
 * malformed packet, a bundle element that runs past the end, and a bundle nested too deep. */
static void test_decode_bytes(void)
{
    fake_client f;
    nr_audio_client c = fake_client_init(&f);
    uint32_t acc = 0, rej = 0;
    lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
    lo_message g = lo_message_new(), cv = lo_message_new();
    lo_message_add_int32(g, 1);
    lo_message_add_float(cv, 2.5f);
    lo_bundle_add_message(b, "/neurorack/gate/2", g);
    lo_bundle_add_message(b, "/neurorack/cv/3", cv);
    size_t n = 0;
    void *bytes = lo_bundle_serialise(b, NULL, &n);
    nr_osc_decode(bytes, n, &c, &acc, &rej);
    NT_CHECKF(acc == 2 && rej == 0 && atomic_load(&f.head) == 2, "bundle: %u accepted, %u rejected", acc, rej);
    NT_CHECK(f.q[0].type == NR_EV_GATE && f.q[0].index == 1 && f.q[1].type == NR_EV_CV && f.q[1].value == 2.5f);
    /* the last element's size one byte more than is left */
    unsigned char *p = bytes;
    size_t last = n - lo_message_length(cv, "/neurorack/cv/3") - 4;
    p[last + 3]++;
    nr_osc_decode(bytes, n, &c, &acc, &rej); /* the gate before it still goes out: elements in order */
    NT_CHECKF(acc == 3 && rej == 1, "overrun bundle: %u accepted, %u rejected", acc, rej);
    free(bytes);
    lo_bundle_free_recursive(b);

    lo_message nan_cv = lo_message_new();
    lo_message_add_float(nan_cv, NAN);
    bytes = lo_message_serialise(nan_cv, "/neurorack/cv/1", NULL, &n);
    nr_osc_decode(bytes, n, &c, &acc, &rej);
    NT_CHECKF(acc == 3 && rej == 2, "NaN CV: %u accepted, %u rejected", acc, rej);
    free(bytes);
    lo_message_free(nan_cv);

    static const unsigned char junk[] = "/neurorack/push\0,i"; /* type tag string not padded, no argument */
    nr_osc_decode(junk, sizeof junk - 1, &c, &acc, &rej);
    NT_CHECKF(acc == 3 && rej == 3, "malformed: %u accepted, %u rejected", acc, rej);

    /* "#bundle" nested 6 deep around a push: deeper than 4 is refused */
    unsigned char deep[6 * 20 + 32];
    static const unsigned char push[] = "/neurorack/push\0,\0\0\0";
    size_t len = sizeof push - 1;
    memcpy(deep + sizeof deep - len, push, len);
    for (int d = 0; d < 6; d++) {
        unsigned char *q = deep + sizeof deep - len - 20;
        memcpy(q, "#bundle\0\0\0\0\0\0\0\0\1", 16);
        q[16] = 0, q[17] = 0, q[18] = (unsigned char)(len >> 8), q[19] = (unsigned char)len;
        len += 20;
    }
    nr_osc_decode(deep + sizeof deep - len, len, &c, &acc, &rej);
    NT_CHECKF(acc == 3 && rej == 4 && atomic_load(&f.head) == 3, "deep bundle: %u accepted, %u rejected", acc, rej);
}

static int wait_events(fake_client *f, unsigned n)
{
    for (int i = 0; i < 400; i++) {
        if (atomic_load(&f->head) >= n) return 1;
        usleep(5000);
    }
    return 0;
}

static void test_loopback(void)
{
    fake_client f;
    nr_audio_client c = fake_client_init(&f);
    nr_osc *osc;
    if (nr_osc_start(NULL, NULL, &c, &osc) != NR_OK) {
        NT_CHECKF(0, "%s", nr_last_error());
        return;
    }
    int port = nr_osc_port(osc);
    NT_CHECK(port > 0 && port < 65536);
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    lo_address to = lo_address_new("127.0.0.1", ps);
    NT_CHECK(lo_send(to, "/neurorack/gate/1", "i", 1) > 0);
    NT_CHECK(lo_send(to, "/neurorack/cv/2", "f", 1.5f) > 0);
    NT_CHECK(lo_send(to, "/neurorack/encoder", "i", -2) > 0);
    NT_CHECK(lo_send(to, "/neurorack/push", "") > 0);
    NT_CHECK(lo_send(to, "/neurorack/cv/9", "f", 1.0f) > 0);  /* rejected */
    NT_CHECK(lo_send(to, "/neurorack/cv/1", "s", "x") > 0);   /* rejected */
    NT_CHECK(lo_send(to, "/neurorack/gate/2", "") > 0);      /* trigger: two events */
    NT_CHECK(lo_send(to, "/neurorack/gate/1", "F") > 0);
    /* 8-byte arguments at 4-byte offsets in the packet (UBSan caught reads of them in place) */
    NT_CHECK(lo_send(to, "/neurorack/cv/3", "ff", 1.0f, 2.0f) > 0); /* rejected: two values */
    NT_CHECK(lo_send(to, "/neurorack/cv/4", "d", 2.5) > 0);
    NT_CHECK(lo_send(to, "/neurorack/cv/3", "h", (int64_t)-3) > 0);
    NT_CHECKF(wait_events(&f, 9), "only %u events arrived", atomic_load(&f.head));
    for (int i = 0; i < 100 && nr_osc_rejected(osc) < 3; i++) usleep(5000);
    NT_CHECK(nr_osc_accepted(osc) == 8 && nr_osc_rejected(osc) == 3);
    float out[16];
    fake_process(&f, out, 16);
    NT_CHECK(f.cv[1] == 1.5f && f.encoder == -2 && f.pushes == 1);
    NT_CHECK(f.cv[3] == 2.5f && f.cv[2] == -3.0f);
    NT_CHECK(f.n_gate_on == 2 && !f.gate[0] && !f.gate[1]); /* gate 1 on then off; gate 2 triggered */
    lo_address_free(to);

    /* the port is taken now: a second server on it says so in one line */
    nr_osc *o2 = NULL;
    NT_CHECK(nr_osc_start(ps, NULL, &c, &o2) == NR_ERR_DEVICE && !o2 && !strchr(nr_last_error(), '\n'));
    NT_CHECK(strstr(nr_last_error(), ps) != NULL);
    nr_osc_stop(osc);
    NT_CHECK(nr_osc_start("70000", NULL, &c, &o2) == NR_ERR_ARG);
    NT_CHECK(nr_osc_start("abc", NULL, &c, &o2) == NR_ERR_ARG);
    NT_CHECK(nr_osc_start(NULL, "example.org", &c, &o2) == NR_ERR_ARG && strstr(nr_last_error(), "example.org"));
}

/* By default only this machine can send: the socket is bound to 127.0.0.1, not to every interface; an
 * address opens it deliberately. Bundles (a message inside a bundle inside a bundle) are played; a
 * malformed bundle is counted as rejected. */
static void test_bind_and_bundles(void)
{
    fake_client f;
    nr_audio_client c = fake_client_init(&f);
    nr_osc *osc = NULL;
    NT_CHECKF(nr_osc_start(NULL, NULL, &c, &osc) == NR_OK, "%s", nr_last_error());
    if (!osc) return;
    NT_CHECKF(!strcmp(nr_osc_address(osc), "127.0.0.1"), "listening on %s", nr_osc_address(osc));
    char ps[16];
    snprintf(ps, sizeof ps, "%d", nr_osc_port(osc));
    lo_address to = lo_address_new("127.0.0.1", ps);
    lo_bundle inner = lo_bundle_new(LO_TT_IMMEDIATE), outer = lo_bundle_new(LO_TT_IMMEDIATE);
    lo_message m1 = lo_message_new(), m2 = lo_message_new();
    lo_message_add_float(m1, 2.0f);
    lo_message_add_float(m2, -1.0f);
    lo_bundle_add_message(inner, "/neurorack/cv/1", m1);
    lo_bundle_add_bundle(outer, inner);
    lo_bundle_add_message(outer, "/neurorack/cv/4", m2);
    NT_CHECK(lo_send_bundle(to, outer) > 0);
    NT_CHECKF(wait_events(&f, 2), "only %u events arrived", atomic_load(&f.head));
    float out[16];
    fake_process(&f, out, 16);
    NT_CHECK(f.cv[0] == 2.0f && f.cv[3] == -1.0f);
    int s = socket(AF_INET, SOCK_DGRAM, 0); /* "#bundle", a time tag, an element running past the end */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)nr_osc_port(osc))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const unsigned char bad[24] = {'#', 'b', 'u', 'n', 'd', 'l', 'e', 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0};
    NT_CHECK(sendto(s, bad, sizeof bad, 0, (struct sockaddr *)&sa, sizeof sa) == (ssize_t)sizeof bad);
    close(s);
    for (int i = 0; i < 100 && nr_osc_rejected(osc) < 1; i++) usleep(5000);
    NT_CHECK(nr_osc_rejected(osc) == 1 && nr_osc_accepted(osc) == 2);
    lo_bundle_free_recursive(outer);
    lo_address_free(to);
    nr_osc_stop(osc);
    NT_CHECKF(nr_osc_start("0", "0.0.0.0", &c, &osc) == NR_OK, "%s", nr_last_error());
    if (osc) NT_CHECK(!strcmp(nr_osc_address(osc), "0.0.0.0"));
    nr_osc_stop(osc);
}

int main(void)
{
    NT_RUN(test_parse);
    NT_RUN(test_decode_bytes);
    NT_RUN(test_loopback);
    NT_RUN(test_bind_and_bundles);
    return nt_end();
}
