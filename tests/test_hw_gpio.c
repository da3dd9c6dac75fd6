/* GPIO inputs: the quadrature decoder against clean and bouncing sequences, the push button (short,
 * long, bounce), gates on GPIO edges, all through nr_hw and the recording fake's edge queues. */
#include "hw/encoder.h"
#include "hw/hw.h"
#include "nr_test.h"
#include "test_hw_fake.h"

#define MS 1000000LL
#define US 1000LL

/* Levels (a, b) of one clockwise detent from rest (1, 1) with pull-ups: A leads. */
static const int cw[4][2] = {{0, 1}, {0, 0}, {1, 0}, {1, 1}};

static int feed(nr_quad *q, const int (*seq)[2], int n)
{
    int sum = 0;
    for (int i = 0; i < n; i++) sum += nr_quad_update(q, seq[i][0], seq[i][1]);
    return sum;
}

static void test_quad_clean(void)
{
    nr_quad q;
    nr_quad_init(&q, 1, 1);
    NT_CHECK(feed(&q, cw, 4) == 1);
    NT_CHECK(feed(&q, cw, 4) == 1);
    const int ccw[4][2] = {{1, 0}, {0, 0}, {0, 1}, {1, 1}};
    NT_CHECK(feed(&q, ccw, 4) == -1);
    /* each count only at the detent, after the whole cycle */
    NT_CHECK(nr_quad_update(&q, 0, 1) == 0 && nr_quad_update(&q, 0, 0) == 0 && nr_quad_update(&q, 1, 0) == 0);
    NT_CHECK(nr_quad_update(&q, 1, 1) == 1);
    /* an encoder resting at 0, 0 */
    nr_quad_init(&q, 0, 0);
    const int cw0[4][2] = {{1, 0}, {1, 1}, {0, 1}, {0, 0}};
    NT_CHECK(feed(&q, cw0, 4) == 1);
}

static void test_quad_bounce(void)
{
    nr_quad q;
    nr_quad_init(&q, 1, 1);
    /* A chatters on its first edge, B on its edge, A again on the last one */
    const int s1[][2] = {{0, 1}, {1, 1}, {0, 1}, {1, 1}, {0, 1}, {0, 0}, {0, 1}, {0, 0},
                         {1, 0}, {1, 1}, {1, 0}, {1, 1}};
    NT_CHECK(feed(&q, s1, (int)(sizeof s1 / sizeof s1[0])) == 1);
    /* a half turn and back: nothing */
    const int s2[][2] = {{0, 1}, {0, 0}, {0, 1}, {1, 1}};
    NT_CHECK(feed(&q, s2, 4) == 0);
    /* a jump over a state (two lines at once, an edge lost): nothing, and the next clean detent counts */
    const int s3[][2] = {{0, 0}, {1, 1}};
    NT_CHECK(feed(&q, s3, 2) == 0);
    NT_CHECK(feed(&q, cw, 4) == 1);
    /* many detents each way, every edge chattering an odd number of times (so it lands on the new level) */
    uint32_t rng = 12345;
    int total = 0, expect = 0;
    for (int d = 0; d < 200; d++) {
        int dir = (d / 37) % 2 ? -1 : 1, a = 1, b = 1;
        expect += dir;
        for (int step = 0; step < 4; step++) {
            /* clockwise changes A, B, A, B; counter-clockwise B, A, B, A */
            int line_a = (step % 2 == 0) == (dir > 0);
            rng = rng * 1103515245u + 12345u;
            int chatter = 1 + 2 * (int)(rng >> 28 & 3);
            for (int k = 0; k < chatter; k++) {
                if (line_a) a ^= 1;
                else b ^= 1;
                total += nr_quad_update(&q, a, b);
            }
        }
    }
    NT_CHECKF(total == expect, "counted %d detents, turned %d", total, expect);
}

static void test_button(void)
{
    nr_button b;
    nr_button_init(&b, 0, 5, 600);
    int64_t t = 1000 * MS;
    /* press with bounce: settles 5 ms after the last edge */
    nr_button_edge(&b, 1, t);
    nr_button_edge(&b, 0, t + 300 * US);
    nr_button_edge(&b, 1, t + 800 * US);
    NT_CHECK(nr_button_poll(&b, t + 2 * MS) == NR_BUTTON_NONE && !b.pressed);
    NT_CHECK(nr_button_deadline(&b) == t + 5800 * US);
    NT_CHECK(nr_button_poll(&b, t + 6 * MS) == NR_BUTTON_NONE && b.pressed);
    /* release with bounce 200 ms later: a short press */
    nr_button_edge(&b, 0, t + 200 * MS);
    nr_button_edge(&b, 1, t + 201 * MS);
    nr_button_edge(&b, 0, t + 202 * MS);
    NT_CHECK(nr_button_poll(&b, t + 204 * MS) == NR_BUTTON_NONE);
    NT_CHECK(nr_button_poll(&b, t + 208 * MS) == NR_BUTTON_SHORT);
    NT_CHECK(nr_button_poll(&b, t + 300 * MS) == NR_BUTTON_NONE);
    /* a long press fires once while held, and its release says nothing */
    t += 1000 * MS;
    nr_button_edge(&b, 1, t);
    NT_CHECK(nr_button_poll(&b, t + 10 * MS) == NR_BUTTON_NONE);
    NT_CHECK(nr_button_poll(&b, t + 599 * MS) == NR_BUTTON_NONE);
    NT_CHECK(nr_button_poll(&b, t + 600 * MS) == NR_BUTTON_LONG);
    NT_CHECK(nr_button_poll(&b, t + 900 * MS) == NR_BUTTON_NONE);
    nr_button_edge(&b, 0, t + 1000 * MS);
    NT_CHECK(nr_button_poll(&b, t + 1010 * MS) == NR_BUTTON_NONE && !b.pressed);
    /* a 2 ms spike is no press */
    nr_button_edge(&b, 1, t + 2000 * MS);
    nr_button_edge(&b, 0, t + 2002 * MS);
    NT_CHECK(nr_button_poll(&b, t + 2010 * MS) == NR_BUTTON_NONE && !b.pressed);
}

static nr_hw_config gpio_only_config(void)
{
    nr_hw_config c = nr_hw_config_init();
    for (int i = 0; i < NR_NUM_CV; i++) c.cv[i].source = NR_IN_NONE;
    for (int i = 0; i < NR_NUM_GATES; i++) c.gate[i].source = NR_IN_NONE;
    c.display.kind = NR_DISPLAY_NONE;
    return c;
}

static int count_events(nr_event_type type, float value)
{
    int n = 0;
    for (int i = 0; i < F.n_posted; i++) n += F.posted[i].type == type && F.posted[i].value == value;
    return n;
}

static void step_at(nr_hw *hw, int64_t t)
{
    F.now = t;
    nr_hw_step(hw, 0);
}

static void test_hw_encoder(void)
{
    fake_reset();
    fake_line(17, 1);
    fake_line(27, 1);
    fake_line(22, 1); /* push released (active low) */
    nr_hw_config c = gpio_only_config();
    nr_hw_io io = fake_io();
    nr_hw *hw;
    NT_CHECK(nr_hw_open(&c, "hw.conf", &io, &hw) == NR_OK);
    NT_CHECK(F.lines[0].bias == NR_GPIO_BIAS_PULL_UP && F.lines[0].mode == NR_GPIO_INPUT_EDGES);
    int64_t t = F.now;
    /* two clockwise detents with bounce on A, edges interleaved across the two lines' queues */
    for (int d = 0; d < 2; d++, t += 20 * MS) {
        fake_edge(17, 0, t);
        fake_edge(17, 1, t + 50 * US);
        fake_edge(17, 0, t + 100 * US);
        fake_edge(27, 0, t + 1 * MS);
        fake_edge(17, 1, t + 2 * MS);
        fake_edge(27, 1, t + 3 * MS);
        fake_edge(27, 0, t + 3100 * US);
        fake_edge(27, 1, t + 3200 * US);
    }
    step_at(hw, t);
    NT_CHECKF(count_events(NR_EV_ENCODER, 1.0f) == 2 && F.n_posted == 2, "posted %d", F.n_posted);
    /* one counter-clockwise detent (B leads) */
    fake_edge(27, 0, t);
    fake_edge(17, 0, t + 1 * MS);
    fake_edge(27, 1, t + 2 * MS);
    fake_edge(17, 1, t + 3 * MS);
    step_at(hw, t + 5 * MS);
    NT_CHECK(count_events(NR_EV_ENCODER, -1.0f) == 1);
    /* push: short (with bounce), then long */
    t += 100 * MS;
    F.n_posted = 0;
    fake_edge(22, 0, t);
    fake_edge(22, 1, t + 200 * US);
    fake_edge(22, 0, t + 400 * US);
    step_at(hw, t + 1 * MS);
    step_at(hw, t + 10 * MS);
    fake_edge(22, 1, t + 150 * MS);
    step_at(hw, t + 151 * MS);
    NT_CHECK(F.n_posted == 0);
    step_at(hw, t + 160 * MS);
    NT_CHECK(F.n_posted == 1 && F.posted[0].type == NR_EV_PUSH);
    t += 1000 * MS;
    fake_edge(22, 0, t);
    step_at(hw, t + 10 * MS);
    step_at(hw, t + 300 * MS);
    NT_CHECK(F.n_posted == 1);
    step_at(hw, t + 601 * MS);
    NT_CHECK(F.n_posted == 2 && F.posted[1].type == NR_EV_LONG_PUSH);
    fake_edge(22, 1, t + 900 * MS);
    step_at(hw, t + 910 * MS);
    NT_CHECK(F.n_posted == 2);
    nr_hw_close(hw);
    NT_CHECK(fake_count("gpio release") == 3);
}

static void test_hw_encoder_reversed_and_busy(void)
{
    fake_reset();
    fake_line(17, 1);
    fake_line(27, 1);
    nr_hw_config c = gpio_only_config();
    c.enc.reverse = 1;
    c.enc.push = -1;
    nr_hw_io io = fake_io();
    nr_hw *hw;
    NT_CHECK(nr_hw_open(&c, "hw.conf", &io, &hw) == NR_OK);
    int64_t t = F.now;
    fake_edge(17, 0, t); /* clockwise: A, B, A, B */
    fake_edge(27, 0, t + 1 * MS);
    fake_edge(17, 1, t + 2 * MS);
    fake_edge(27, 1, t + 3 * MS);
    step_at(hw, t + 10 * MS);
    NT_CHECK(F.n_posted == 1 && F.posted[0].type == NR_EV_ENCODER && F.posted[0].value == -1.0f);
    nr_hw_close(hw);
    /* a line another program holds: the encoder is left out with a message, the rest runs */
    fake_reset();
    F.busy_line = 27;
    c = gpio_only_config();
    c.gate[0].source = NR_IN_GPIO;
    c.gate[0].line = 5;
    io = fake_io();
    NT_CHECK(nr_hw_open(&c, "hw.conf", &io, &hw) == NR_OK);
    NT_CHECKF(F.n_logs == 1 && strstr(F.logs[0], "hw.conf: [encoder] lines 17/27/22 on gpiochip0: Device or resource busy"),
              "log: %s", F.logs[0]);
    fake_edge(5, 1, F.now);
    step_at(hw, F.now + 1 * MS);
    NT_CHECK(F.n_posted == 1 && F.posted[0].type == NR_EV_GATE && F.posted[0].value == 1.0f);
    nr_hw_close(hw);
}

static void test_hw_gpio_gates(void)
{
    fake_reset();
    nr_hw_config c = gpio_only_config();
    c.enc.used = 0;
    c.gate[0].source = NR_IN_GPIO;
    c.gate[0].line = 5;
    c.gate[0].lockout_us = 500;
    c.gate[1].source = NR_IN_GPIO;
    c.gate[1].line = 6;
    c.gate[1].invert = 1; /* an inverting transistor input: line low = gate high */
    fake_line(5, 0);
    fake_line(6, 1);
    nr_hw_io io = fake_io();
    nr_hw *hw;
    NT_CHECK(nr_hw_open(&c, "hw.conf", &io, &hw) == NR_OK);
    NT_CHECK(F.n_posted == 0);
    int64_t t = F.now + 10 * MS;
    /* rising edge with bounce: one gate-on at once, the bounce ignored */
    fake_edge(5, 1, t);
    fake_edge(5, 0, t + 100 * US);
    fake_edge(5, 1, t + 200 * US);
    step_at(hw, t + 10 * US);
    NT_CHECK(F.n_posted == 1 && F.posted[0].type == NR_EV_GATE && F.posted[0].index == 0 && F.posted[0].value == 1.0f);
    step_at(hw, t + 1 * MS); /* lockout over: the line is still high, nothing new */
    NT_CHECK(F.n_posted == 1);
    fake_edge(5, 0, t + 10 * MS);
    step_at(hw, t + 10 * MS);
    NT_CHECK(F.n_posted == 2 && F.posted[1].value == 0.0f);
    /* a pulse shorter than the lockout: its end is found when the lockout ends */
    t += 100 * MS;
    fake_edge(5, 1, t);
    fake_edge(5, 0, t + 100 * US);
    step_at(hw, t + 200 * US);
    NT_CHECK(F.n_posted == 3 && F.posted[2].value == 1.0f);
    step_at(hw, t + 600 * US);
    NT_CHECK(F.n_posted == 4 && F.posted[3].value == 0.0f);
    /* the inverted gate */
    fake_edge(6, 0, t + 5 * MS);
    step_at(hw, t + 5 * MS);
    NT_CHECK(F.n_posted == 5 && F.posted[4].index == 1 && F.posted[4].value == 1.0f);
    nr_hw_close(hw);
}

static void test_hw_wait_failure(void)
{
    fake_reset();
    fake_line(17, 1);
    fake_line(27, 1);
    fake_line(22, 1);
    nr_hw_config c = gpio_only_config();
    nr_hw_io io = fake_io();
    nr_hw *hw;
    NT_CHECK(nr_hw_open(&c, "hw.conf", &io, &hw) == NR_OK);
    F.wait_err = EBADF;
    fake_clear_log();
    nr_hw_step(hw, 20);
    nr_hw_step(hw, 20);
    /* one message, and each pass waits out its time instead of spinning */
    NT_CHECKF(F.n_logs == 1 && strstr(F.logs[0], "hw.conf: [encoder] waiting for GPIO edges failed: Bad file descriptor"),
              "log: %s", F.logs[0]);
    NT_CHECK(fake_count("sleep 20000") == 2);
    nr_hw_close(hw);
}

int main(void)
{
    NT_RUN(test_quad_clean);
    NT_RUN(test_quad_bounce);
    NT_RUN(test_button);
    NT_RUN(test_hw_encoder);
    NT_RUN(test_hw_encoder_reversed_and_busy);
    NT_RUN(test_hw_gpio_gates);
    NT_RUN(test_hw_wait_failure);
    free(F.log);
    return nt_end();
}
