#include "instrument/menu.h"
#include "core/font.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void nr_menu_init(nr_menu *m) { memset(m, 0, sizeof *m); }

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }
static float clampf_(float v, float lo, float hi) { return !(v > lo) ? lo : v > hi ? hi : v; }

#define LATENT_TOP 9 /* first pixel row of the Latent page's plane, under the title */

static int detents(float v)
{
    if (!isfinite(v)) return 0;
    if (v > 64.0f) v = 64.0f;
    if (v < -64.0f) v = -64.0f;
    return (int)lrintf(v);
}

static void scroll(nr_menu *m, int n)
{
    m->cursor = clampi(m->cursor, 0, n > 0 ? n - 1 : 0);
    if (m->cursor < m->top) m->top = m->cursor;
    if (m->cursor >= m->top + NR_MENU_ROWS) m->top = m->cursor - NR_MENU_ROWS + 1;
    m->top = clampi(m->top, 0, n > NR_MENU_ROWS ? n - NR_MENU_ROWS : 0);
}

static int change(nr_menu_item *x, int d)
{
    if (x->kind == NR_ITEM_FLOAT) {
        float v = *x->f + (float)d * x->step;
        v = roundf(v / x->step) * x->step; /* no drift from repeated float steps */
        *x->f = v < x->lo ? x->lo : v > x->hi ? x->hi : v;
    } else if ((x->kind == NR_ITEM_INT || x->kind == NR_ITEM_ENUM) && x->i) {
        *x->i = clampi(*x->i + d, (int)x->lo, (int)x->hi);
    } else if (x->kind == NR_ITEM_ENUM && x->str && x->names && x->hi >= 0) {
        int cur = !x->str[0] && x->str_default >= 0 ? x->str_default : 0;
        for (int k = 0; k <= (int)x->hi; k++)
            if (!strcmp(x->names[k], x->str)) cur = k;
        cur = clampi(cur + d, 0, (int)x->hi);
        snprintf(x->str, x->str_size, "%s", x->names[cur]);
    } else {
        return NR_MENU_NONE;
    }
    return NR_MENU_CHANGED;
}

int nr_menu_input(nr_menu *m, nr_menu_view *v, const nr_control_event *ev)
{
    nr_menu_item items[NR_MENU_MAX_ITEMS];
    int d = ev->type == NR_EV_ENCODER ? detents(ev->value) : 0;
    if (m->level == 0) {
        if (ev->type == NR_EV_ENCODER) m->cursor = clampi(m->cursor + d, 0, NR_NUM_PAGES - 1);
        if (ev->type == NR_EV_PUSH) {
            m->level = 1;
            m->page = clampi(m->cursor, 0, NR_NUM_PAGES - 1);
            m->cursor = m->top = 0;
            m->editing = 0;
        }
        scroll(m, NR_NUM_PAGES);
        return NR_MENU_NONE;
    }
    int n = nr_menu_items(m, v, items);
    scroll(m, n);
    if (n == 0 && ev->type == NR_EV_LONG_PUSH) m->level = 0;
    if (n == 0) return NR_MENU_NONE;
    nr_menu_item *x = &items[m->cursor];
    if (m->editing) {
        if (ev->type == NR_EV_ENCODER && d) return change(x, d);
        if (ev->type == NR_EV_PUSH || ev->type == NR_EV_LONG_PUSH) m->editing = 0;
        return NR_MENU_NONE;
    }
    switch (ev->type) {
    case NR_EV_ENCODER:
        m->cursor += d;
        scroll(m, n);
        break;
    case NR_EV_PUSH:
        if (x->kind == NR_ITEM_ACTION) {
            int r = nr_menu_do_action(v, x->action);
            scroll(m, nr_menu_items(m, v, items)); /* the action may remove items */
            return r;
        }
        if (x->kind != NR_ITEM_INFO && x->hi >= x->lo) m->editing = 1;
        break;
    case NR_EV_LONG_PUSH:
        m->level = 0;
        m->cursor = m->page;
        m->top = 0;
        scroll(m, NR_NUM_PAGES);
        break;
    default: break;
    }
    return NR_MENU_NONE;
}

static void title(nr_fb *fb, const char *left, const char *right)
{
    nr_fb_fill(fb, 0, 0, NR_OLED_W, 8, 1);
    nr_fb_invert(fb, 0, 0, NR_OLED_W, 8);
    nr_fb_text(fb, 1, 0, left);
    if (right) nr_fb_text(fb, 1 + (NR_MENU_COLS - (int)strlen(right)) * NR_FONT_ADV, 0, right);
    nr_fb_invert(fb, 0, 0, NR_OLED_W, 8);
}

/* Label left, value right, on one grid of 21 columns; the label is cut where the value begins. */
static void row(nr_fb *fb, int r, const char *label, const char *value, int selected)
{
    int y = NR_MENU_ROW_Y(r);
    int vx = 1 + (NR_MENU_COLS - (int)strlen(value)) * NR_FONT_ADV;
    char buf[32];
    int max = (vx - 1) / NR_FONT_ADV - (value[0] ? 1 : 0); /* a space before the value */
    snprintf(buf, sizeof buf, "%.*s", max > 0 ? max : 0, label);
    nr_fb_text(fb, 1, y + 1, buf);
    nr_fb_text(fb, vx, y + 1, value);
    if (selected) nr_fb_invert(fb, 0, y, NR_OLED_W, 8);
}

static void edit_view(nr_fb *fb, const nr_menu_item *x)
{
    title(fb, x->label, NULL);
    int len = (int)strlen(x->value);
    if (x->big && nr_fb_big_width(x->value) == len * NR_BIG_ADV) {
        nr_fb_big(fb, (NR_OLED_W - len * NR_BIG_ADV) / 2, NR_MENU_BIG_Y, x->value);
    } else {
        nr_fb_text(fb, 1 + (NR_MENU_COLS - len) / 2 * NR_FONT_ADV, NR_MENU_EDIT_Y, x->value);
        nr_fb_text(fb, 1, NR_MENU_EDIT_Y, "<");
        nr_fb_text(fb, 1 + (NR_MENU_COLS - 1) * NR_FONT_ADV, NR_MENU_EDIT_Y, ">");
    }
    if (x->kind == NR_ITEM_FLOAT || x->kind == NR_ITEM_INT) {
        /* Where the value sits in its range. */
        float cur = x->kind == NR_ITEM_FLOAT ? *x->f : (float)*x->i;
        float t = x->hi > x->lo ? (cur - x->lo) / (x->hi - x->lo) : 0.0f;
        nr_fb_rect(fb, 8, NR_MENU_BAR_Y, 112, 6);
        nr_fb_fill(fb, 9, NR_MENU_BAR_Y + 1, (int)lrintf(t * 110.0f), 4, 1);
    }
    nr_fb_text(fb, 1, NR_MENU_ROW_Y(6) + 1, "push: done");
}

int nr_menu_latent_x(float z)
{
    float t = (clampf_(z, -NR_MENU_LATENT_SPAN, NR_MENU_LATENT_SPAN) + NR_MENU_LATENT_SPAN) / (2 * NR_MENU_LATENT_SPAN);
    return (int)lrintf(t * (NR_OLED_W - 1));
}

int nr_menu_latent_y(float z)
{
    float t = (clampf_(z, -NR_MENU_LATENT_SPAN, NR_MENU_LATENT_SPAN) + NR_MENU_LATENT_SPAN) / (2 * NR_MENU_LATENT_SPAN);
    return NR_OLED_H - 1 - (int)lrintf(t * (NR_OLED_H - 1 - LATENT_TOP));
}

/* The plane of latent axes a (x) and b (y): the training sounds as dots, the axes through 0 dotted, the
 * current point as a ring cleared around it so it stays visible among the dots. */
static void latent_view(nr_fb *fb, const nr_menu_view *v, int pair, int n_pairs)
{
    int a = 0, b = 1, k = 0;
    for (int i = 0; i < NR_NUM_LATENT; i++)
        for (int j = i + 1; j < NR_NUM_LATENT; j++, k++)
            if (k == pair) a = i, b = j;
    char t[32], r[8];
    snprintf(t, sizeof t, "%s x %s", nr_menu_latent_axis[a], nr_menu_latent_axis[b]);
    snprintf(r, sizeof r, "%d/%d", pair + 1, n_pairs);
    title(fb, t, r);
    if (!v->has_latent) {
        nr_fb_text(fb, 1, NR_MENU_ROW_Y(3) + 1, "no latent model");
        return;
    }
    int x0 = nr_menu_latent_x(0.0f), y0 = nr_menu_latent_y(0.0f);
    for (int x = 0; x < NR_OLED_W; x += 2) nr_fb_set(fb, x, y0, 1);
    for (int y = LATENT_TOP; y < NR_OLED_H; y += 2) nr_fb_set(fb, x0, y, 1);
    for (int i = 0; v->latent_map && i < v->n_latent_map; i++) {
        const float *z = v->latent_map + (size_t)i * NR_NUM_LATENT;
        nr_fb_set(fb, nr_menu_latent_x(z[a]), nr_menu_latent_y(z[b]), 1);
    }
    int cx = nr_menu_latent_x(v->latent[a]), cy = nr_menu_latent_y(v->latent[b]);
    nr_fb_fill(fb, cx - 3, cy - 3, 7, 7, 0);
    nr_fb_rect(fb, cx - 2, cy - 2, 5, 5);
    nr_fb_set(fb, cx, cy, 1);
}

void nr_menu_draw(nr_menu *m, const nr_menu_view *v, nr_fb *fb)
{
    nr_fb_clear(fb);
    char buf[32];
    if (m->level == 0) {
        scroll(m, NR_NUM_PAGES);
        title(fb, "Neurorack", v->model_arch);
        for (int r = 0; r < NR_MENU_ROWS && m->top + r < NR_NUM_PAGES; r++) {
            snprintf(buf, sizeof buf, "%d", m->top + r + 1);
            row(fb, r, nr_menu_page_name(m->top + r), buf, m->top + r == m->cursor);
        }
        return;
    }
    nr_menu_item items[NR_MENU_MAX_ITEMS];
    int n = nr_menu_items(m, v, items);
    scroll(m, n);
    if (m->editing && n > 0) {
        edit_view(fb, &items[m->cursor]);
        return;
    }
    if (m->page == NR_PAGE_LATENT) {
        latent_view(fb, v, m->cursor, n);
        return;
    }
    snprintf(buf, sizeof buf, "%d/%d", n ? m->cursor + 1 : 0, n);
    title(fb, nr_menu_page_name(m->page), buf);
    for (int r = 0; r < NR_MENU_ROWS && m->top + r < n; r++) {
        const nr_menu_item *x = &items[m->top + r];
        row(fb, r, x->label, x->value, m->top + r == m->cursor);
    }
}
