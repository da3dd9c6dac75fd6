/* Core pieces: error messages, tensor sets, curve resampling. */
#include "neurorack.h"
#include "nr_test.h"

#include <math.h>
#include <string.h>

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

int main(void)
{
    NT_RUN(test_error_message);
    NT_RUN(test_tensor_set);
    NT_RUN(test_curves_resample);
    NT_RUN(test_transpose);
    NT_RUN(test_median_pitch);
    return nt_end();
}
