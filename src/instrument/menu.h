/* The OLED menu, driven only by the encoder: turn, push, long press (back), as on the module.
 * State in, frame out: nr_menu_input() changes the menu and the settings it is given,
 * nr_menu_draw() builds a whole frame from that state. Control/UI thread only. */
#ifndef NR_MENU_H
#define NR_MENU_H

#include "instrument/settings.h"
#include "instrument/fb.h"
#include "instrument/model_list.h"

typedef enum {
    NR_PAGE_SOUND = 0,
    NR_PAGE_CV,
    NR_PAGE_GATES,
    NR_PAGE_VOICES,
    NR_PAGE_CALIBRATION,
    NR_PAGE_PRESETS,
    NR_PAGE_STATS,
    NR_PAGE_LATENT,
    NR_PAGE_SYSTEM,
    NR_NUM_PAGES
} nr_menu_page;

/* What the menu shows and edits. The settings are changed in place. */
typedef struct {
    nr_settings *settings;
    const char *const *templates; /* names the template items choose from */
    int n_templates;
    int default_a, default_b; /* what an empty template name plays (index, -1: none) */
    const char *model_name;  /* the playing model's name */
    const char *const *models; /* names of the models that load, for the Sound page's Model item */
    int n_models;
    int default_model;       /* what an empty model name plays (index into models, -1: none) */
    const nr_model_list *model_list; /* every model, broken ones with why (System page); NULL: none */
    const char *model_arch;
    int model_rate;          /* Hz */
    nr_instrument_status status;
    float cv_raw[NR_NUM_CV]; /* volts before calibration, for the Calibration page */
    const char *notice;      /* last message for the System page ("" if none) */
    const float *latent_map; /* (n_latent_map, 4) training sounds' latent points for the Latent page (NULL: none) */
    int n_latent_map;
    int has_latent;          /* a latent model is loaded */
    float latent[NR_NUM_LATENT]; /* the point the latent1..4 inputs set now */
} nr_menu_view;

/* What an input asks of the instrument (bits). */
enum {
    NR_MENU_NONE = 0,
    NR_MENU_CHANGED = 1,      /* settings changed: publish them */
    NR_MENU_PERSIST = 2,      /* settings worth saving now (preset saved or loaded) */
    NR_MENU_RELOAD_MODEL = 4,
    NR_MENU_RESCAN_MODELS = 8,
};

typedef struct {
    int level;   /* 0: page list, 1: inside a page */
    int page;    /* nr_menu_page */
    int cursor;  /* item (or page at level 0) */
    int top;     /* first visible row */
    int editing; /* turning changes the item's value */
} nr_menu;

void nr_menu_init(nr_menu *m);
/* NR_EV_ENCODER (value = detents), NR_EV_PUSH, NR_EV_LONG_PUSH; others are ignored. */
int nr_menu_input(nr_menu *m, nr_menu_view *v, const nr_control_event *ev);
void nr_menu_draw(nr_menu *m, const nr_menu_view *v, nr_fb *fb);
const char *nr_menu_page_name(int page);
/* Short names of the latent axes ("decay", "bright", "pitch", "noise"). */
extern const char *const nr_menu_latent_axis[NR_NUM_LATENT];
/* The Latent page's plane: x and y are latent axes (each 0..3), shown from -3 to +3 prior std. */
#define NR_MENU_LATENT_SPAN 3.0f
int nr_menu_latent_x(float z); /* pixel column of a value on the x axis */
int nr_menu_latent_y(float z); /* pixel row of a value on the y axis */

/* Items of a page, for the drawing code and tests. */
typedef enum { NR_ITEM_INFO = 0, NR_ITEM_FLOAT, NR_ITEM_INT, NR_ITEM_ENUM, NR_ITEM_ACTION } nr_item_kind;

#define NR_MENU_MAX_ITEMS 24

typedef struct {
    int kind;
    char label[22];
    char value[22];         /* as shown */
    float *f;               /* NR_ITEM_FLOAT */
    int *i;                 /* NR_ITEM_INT, NR_ITEM_ENUM */
    char *str;              /* NR_ITEM_ENUM over names: the chosen name is copied here */
    size_t str_size;
    int str_default;        /* index an empty str stands for (-1: none) */
    float lo, hi, step;     /* value range (INT/ENUM: lo..hi indices) */
    const char *const *names; /* ENUM names, or: */
    const char *(*name_of)(int);
    int action;             /* NR_ITEM_ACTION: which */
    int big;                /* edit view shows the value in big digits */
} nr_menu_item;

int nr_menu_items(const nr_menu *m, const nr_menu_view *v, nr_menu_item *items);
/* Run an NR_ITEM_ACTION item's action on the settings; returns NR_MENU_* bits. */
int nr_menu_do_action(nr_menu_view *v, int action);

/* Layout: a title band, then rows of 8 pixels. */
#define NR_MENU_ROWS 7
#define NR_MENU_COLS 21 /* characters per row, from x = 1 */
#define NR_MENU_BIG_Y 18  /* edit view: big digits, centred */
#define NR_MENU_EDIT_Y 22 /* edit view: a name, on the column grid */
#define NR_MENU_BAR_Y 42  /* edit view: where the value sits in its range */
#define NR_MENU_ROW_Y(r) (8 + 8 * (r))

#endif
