/* Core pieces: error messages, tensor sets, curve resampling. */
#include "neurorack.h"
#include "nr_test.h"
#include "core/team.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

static void test_error_message(void)
{
    nr_result r = nr_fail(NR_ERR_FORMAT, "bad magic %d", 7);
    NT_CHECK(r == NR_ERR_FORMAT);
    NT_CHECK(!strcmp(nr_last_error(), "bad magic 7"));
    nr_fail_prefix(r, "x.th");
    NT_CHECKF(!strcmp(nr_last_error(), "x.th: bad magic 7"), "got '%s'", nr_last_error());
}

static void test_tensor_set(void)
{
    nr_tensor_set s = {0};
    int64_t shape[2] = {2, 3};
    float d[6] = {1, 2, 3, 4, 5, 6};
    NT_CHECK(nr_tensor_set_add(&s, "a", 2, shape, d) == NR_OK);
    NT_CHECK(nr_tensor_set_add(&s, "a", 2, shape, d) == NR_ERR_FORMAT);
    const nr_tensor *t = nr_tensor_set_find(&s, "a");
    NT_CHECK(t && t->numel == 6 && t->data[5] == 6.0f && ((uintptr_t)t->data & 63) == 0);
    NT_CHECK(nr_tensor_set_set_meta(&s, "k", "v1") == NR_OK);
    NT_CHECK(nr_tensor_set_set_meta(&s, "k", "v2") == NR_OK);
    NT_CHECK(s.n_meta == 1 && !strcmp(nr_tensor_set_meta(&s, "k"), "v2"));
    NT_CHECK(nr_tensor_set_meta(&s, "missing") == NULL);
    int64_t huge[3] = {1 << 20, 1 << 20, 1 << 20};
    NT_CHECK(nr_tensor_set_add(&s, "huge", 3, huge, NULL) == NR_ERR_SHAPE);
    nr_tensor_set_free(&s);
}

static void test_curves_resample(void)
{
    nr_curves a, b;
    NT_CHECK(nr_curves_alloc(&a, 10, 10.0f) == NR_OK);
    for (int i = 0; i < 10; i++)
        for (int d = 0; d < NR_NUM_DESC; d++) a.data[i * NR_NUM_DESC + d] = (float)(i * (d + 1));
    NT_CHECK(nr_curves_resample(&a, 20.0f, &b) == NR_OK);
    NT_CHECK(b.n_frames == 20);
    NT_CHECKF(fabsf(b.data[3 * NR_NUM_DESC + 1] - 3.0f) < 1e-6f, "got %g", b.data[3 * NR_NUM_DESC + 1]);
    NT_CHECK(b.data[19 * NR_NUM_DESC] == 9.0f); /* end held */
    nr_curves_free(&b);
    NT_CHECK(nr_curves_resample(&a, 10.0f, &b) == NR_OK && b.n_frames == 10 && b.data[69] == a.data[69]);
    nr_curves_free(&b);
    nr_curves_free(&a);
}

/* 1 V = one octave exactly; the pitch column alone moves; garbage CVs cannot make inf or NaN. */
static void test_transpose(void)
{
    NT_CHECK(nr_pitch_factor(1.0) == 2.0);
    NT_CHECK(nr_pitch_factor(-1.0) == 0.5);
    NT_CHECK(nr_pitch_factor(0.0) == 1.0);
    NT_CHECK(fabs(nr_pitch_factor(7.0 / 12.0) - 1.4983070768766815) < 1e-12);
    NT_CHECK(nr_pitch_factor(NAN) == 1.0);
    NT_CHECK(nr_pitch_factor(INFINITY) == 1024.0 && nr_pitch_factor(-INFINITY) == 1.0 / 1024.0);
    nr_curves c;
    NT_CHECK(nr_curves_alloc(&c, 3, 100.0f) == NR_OK);
    for (int i = 0; i < 3 * NR_NUM_DESC; i++) c.data[i] = 100.0f + i;
    nr_curves_transpose(&c, -12.0);
    for (int t = 0; t < 3; t++)
        for (int d = 0; d < NR_NUM_DESC; d++) {
            float orig = 100.0f + t * NR_NUM_DESC + d;
            NT_CHECKF(c.data[t * NR_NUM_DESC + d] == (d == NR_DESC_PITCH ? orig * 0.5f : orig), "frame %d col %d", t, d);
        }
    nr_curves_free(&c);
}

/* Median pitch over loud frames: quiet frames and pitches outside the range do not count. */
static void test_median_pitch(void)
{
    nr_curves c;
    NT_CHECK(nr_curves_alloc(&c, 6, 100.0f) == NR_OK);
    const float rms[6] = {1.0f, 0.5f, 0.2f, 0.001f, 0.9f, 0.3f}, f0[6] = {100, 110, 120, 400, 1.0f, 130};
    for (int t = 0; t < 6; t++) {
        c.data[t * NR_NUM_DESC + NR_DESC_LOUDNESS] = rms[t];
        c.data[t * NR_NUM_DESC + NR_DESC_PITCH] = f0[t];
    }
    /* within 20 dB (rms >= 0.1): frames 0, 1, 2, 4, 5; frame 4's 1 Hz is outside 50..5000 */
    NT_CHECK(fabs(nr_curves_median_pitch(&c, 20.0, 50.0, 5000.0) - 115.0) < 1e-9);
    /* within 6 dB (rms >= 0.501): frames 0 and 4, and 4 is out of range */
    NT_CHECK(fabs(nr_curves_median_pitch(&c, 6.0, 50.0, 5000.0) - 100.0) < 1e-9);
    NT_CHECK(nr_curves_median_pitch(&c, 20.0, 1000.0, 5000.0) == 0.0);
    nr_curves_free(&c);
}

/* Onset pitch: frames before the first two that agree take the first of them; an onset that already
 * agrees, a disagreement after the window and non-finite values are left alone. */
static void set_pitch(nr_curves *c, const float *f0, int n)
{
    for (int t = 0; t < n; t++) {
        for (int d = 0; d < NR_NUM_DESC; d++) c->data[t * NR_NUM_DESC + d] = 0.5f + d;
        c->data[t * NR_NUM_DESC + NR_DESC_PITCH] = f0[t];
    }
}

static void test_settle_onset_pitch(void)
{
    nr_curves c;
    NT_CHECK(nr_curves_alloc(&c, 6, 43.0f) == NR_OK);
    /* yin's frame 0 at the top of its range, then the note */
    const float a[6] = {5512.5f, 825.0f, 828.0f, 834.0f, 830.0f, 831.0f};
    set_pitch(&c, a, 6);
    NT_CHECK(nr_curves_settle_onset_pitch(&c, 0.75, 0.1) == 1);
    NT_CHECK(c.data[NR_DESC_PITCH] == 825.0f);
    for (int t = 1; t < 6; t++) NT_CHECKF(c.data[t * NR_NUM_DESC + NR_DESC_PITCH] == a[t], "frame %d", t);
    for (int d = 0; d < NR_NUM_DESC; d++)
        if (d != NR_DESC_PITCH) NT_CHECKF(c.data[d] == 0.5f + d, "column %d moved", d); /* only pitch */
    /* two wrong frames (an octave error on frame 1 too), then agreement */
    const float b[6] = {4000.0f, 1660.0f, 52.0f, 53.0f, 53.0f, 52.0f};
    set_pitch(&c, b, 6);
    NT_CHECK(nr_curves_settle_onset_pitch(&c, 0.75, 0.1) == 2);
    NT_CHECK(c.data[NR_DESC_PITCH] == 52.0f && c.data[NR_NUM_DESC + NR_DESC_PITCH] == 52.0f);
    /* an onset that agrees: nothing moves, even a later jump (a kick's sweep, a new note) */
    const float d0[6] = {200.0f, 180.0f, 150.0f, 400.0f, 90.0f, 80.0f};
    set_pitch(&c, d0, 6);
    NT_CHECK(nr_curves_settle_onset_pitch(&c, 0.75, 0.1) == 0);
    for (int t = 0; t < 6; t++) NT_CHECK(c.data[t * NR_NUM_DESC + NR_DESC_PITCH] == d0[t]);
    /* only pairs starting in the first 0.1 s are looked at (frames 0..4 at 43 frames/s, 0..2 at 25) */
    const float e[6] = {100.0f, 400.0f, 100.0f, 400.0f, 100.0f, 101.0f};
    set_pitch(&c, e, 6);
    NT_CHECK(nr_curves_settle_onset_pitch(&c, 0.75, 0.1) == 4);
    NT_CHECK(c.data[NR_DESC_PITCH] == 100.0f && c.data[NR_NUM_DESC + NR_DESC_PITCH] == 100.0f);
    c.frame_rate = 25.0f;
    set_pitch(&c, e, 6);
    NT_CHECK(nr_curves_settle_onset_pitch(&c, 0.75, 0.1) == 0);
    NT_CHECK(c.data[NR_DESC_PITCH] == 100.0f && c.data[NR_NUM_DESC + NR_DESC_PITCH] == 400.0f);
    c.frame_rate = 43.0f;
    /* a lost value is no agreement */
    const float g[6] = {3000.0f, NAN, 90.0f, 91.0f, 90.0f, 90.0f};
    set_pitch(&c, g, 6);
    NT_CHECK(nr_curves_settle_onset_pitch(&c, 0.75, 0.1) == 2);
    NT_CHECK(c.data[NR_DESC_PITCH] == 90.0f && c.data[NR_NUM_DESC + NR_DESC_PITCH] == 90.0f);
    nr_curves_free(&c);
    /* one frame: nothing to compare */
    NT_CHECK(nr_curves_alloc(&c, 1, 43.0f) == NR_OK);
    set_pitch(&c, a, 1);
    NT_CHECK(nr_curves_settle_onset_pitch(&c, 0.75, 0.1) == 0 && c.data[NR_DESC_PITCH] == 5512.5f);
    nr_curves_free(&c);
}

/* A team's barriers order its members' phases: in every job each member writes its slot of a round, waits,
 * then checks that every other member's slot of that round is written; the same for the split barrier
 * (write, arrive, in odd rounds a full barrier between, await, check); many jobs, teams of 1 to 4, and
 * the share helper's cover of 0 .. n. */
enum { TEAM_ROUNDS = 20, TEAM_JOBS = 300 };
typedef struct {
    nr_team *team;
    int job;
    int slot[TEAM_ROUNDS][NR_TEAM_MAX], early[TEAM_ROUNDS][NR_TEAM_MAX];
    atomic_int bad, bad_split, calls;
} team_check;

static void team_job(void *arg, int tid, int nt)
{
    team_check *c = arg;
    atomic_fetch_add(&c->calls, 1);
    for (int r = 0; r < TEAM_ROUNDS; r++) {
        const int stamp = c->job * TEAM_ROUNDS + r + 1;
        c->early[r][tid] = stamp;
        nr_team_arrive(c->team);
        if (r % 2) {
            c->slot[r][tid] = stamp;
            nr_team_barrier(c->team);
            for (int k = 0; k < nt; k++)
                if (c->slot[r][k] != stamp) atomic_fetch_add(&c->bad, 1);
        }
        nr_team_await(c->team);
        for (int k = 0; k < nt; k++)
            if (c->early[r][k] != stamp) atomic_fetch_add(&c->bad_split, 1);
    }
}

static void test_team(void)
{
    for (int n = 1; n <= 4; n++) {
        team_check *c = calloc(1, sizeof *c);
        nr_result r = nr_team_create(n, &c->team);
        NT_CHECKF(r == NR_OK && nr_team_size(c->team) == n, "team of %d: %s", n, nr_last_error());
        for (c->job = 0; r == NR_OK && c->job < TEAM_JOBS; c->job++) nr_team_run(c->team, team_job, c);
        NT_CHECKF(atomic_load(&c->bad) == 0, "team of %d: %d slots seen before their barrier", n, atomic_load(&c->bad));
        NT_CHECKF(atomic_load(&c->bad_split) == 0, "team of %d: %d slots seen before every member arrived", n,
                  atomic_load(&c->bad_split));
        NT_CHECKF(atomic_load(&c->calls) == n * TEAM_JOBS, "team of %d: %d member calls, want %d", n,
                  atomic_load(&c->calls), n * TEAM_JOBS);
        nr_team_free(c->team);
        free(c);
    }
    nr_team *t = NULL;
    NT_CHECK(nr_team_create(0, &t) != NR_OK && t == NULL);
    NT_CHECK(nr_team_create(NR_TEAM_MAX + 1, &t) != NR_OK && t == NULL);
    nr_team_free(NULL);
    for (int n = 0; n <= 530; n += 53)
        for (int nt = 1; nt <= 5; nt++) {
            int next = 0, ok = 1;
            for (int tid = 0; tid < nt; tid++) {
                int a, b;
                nr_team_share(n, tid, nt, 16, &a, &b);
                ok &= a == next && b >= a && (tid + 1 == nt || b % 16 == 0);
                next = b;
            }
            NT_CHECKF(ok && next == n, "share of %d over %d members does not tile 0..%d", n, nt, n);
        }
}

/* The default model: $NEURORACK_MODEL first, else default.safetensors in the folders beside the program
 * (this test's own folder: build/tests, whose models/, ../models and ../share/neurorack/models hold none). */
static void test_default_model_path(void)
{
    char exe[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    NT_CHECK(len > 0);
    if (len <= 0) return;
    exe[len] = '\0';
    *strrchr(exe, '/') = '\0';
    const char *want[] = {"/models", "/../models", "/../share/neurorack/models"};
    for (int i = 0; i < 3; i++) {
        char expect[PATH_MAX + 64];
        snprintf(expect, sizeof expect, "%s%s", exe, want[i]);
        NT_CHECKF(nr_model_dir(i, dir, sizeof dir) && !strcmp(dir, expect), "dir %d: %s", i, dir);
    }
    NT_CHECK(!nr_model_dir(3, dir, sizeof dir) && !nr_model_dir(-1, dir, sizeof dir));
    NT_CHECK(!nr_model_dir(0, dir, 4)); /* does not fit */

    const char *old = getenv("NEURORACK_MODEL");
    char saved[PATH_MAX] = "";
    if (old) snprintf(saved, sizeof saved, "%s", old);
    setenv("NEURORACK_MODEL", "/some/where/m.safetensors", 1);
    NT_CHECK(nr_model_default_path(path, sizeof path) && !strcmp(path, "/some/where/m.safetensors"));
    unsetenv("NEURORACK_MODEL");
    int found = 0;
    for (int i = 0; nr_model_dir(i, dir, sizeof dir); i++) {
        char f[PATH_MAX + 32];
        snprintf(f, sizeof f, "%s/default.safetensors", dir);
        found |= access(f, R_OK) == 0;
    }
    NT_CHECK(nr_model_default_path(path, sizeof path) == found);
    if (old) setenv("NEURORACK_MODEL", saved, 1);
}

int main(void)
{
    NT_RUN(test_error_message);
    NT_RUN(test_tensor_set);
    NT_RUN(test_curves_resample);
    NT_RUN(test_transpose);
    NT_RUN(test_median_pitch);
    NT_RUN(test_settle_onset_pitch);
    NT_RUN(test_team);
    NT_RUN(test_default_model_path);
    return nt_end();
}
