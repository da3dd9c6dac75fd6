/* Control scripts: parsing, errors naming file and line, sample-accurate playback. */
#include "control/script.h"
#include "fake_client.h"
#include "neurorack.h"
#include "nr_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void test_parse(void)
{
    const char *text = "# a performance\n"
                       "\n"
                       "0.250 gate 1 1   # kick\n"
                       "0.300 cv 2 1.5\n"
                       "0.300 trig 2\n"
                       "0.305 cv 4 -2\n"
                       "1.0 encoder +1\n"
                       "1.0 encoder -3\n"
                       "1.2 push\n"
                       "1.3 longpush\n"
                       "2 gate 1 0\n"
                       "end 8.0\n";
    nr_script s;
    NT_CHECKF(nr_script_parse(text, "perf.txt", &s) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(s.n == 10, "n = %zu", s.n);
    if (s.n != 10) return;
    NT_CHECK(s.end == 8.0);
    NT_CHECK(s.ev[0].t == 0.25 && s.ev[0].ev.type == NR_EV_GATE && s.ev[0].ev.index == 0 && s.ev[0].ev.value == 1);
    NT_CHECK(s.ev[1].ev.type == NR_EV_CV && s.ev[1].ev.index == 1 && s.ev[1].ev.value == 1.5f);
    NT_CHECK(s.ev[2].ev.type == NR_EV_GATE && s.ev[2].ev.index == 1 && s.ev[2].ev.value == 1);
    /* the trig's release (0.310) sorts after the cv at 0.305 */
    NT_CHECK(s.ev[3].ev.type == NR_EV_CV && s.ev[3].ev.index == 3 && s.ev[3].ev.value == -2.0f);
    NT_CHECK(s.ev[4].ev.type == NR_EV_GATE && s.ev[4].ev.value == 0 && s.ev[4].t > 0.309 && s.ev[4].t < 0.311);
    NT_CHECK(s.ev[5].ev.type == NR_EV_ENCODER && s.ev[5].ev.value == 1.0f);
    NT_CHECK(s.ev[6].ev.type == NR_EV_ENCODER && s.ev[6].ev.value == -3.0f);
    NT_CHECK(s.ev[7].ev.type == NR_EV_PUSH && s.ev[8].ev.type == NR_EV_LONG_PUSH);
    NT_CHECK(s.ev[9].t == 2.0 && s.ev[9].ev.value == 0);
    for (size_t i = 0; i < s.n; i++) NT_CHECK(s.ev[i].ev.time == -1);
    NT_CHECK(nr_script_duration(&s) == 8.0);
    nr_script_free(&s);

    NT_CHECK(nr_script_parse("", "empty", &s) == NR_OK && s.n == 0 && s.end < 0 && nr_script_duration(&s) == 0);
    nr_script_free(&s);
    NT_CHECK(nr_script_parse("0.5 push\n1.5 push", "x", &s) == NR_OK && s.n == 2 && nr_script_duration(&s) == 1.5);
    nr_script_free(&s);
}

/* Each bad script must fail with "name:LINE: ..." naming the right line. */
/* 200,000 trigs at one time (within the documented limits): parsed in O(n log n) (an insertion sort took
 * 31 s), every gate-on first in file order, then every release in file order. Plus interleaved trigs and
 * CV lines whose releases must land between later lines, against the order a plain stable sort gives. */
/* A note: gate low, pitch (1 V/oct, note 60 = 0 V), level (velocity / 127), gate high, all at its time;
 * velocity 0 only lowers the gate. */
static void test_note(void)
{
    nr_script s;
    NT_CHECKF(nr_script_parse("0.5 note 2 48 127\n0.7 note 2 48 0\n", "n.txt", &s) == NR_OK, "%s", nr_last_error());
    NT_CHECKF(s.n == 5, "n = %zu", s.n);
    if (s.n != 5) return;
    NT_CHECK(s.ev[0].ev.type == NR_EV_GATE && s.ev[0].ev.index == 1 && s.ev[0].ev.value == 0.0f);
    NT_CHECK(s.ev[1].ev.type == NR_EV_NOTE_PITCH && s.ev[1].ev.index == 1 && s.ev[1].ev.value == -1.0f);
    NT_CHECK(s.ev[2].ev.type == NR_EV_NOTE_LEVEL && s.ev[2].ev.value == 1.0f);
    NT_CHECK(s.ev[3].ev.type == NR_EV_GATE && s.ev[3].ev.value == 1.0f && s.ev[3].t == 0.5);
    NT_CHECK(s.ev[4].ev.type == NR_EV_GATE && s.ev[4].ev.value == 0.0f && s.ev[4].t == 0.7);
    nr_script_free(&s);
}

static void test_many_trigs(void)
{
    const int n = 200000;
    char *text = malloc((size_t)n * 16 + 1);
    size_t k = 0;
    for (int i = 0; i < n; i++) k += (size_t)sprintf(text + k, "1.5 trig %d\n", 1 + i % 2);
    nr_script s;
    clock_t c0 = clock();
    nr_result r = nr_script_parse(text, "many.txt", &s);
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    NT_CHECKF(r == NR_OK, "%s", nr_last_error());
    NT_CHECK(s.n == (size_t)(2 * n));
    int ordered = 1;
    for (size_t i = 0; r == NR_OK && i < s.n; i++) {
        int on = i < (size_t)n, g = (int)(i % (size_t)n) % 2;
        ordered &= s.ev[i].ev.index == g && (s.ev[i].ev.value == 1.0f) == on && s.ev[i].t == (on ? 1.5 : 1.5 + NR_SCRIPT_TRIG_S);
    }
    NT_CHECK(ordered);
    NT_CHECKF(cpu < 10.0, "parsing %d trigs took %.1f s of CPU time", n, cpu);
    printf("  %d trigs parsed in %.2f s of CPU time\n", n, cpu);
    nr_script_free(&s);
    /* trig at 0, cv at 0.005 (before the release at 0.010), cv at 0.010 (a tie with the release: the
     * release came first in file order, as the trig's line is earlier) */
    const char *t2 = "0 trig 1\n0.005 cv 1 1\n0.010 cv 2 2\n";
    NT_CHECKF(nr_script_parse(t2, "t2", &s) == NR_OK, "%s", nr_last_error());
    NT_CHECK(s.n == 4 && s.ev[0].ev.type == NR_EV_GATE && s.ev[1].ev.type == NR_EV_CV && s.ev[1].ev.index == 0 &&
             s.ev[2].ev.type == NR_EV_GATE && s.ev[2].ev.value == 0.0f && s.ev[3].ev.type == NR_EV_CV);
    nr_script_free(&s);
    free(text);
}

static void test_errors(void)
{
    static const struct {
        const char *text;
        int line;
        const char *word; /* a word the message must contain */
    } bad[] = {
        {"0.1 gate 1 1\nbanana\n", 2, "not a time"},
        {"0.1 gate 3 1\n", 1, "gate N"},
        {"0.1 gate 1 2\n", 1, "0 or 1"},
        {"0.1 gate 1\n", 1, "gate N"},
        {"\n\n0.1 cv 5 1\n", 3, "cv N"},
        {"0.1 cv 1 nan\n", 1, "volts"},
        {"0.1 cv 1 11\n", 1, "volts"},
        {"0.1 encoder 0\n", 1, "encoder STEPS"},
        {"0.1 note 1 60\n", 1, "note N NUMBER VELOCITY"},
        {"0.1 note 3 60 100\n", 1, "note N NUMBER VELOCITY"},
        {"0.1 note 1 128 100\n", 1, "note N NUMBER VELOCITY"},
        {"0.1 note 1 60 -1\n", 1, "note N NUMBER VELOCITY"},
        {"0.1 encoder x\n", 1, "encoder STEPS"},
        {"0.1 push 1\n", 1, "no argument"},
        {"0.5 push\n0.4 push\n", 2, "time order"},
        {"-1 push\n", 1, "not a time"},
        {"inf push\n", 1, "not a time"},
        {"0.1 wiggle\n", 1, "unknown event"},
        {"0.1\n", 1, "without an event"},
        {"end 2\nend 3\n", 2, "second 'end'"},
        {"end 2\n3 push\n", 2, "after 'end'"},
        {"5 push\nend 2\n", 2, "before the last event"},
        {"end\n", 1, "'end' needs"},
        {"0.1 gate 1 1 1 1 1 1 1 1\n", 1, "too many words"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nr_script s;
        nr_result r = nr_script_parse(bad[i].text, "bad.txt", &s);
        char want[32];
        snprintf(want, sizeof want, "bad.txt:%d: ", bad[i].line);
        NT_CHECKF(r == NR_ERR_FORMAT, "case %zu: accepted", i);
        NT_CHECKF(!strncmp(nr_last_error(), want, strlen(want)), "case %zu: '%s' does not start with '%s'", i,
                  nr_last_error(), want);
        NT_CHECKF(strstr(nr_last_error(), bad[i].word) != NULL, "case %zu: '%s' lacks '%s'", i, nr_last_error(),
                  bad[i].word);
        NT_CHECKF(!strchr(nr_last_error(), '\n'), "case %zu: message is not one line", i);
    }
    char *long_line = malloc(3000);
    memset(long_line, ' ', 2999);
    long_line[2999] = '\0';
    nr_script s;
    NT_CHECK(nr_script_parse(long_line, "long.txt", &s) == NR_ERR_FORMAT && strstr(nr_last_error(), "long.txt:1:"));
    free(long_line);
}

static void test_load(void)
{
    nr_script s;
    const char *path = nt_tmp("perf.txt");
    NT_CHECK(nt_write_file(path, "0 gate 1 1\n0.5 gate 1 0\n0.5 cv 1 x\n", 35) == 0);
    NT_CHECK(nr_script_load(path, &s) == NR_ERR_FORMAT);
    char want[1100];
    snprintf(want, sizeof want, "%s:3: ", path);
    NT_CHECKF(!strncmp(nr_last_error(), want, strlen(want)), "got '%s'", nr_last_error());
    NT_CHECK(nr_script_load(nt_tmp("missing.txt"), &s) == NR_ERR_IO && strstr(nr_last_error(), "missing.txt"));
    NT_CHECK(nt_write_file(path, "0 push\n\0\n", 9) == 0);
    NT_CHECK(nr_script_load(path, &s) == NR_ERR_FORMAT && strstr(nr_last_error(), "NUL"));
    NT_CHECK(nt_write_file(path, "0 push\r\n1 push\r\n", 16) == 0);
    NT_CHECKF(nr_script_load(path, &s) == NR_OK && s.n == 2, "CRLF: %s", nr_last_error());
    nr_script_free(&s);
}

/* The player posts each event in the block it falls in, stamped with its exact sample time. */
static void test_player(void)
{
    nr_script s;
    NT_CHECK(nr_script_parse("0.001 gate 1 1\n0.0013 cv 1 2\n0.002 gate 1 0\n0.01 push\n", "p", &s) == NR_OK);
    fake_client f;
    nr_audio_client c = fake_client_init(&f);
    nr_script_player p;
    nr_script_player_init(&p, &s, 48000);
    NT_CHECK(nr_script_player_next_time(&p) == 48);
    float out[64];
    int posted = 0;
    for (int64_t t = 0; t < 960; t += 64) {
        posted += nr_script_player_due(&p, t + 64, &c);
        c.process(c.ctx, out, 64);
        if (t == 0) {
            NT_CHECK(out[47] == 0.0f && out[48] == 0.5f);                    /* gate at 48 */
            NT_CHECKF(out[61] == 0.5f && out[62] == 0.5f + 0.02f, "%g", out[62]); /* cv at 0.0013 s = sample 62.4 -> 62 */
        }
        if (t == 64) NT_CHECK(out[96 - 64 - 1] > 0.5f && out[96 - 64] == 0.02f); /* gate off at 96 */
    }
    NT_CHECK(posted == 4 && f.pushes == 1 && f.n_gate_on == 1 && f.gate_on_at[0] == 48);
    NT_CHECK(nr_script_player_next_time(&p) == INT64_MAX);
    nr_script_free(&s);
}

int main(void)
{
    NT_RUN(test_parse);
    NT_RUN(test_note);
    NT_RUN(test_many_trigs);
    NT_RUN(test_errors);
    NT_RUN(test_load);
    NT_RUN(test_player);
    return nt_end();
}
