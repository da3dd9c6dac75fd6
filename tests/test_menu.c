/* The OLED menu: fonts, and pages read back from the framebuffer after encoder sequences. */
#include "nr_test.h"
#include "core/font.h"
#include "instrument/menu.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const g_templates[] = {"impact", "kick", "boom"};

typedef struct {
    nr_settings s;
    nr_menu m;
    nr_menu_view v;
    nr_fb fb;
    int flags;
} rig;

static void rig_init(rig *r)
{
    memset(r, 0, sizeof *r);
    nr_settings_defaults(&r->s);
    nr_menu_init(&r->m);
    r->v.settings = &r->s;
    r->v.templates = g_templates;
    r->v.n_templates = 3;
    r->v.default_a = 0; /* what the shipped patch's empty names play: impact and boom */
    r->v.default_b = 2;
    r->v.model_name = "default.safetensors";
    r->v.model_arch = "hn-sinc-nsf";
    r->v.model_rate = 22050;
    r->v.notice = "";
}

static void ev(rig *r, nr_event_type t, float value)
{
    nr_control_event e = {t, 0, value, -1};
    r->flags |= nr_menu_input(&r->m, &r->v, &e);
    nr_menu_draw(&r->m, &r->v, &r->fb);
}
static void turn(rig *r, float d) { ev(r, NR_EV_ENCODER, d); }
static void push(rig *r) { ev(r, NR_EV_PUSH, 1); }
static void back(rig *r) { ev(r, NR_EV_LONG_PUSH, 1); }

/* Row r of the list (21 characters), or the title (r = -1). */
static const char *line(rig *r, int row)
{
    static char buf[4][32];
    static int k;
    char *b = buf[k++ & 3];
    nr_fb_read_text(&r->fb, 1, row < 0 ? 0 : NR_MENU_ROW_Y(row) + 1, NR_MENU_COLS, b);
    return b;
}

static int starts(const char *s, const char *prefix) { return !strncmp(s, prefix, strlen(prefix)); }
static int ends(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static void test_font_round_trip(void)
{
    nr_fb fb;
    char all[96], got[96];
    for (int c = 32; c < 127; c++) all[c - 32] = (char)c;
    all[95] = '\0';
    /* Every glyph must differ from every other, or the screen would be ambiguous. */
    for (int a = 32; a < 127; a++)
        for (int b = a + 1; b < 127; b++)
            NT_CHECKF(memcmp(nr_font_glyph((char)a), nr_font_glyph((char)b), NR_FONT_H) != 0, "'%c' == '%c'", a, b);
    for (int c = 33; c < 127; c++) {
        const uint8_t *g = nr_font_glyph((char)c);
        int ink = 0;
        for (int r = 0; r < NR_FONT_H; r++) ink |= g[r];
        NT_CHECKF(ink && !(ink & ~0x1F), "glyph '%c' empty or wider than 5", c);
    }
    for (int off = 0; off < 95; off += 21) {
        nr_fb_clear(&fb);
        char part[22];
        snprintf(part, sizeof part, "%.21s", all + off);
        nr_fb_text(&fb, 1, 9, part);
        nr_fb_read_text(&fb, 1, 9, (int)strlen(part), got);
        NT_CHECKF(!strcmp(got, part), "read '%s' for '%s'", got, part);
        nr_fb_invert(&fb, 0, 8, 128, 8); /* white on black reads the same */
        nr_fb_read_text(&fb, 1, 9, (int)strlen(part), got);
        NT_CHECKF(!strcmp(got, part), "inverted: read '%s'", got);
    }
    NT_CHECK(nr_font_glyph('\n') == nr_font_glyph('?'));
}

static void test_big_digits(void)
{
    nr_fb fb;
    nr_fb_clear(&fb);
    const char *s[2] = {"-0.12345%", "+6789 "};
    char got[16];
    for (int k = 0; k < 2; k++) {
        nr_fb_clear(&fb);
        int x = nr_fb_big(&fb, 2, 10, s[k]);
        NT_CHECK(x == 2 + (int)strlen(s[k]) * NR_BIG_ADV && x - 2 == nr_fb_big_width(s[k]));
        nr_fb_read_big(&fb, 2, 10, (int)strlen(s[k]), got);
        NT_CHECKF(!strcmp(got, s[k]), "read '%s'", got);
    }
    NT_CHECK(nr_font_big_glyph('x') == NULL);
    /* Pixels land where the SH1106 layout says: page y/8, bit y%8. */
    nr_fb_clear(&fb);
    nr_fb_set(&fb, 5, 13, 1);
    NT_CHECK(fb.px[1 * NR_OLED_W + 5] == (1 << 5));
    nr_fb_set(&fb, 500, -3, 1); /* clipped, no write */
    int sum = 0;
    for (size_t i = 0; i < sizeof fb.px; i++) sum += fb.px[i] != 0;
    NT_CHECK(sum == 1);
}

static void test_page_list(void)
{
    rig r;
    rig_init(&r);
    nr_menu_draw(&r.m, &r.v, &r.fb);
    NT_CHECKF(starts(line(&r, -1), "Neurorack"), "title '%s'", line(&r, -1));
    NT_CHECKF(starts(line(&r, 0), "Sound") && ends(line(&r, 0), "1"), "row0 '%s'", line(&r, 0));
    NT_CHECK(starts(line(&r, 1), "CV assign"));
    /* The selected row is white on black: its background pixel at x=0 is lit. */
    NT_CHECK(nr_fb_get(&r.fb, 0, NR_MENU_ROW_Y(0) + 3) == 1 && nr_fb_get(&r.fb, 0, NR_MENU_ROW_Y(1) + 3) == 0);
    turn(&r, NR_NUM_PAGES - 1); /* to the last page: the list scrolls */
    NT_CHECK(r.m.cursor == NR_PAGE_SYSTEM);
    NT_CHECKF(starts(line(&r, 6), "System"), "row6 '%s'", line(&r, 6));
    NT_CHECK(nr_fb_get(&r.fb, 0, NR_MENU_ROW_Y(6) + 3) == 1);
    turn(&r, 100); /* clamps, no wrap */
    NT_CHECK(r.m.cursor == NR_PAGE_SYSTEM);
    turn(&r, -100);
    NT_CHECK(r.m.cursor == 0 && starts(line(&r, 0), "Sound"));
}

static void test_gate_mode_edit(void)
{
    rig r;
    rig_init(&r);
    turn(&r, 2);
    push(&r);
    NT_CHECKF(starts(line(&r, -1), "Gates"), "title '%s'", line(&r, -1));
    NT_CHECKF(starts(line(&r, 0), "Gate1 mode") && ends(line(&r, 0), "retrigger"), "'%s'", line(&r, 0));
    NT_CHECK(ends(line(&r, 1), "poly"));
    push(&r); /* edit view */
    NT_CHECK(r.m.editing && starts(line(&r, -1), "Gate1 mode"));
    char buf[32];
    nr_fb_read_text(&r.fb, 1, NR_MENU_EDIT_Y, NR_MENU_COLS, buf);
    NT_CHECKF(strstr(buf, "retrigger") && buf[0] == '<' && buf[20] == '>', "edit '%s'", buf);
    turn(&r, 1);
    NT_CHECK(r.s.patch.gate_mode[0] == NR_GATE_CHOKE && (r.flags & NR_MENU_CHANGED));
    nr_fb_read_text(&r.fb, 1, NR_MENU_EDIT_Y, NR_MENU_COLS, buf);
    NT_CHECKF(strstr(buf, "choke"), "edit '%s'", buf);
    turn(&r, 5); /* clamps at the last mode */
    NT_CHECK(r.s.patch.gate_mode[0] == NR_GATE_POLY);
    push(&r); /* done */
    NT_CHECK(!r.m.editing && ends(line(&r, 0), "poly"));
    back(&r);
    NT_CHECK(r.m.level == 0 && r.m.cursor == NR_PAGE_GATES);
    NT_CHECK(starts(line(&r, -1), "Neurorack"));
}

static void test_big_value_edit(void)
{
    rig r;
    rig_init(&r);
    turn(&r, 3);
    push(&r); /* Voices & out */
    NT_CHECK(starts(line(&r, 0), "Voices") && ends(line(&r, 0), "8"));
    push(&r);
    char big[8];
    nr_fb_read_big(&r.fb, (NR_OLED_W - NR_BIG_ADV) / 2, NR_MENU_BIG_Y, 1, big);
    NT_CHECKF(!strcmp(big, "8"), "big '%s'", big);
    turn(&r, -3);
    nr_fb_read_big(&r.fb, (NR_OLED_W - NR_BIG_ADV) / 2, NR_MENU_BIG_Y, 1, big);
    NT_CHECK(!strcmp(big, "5") && r.s.patch.voices == 5);
    /* The range bar: 5 of 1..8 fills 4/7 of 110 pixels. */
    int lit = 0;
    for (int x = 9; x < 119; x++) lit += nr_fb_get(&r.fb, x, NR_MENU_BAR_Y + 2);
    NT_CHECKF(lit == (int)lrintf(110.0f * 4.0f / 7.0f), "bar %d", lit);
    turn(&r, -50);
    NT_CHECK(r.s.patch.voices == 1);
    push(&r);
    turn(&r, 2); /* Volume dB */
    push(&r);
    turn(&r, NAN);       /* ignored */
    turn(&r, INFINITY);  /* ignored */
    turn(&r, 1e9f);      /* clamped to the range */
    NT_CHECK(r.s.patch.volume_db == 6.0f);
    turn(&r, -13);
    nr_fb_read_big(&r.fb, (NR_OLED_W - 4 * NR_BIG_ADV) / 2, NR_MENU_BIG_Y, 4, big);
    NT_CHECKF(!strcmp(big, "-0.5") && r.s.patch.volume_db == -0.5f, "big '%s' %g", big, r.s.patch.volume_db);
}

static void test_float_steps_do_not_drift(void)
{
    rig r;
    rig_init(&r);
    push(&r); /* Sound */
    turn(&r, 3);
    NT_CHECK(starts(line(&r, 3), "Interp A/B"));
    push(&r);
    for (int i = 0; i < 37; i++) turn(&r, 1);
    NT_CHECKF(fabsf(r.s.patch.interp - 0.37f) < 1e-6f, "interp %.9f", r.s.patch.interp);
    push(&r);
    NT_CHECKF(ends(line(&r, 3), "0.37"), "'%s'", line(&r, 3));
}

static void test_template_choice(void)
{
    rig r;
    rig_init(&r);
    push(&r);
    turn(&r, 1);
    NT_CHECKF(ends(line(&r, 1), "impact*"), "'%s'", line(&r, 1)); /* the default, marked */
    NT_CHECKF(ends(line(&r, 2), "boom*"), "'%s'", line(&r, 2));
    push(&r);
    turn(&r, 2); /* from the default's place in the list */
    NT_CHECK(!strcmp(r.s.patch.template_a, "boom"));
    turn(&r, 5);
    NT_CHECK(!strcmp(r.s.patch.template_a, "boom"));
    turn(&r, -1);
    push(&r);
    NT_CHECKF(ends(line(&r, 1), "kick"), "'%s'", line(&r, 1));
}

static void test_scrolling_page(void)
{
    rig r;
    rig_init(&r);
    turn(&r, 1);
    push(&r); /* CV assign: 12 items */
    NT_CHECK(ends(line(&r, -1), "1/12"));
    NT_CHECKF(ends(line(&r, 0), "brightness"), "'%s'", line(&r, 0));
    turn(&r, 11);
    NT_CHECKF(ends(line(&r, -1), "12/12"), "title '%s'", line(&r, -1));
    NT_CHECKF(starts(line(&r, 6), "CV4 polarity") && ends(line(&r, 6), "bipolar"), "'%s'", line(&r, 6));
    push(&r);
    turn(&r, -1);
    push(&r);
    NT_CHECK(!r.s.patch.cv[3].bipolar && ends(line(&r, 6), "unipolar"));
    turn(&r, -2); /* CV4 target */
    push(&r);
    turn(&r, NR_CVT_LEVEL - NR_CVT_STRETCH);
    push(&r);
    NT_CHECK(r.s.patch.cv[3].target == NR_CVT_LEVEL && ends(line(&r, 4), "level"));
}

static void test_presets(void)
{
    rig r;
    rig_init(&r);
    turn(&r, NR_PAGE_PRESETS);
    push(&r);
    NT_CHECKF(starts(line(&r, 0), "Slot") && ends(line(&r, 0), "1 (empty)"), "'%s'", line(&r, 0));
    push(&r);
    turn(&r, 2);
    push(&r); /* slot 3 */
    NT_CHECK(r.s.preset_slot == 2);
    turn(&r, 2);
    NT_CHECK(starts(line(&r, 2), "Save here"));
    r.s.patch.interp = 0.6f;
    r.flags = 0;
    push(&r);
    NT_CHECK((r.flags & NR_MENU_PERSIST) && r.s.presets[2].used && r.s.presets[2].patch.interp == 0.6f);
    NT_CHECKF(ends(line(&r, 1), "default/default"), "'%s'", line(&r, 1));
    NT_CHECK(starts(line(&r, 3), "Load") && starts(line(&r, 4), "Clear"));
    r.s.patch.interp = 0.1f;
    r.flags = 0;
    turn(&r, 1);
    push(&r);
    NT_CHECK((r.flags & NR_MENU_CHANGED) && r.s.patch.interp == 0.6f);
    turn(&r, 1);
    push(&r); /* clear: Load and Clear disappear, the cursor stays on the page */
    NT_CHECK(!r.s.presets[2].used && r.m.cursor < 3);
    NT_CHECKF(ends(line(&r, 0), "3 (empty)"), "'%s'", line(&r, 0));
}

static void test_calibration_zero(void)
{
    rig r;
    rig_init(&r);
    r.v.cv_raw[1] = 0.037f; /* CV2's converter reads 37 mV with 0 V patched */
    r.v.status.cv[1] = 0.037f;
    turn(&r, NR_PAGE_CALIBRATION);
    push(&r);
    NT_CHECKF(starts(line(&r, 0), "CV1 in") && ends(line(&r, 0), "+0.00V>+0.00"), "'%s'", line(&r, 0));
    turn(&r, 5); /* CV2 in, CV2 zero here */
    NT_CHECKF(ends(line(&r, 4), "+0.04V>+0.04"), "'%s'", line(&r, 4));
    NT_CHECK(starts(line(&r, 5), "CV2 zero here"));
    r.flags = 0;
    push(&r);
    NT_CHECK(fabsf(r.s.cal[1].offset - 0.037f) < 1e-6f && (r.flags & NR_MENU_PERSIST) && (r.flags & NR_MENU_CHANGED));
    NT_CHECK(r.s.cal[0].offset == 0.0f);
    turn(&r, 2); /* CV2 scale: 1.000 -> 1.010 */
    push(&r);
    turn(&r, 2);
    push(&r);
    NT_CHECKF(fabsf(r.s.cal[1].scale - 1.01f) < 1e-6f && ends(line(&r, 6), "1.010"), "'%s'", line(&r, 6));
}

static void test_stats_and_system(void)
{
    rig r;
    rig_init(&r);
    r.v.status.cpu_load = 0.423f;
    r.v.status.xruns = 3;
    r.v.status.cv_latency_ms = 58.0f;
    r.v.notice = "settings.nrs: checksum mismatch; using defaults";
    turn(&r, NR_PAGE_STATS);
    push(&r);
    NT_CHECKF(starts(line(&r, 0), "CPU %") && ends(line(&r, 0), "42.3"), "'%s'", line(&r, 0));
    NT_CHECK(ends(line(&r, 2), "3") && ends(line(&r, 4), "58.0"));
    back(&r);
    turn(&r, NR_PAGE_SYSTEM - NR_PAGE_STATS);
    push(&r);
    NT_CHECK(starts(line(&r, -1), "System") && ends(line(&r, 1), "hn-sinc-nsf"));
    NT_CHECKF(starts(line(&r, 4), "Rescan models"), "'%s'", line(&r, 4));
    NT_CHECKF(starts(line(&r, 5), "settings.nrs: checksu"), "'%s'", line(&r, 5));
    turn(&r, 3);
    r.flags = 0;
    push(&r);
    NT_CHECK(r.flags & NR_MENU_RELOAD_MODEL);
    turn(&r, 1);
    r.flags = 0;
    push(&r);
    NT_CHECK(r.flags & NR_MENU_RESCAN_MODELS);
}

/* The Latent page: the plane of two axes with the training sounds as dots and the current point as a
 * ring; turning picks the plane; without a latent model it says so. */
static void test_latent_page(void)
{
    rig r;
    rig_init(&r);
    turn(&r, NR_PAGE_LATENT);
    push(&r);
    NT_CHECKF(starts(line(&r, -1), "decay x bright"), "title '%s'", line(&r, -1));
    NT_CHECKF(starts(line(&r, 3), "no latent model"), "'%s'", line(&r, 3));
    const float map[3 * NR_NUM_LATENT] = {-2, 1, 0, 0, 2, -1, 0, 0, 0, 0, 2.5f, -2.5f};
    r.v.has_latent = 1, r.v.latent_map = map, r.v.n_latent_map = 3;
    r.v.latent[0] = 1.0f, r.v.latent[1] = -1.0f;
    nr_menu_draw(&r.m, &r.v, &r.fb);
    NT_CHECK(nr_fb_get(&r.fb, nr_menu_latent_x(-2), nr_menu_latent_y(1)) == 1);  /* a dot */
    NT_CHECK(nr_fb_get(&r.fb, nr_menu_latent_x(2), nr_menu_latent_y(-1)) == 1);
    int cx = nr_menu_latent_x(1), cy = nr_menu_latent_y(-1);
    NT_CHECK(nr_fb_get(&r.fb, cx, cy) == 1 && nr_fb_get(&r.fb, cx - 1, cy) == 0 && nr_fb_get(&r.fb, cx - 2, cy) == 1);
    NT_CHECK(nr_menu_latent_x(-3) == 0 && nr_menu_latent_x(3) == NR_OLED_W - 1 && nr_menu_latent_y(-3) == NR_OLED_H - 1);
    turn(&r, 5); /* the last plane: pitch x noise */
    NT_CHECKF(starts(line(&r, -1), "pitch x noise") && ends(line(&r, -1), "6/6"), "title '%s'", line(&r, -1));
    NT_CHECK(nr_fb_get(&r.fb, nr_menu_latent_x(2.5f), nr_menu_latent_y(-2.5f)) == 1);
    NT_CHECK(nr_fb_get(&r.fb, nr_menu_latent_x(-2), nr_menu_latent_y(1)) == 0); /* that dot was on 1 x 2 */
}

int main(void)
{
    NT_RUN(test_font_round_trip);
    NT_RUN(test_big_digits);
    NT_RUN(test_page_list);
    NT_RUN(test_gate_mode_edit);
    NT_RUN(test_big_value_edit);
    NT_RUN(test_float_steps_do_not_drift);
    NT_RUN(test_template_choice);
    NT_RUN(test_scrolling_page);
    NT_RUN(test_presets);
    NT_RUN(test_calibration_zero);
    NT_RUN(test_stats_and_system);
    NT_RUN(test_latent_page);
    return nt_end();
}
