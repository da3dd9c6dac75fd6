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

int main(void)
{
    NT_RUN(test_error_message);
    NT_RUN(test_tensor_set);
    NT_RUN(test_curves_resample);
    return nt_end();
}
