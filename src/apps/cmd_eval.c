/* neurorack eval: models against reference sounds (a folder or a data set split); CSV, table, PNGs. */
#include "commands.h"
#include "neurorack.h"
#include "nr/dataset.h"
#include "nr/eval.h"
#include "nr/model_templates.h"
#include "nr/templates.h"
#include "nr/templates.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_MODELS 4
#define ORIGINAL_TH "../shared/models/neurorack-nsf/model_nsf_sinc_ema_impacts_waveform_5.0.th"
#define SHARED_SOUNDS "../shared/sounds"
#define CONTROL_FROM_DATA 3    /* data set sounds in the control matrix's default references */
#define CONTROL_DEFAULT_REFS 6 /* with no --refs: the shared sounds, then built-in templates up to this */
#define TEMPLATE_REF (-2)      /* ref_list index of a built-in template's sound (path = its name) */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: neurorack eval --model [LABEL=]M [--model ...] --refs DIR|MANIFEST [options]\n"
            "       neurorack eval --control [--model [LABEL=]M ...] [--refs DIR|MANIFEST] [--csv OUT]\n"
            "       neurorack eval --sheet OUT.png [--model M]\n"
            "       neurorack eval --tuning [--model [LABEL=]M ...]\n"
            "  --model [LABEL=]M  a model file (.th or .safetensors); up to %d, compared side by side\n"
            "  --refs DIR|MANIFEST  a folder of sounds (wav, flac, ogg, aif[f]) or a data set\n"
            "                     (its folder or manifest.tsv)\n"
            "  --split S          train | valid | test (default test) of a data set\n"
            "  --limit N          only N references, evenly spaced over the list (name or manifest\n"
            "                     order: every source of a data set is represented)\n"
            "  --csv OUT          one row per model and reference\n"
            "  --png DIR          spectrogram figures of the first references (reference + renders)\n"
            "  --png-count N      how many figures (default 3)\n"
            "  --seed N           render seed (default 1)\n"
            "  --control          the 7x7 control matrix: move each descriptor curve by +-1 std of\n"
            "                     the model's normalisation, measure how every descriptor moves.\n"
            "                     References: with a data set --refs, " SHARED_SOUNDS " (if\n"
            "                     present) and %d sounds spread over the split (--limit N: N);\n"
            "                     with a folder --refs, its sounds; with no --refs, the shared\n"
            "                     sounds and then built-in templates' sounds, %d in all. Also\n"
            "                     prints the room to move (each descriptor's response if the\n"
            "                     render analysed exactly as the moved, clamped curves) and the\n"
            "                     pitch ceiling (that of a tone following the moved pitch curve\n"
            "                     exactly within yin's 50-5000 Hz)\n"
            "  --tuning           every template of each model (its own, then the built-ins) rendered\n"
            "                     at its pitch and transposed by -12, -5, +7, +12 semitones (render\n"
            "                     --transpose): the measured interval's error in cents, and whether\n"
            "                     the template is tonal (most loud frames on one pitch)\n"
            "  --sheet OUT.png    spectrograms of every template of the model and the built-ins,\n"
            "                     rendered by the model (seed --seed), one labelled grid\n"
            "  --scale-from TH    MAE scales from this file's input_std (default: the original .th\n"
            "                     if a model or " ORIGINAL_TH " has it,\n"
            "                     else the documented rounded values)\n",
            MAX_MODELS, CONTROL_FROM_DATA, CONTROL_DEFAULT_REFS);
}

typedef struct {
    char **name; /* display name per reference */
    char **path; /* file path (folder mode) */
    int *index;  /* manifest entry (manifest mode) */
    int n, cap;
} ref_list;

static int has_audio_ext(const char *s)
{
    const char *dot = strrchr(s, '.');
    const char *ok[] = {".wav", ".flac", ".ogg", ".aif", ".aiff", ".oga"};
    if (!dot) return 0;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcasecmp(dot, ok[i])) return 1;
    return 0;
}

static int ref_add(ref_list *l, const char *name, const char *path, int index)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        char **a = realloc(l->name, (size_t)cap * sizeof *a);
        if (a) l->name = a;
        char **b = realloc(l->path, (size_t)cap * sizeof *b);
        if (b) l->path = b;
        int *c = realloc(l->index, (size_t)cap * sizeof *c);
        if (c) l->index = c;
        if (!a || !b || !c) return 0;
        l->cap = cap;
    }
    l->name[l->n] = strdup(name);
    l->path[l->n] = path ? strdup(path) : NULL;
    l->index[l->n] = index;
    if (!l->name[l->n] || (path && !l->path[l->n])) return 0;
    l->n++;
    return 1;
}

static void ref_free(ref_list *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->name[i]);
        free(l->path[i]);
    }
    free(l->name);
    free(l->path);
    free(l->index);
}

static int scan_dir(const char *dir, ref_list *l)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "neurorack eval: %s: cannot list the folder\n", dir);
        return 0;
    }
    int ok = 1;
    for (int i = 0; i < n; i++) {
        if (ok && ents[i]->d_name[0] != '.' && has_audio_ext(ents[i]->d_name)) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", dir, ents[i]->d_name);
            ok = ref_add(l, ents[i]->d_name, p, -1);
        }
        free(ents[i]);
    }
    free(ents);
    return ok;
}

/* A data-set entry at the analysis rate, resampled as a file is (librosa.load's kaiser_best), not with
 * the data set's own resampler. */
static nr_result load_entry_22050(const nr_manifest *m, int i, nr_audio *out)
{
    nr_audio raw = {0};
    nr_result r = nr_ds_load_audio(m, i, 0, &raw);
    if (r == NR_OK) r = nr_audio_resample_kaiser_best(raw.samples, raw.n, raw.rate, NR_ANALYSIS_RATE, out);
    nr_audio_free(&raw);
    return r;
}

/* A file-system-safe version of a reference name. */
static void safe_name(const char *s, char *out, size_t cap)
{
    size_t k = 0;
    for (; *s && k + 1 < cap && k < 48; s++)
        out[k++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                           *s == '-' || *s == '_' ? *s : '_';
    out[k] = '\0';
}

static nr_result png_figure(const char *dir, int k, const char *ref_name, const nr_audio *ref, nr_audio *renders,
                            const char *const *labels, const nr_eval_result *res, int n_models)
{
    const float *x[1 + MAX_MODELS];
    long n[1 + MAX_MODELS];
    char titles[1 + MAX_MODELS][96];
    const char *tp[1 + MAX_MODELS];
    x[0] = ref->samples;
    n[0] = ref->n;
    snprintf(titles[0], sizeof titles[0], "reference %s", ref_name);
    for (int j = 0; j < n_models; j++) {
        x[1 + j] = renders[j].samples;
        n[1 + j] = renders[j].n;
        snprintf(titles[1 + j], sizeof titles[1 + j], "%s  corr %.2f  spec %.2f", labels[j], res[j].corr_mean,
                 res[j].spectral);
    }
    for (int j = 0; j <= n_models; j++) tp[j] = titles[j];
    char base[64], path[4096];
    safe_name(ref_name, base, sizeof base);
    snprintf(path, sizeof path, "%s/%02d_%s.png", dir, k, base);
    nr_result r = nr_eval_spectrogram_png(path, x, n, tp, 1 + n_models, ref->rate);
    if (r == NR_OK) fprintf(stderr, "  wrote %s\n", path);
    return r;
}

static nr_result load_ref(const ref_list *l, int i, const nr_manifest *man, nr_audio *out)
{
    if (l->index[i] == TEMPLATE_REF) return nr_template_audio(l->path[i], out);
    if (l->index[i] >= 0) return load_entry_22050(man, l->index[i], out);
    return nr_audio_load(l->path[i], NR_ANALYSIS_RATE, out);
}

/* The tuning table of each model: every template it plays (its own, then the built-ins it does not
 * hide). Returns 0 when every tonal template is within NR_TUNING_CENTS at every interval. */
#define NR_TUNING_CENTS 20.0
static int run_tuning(nr_model *const *models, const char *const *labels, int n_models, uint64_t seed)
{
    static const double st[] = {-12.0, -5.0, 7.0, 12.0};
    enum { N_ST = (int)(sizeof st / sizeof st[0]) };
    int bad = 0;
    for (int k = 0; k < n_models; k++) {
        printf("\n%s: interval error in cents (measured - asked), seed %llu\n\n", labels[k], (unsigned long long)seed);
        printf("| template | pitch Hz | loud frames on it | -12 | -5 | +7 | +12 | tonal | within %.0f cents |\n"
               "|---|---:|---:|---:|---:|---:|---:|---|---|\n", NR_TUNING_CENTS);
        int nm = nr_model_template_count(models[k]), nb = nr_template_count();
        for (int i = 0; i < nm + nb; i++) {
            const char *name = i < nm ? nr_model_template_name(models[k], i) : nr_template_name(i - nm);
            if (i >= nm && nr_model_template_find(models[k], name) >= 0) continue; /* hidden by the model's */
            double base = 0.0, stable = 0.0, cents[N_ST];
            if (nr_eval_tuning(models[k], name, st, N_ST, seed, &base, &stable, cents) != NR_OK) {
                printf("| %s | %s | | | | | | | |\n", name, nr_last_error());
                bad = 1;
                continue;
            }
            int tonal = base > 0.0 && stable >= NR_EVAL_TONAL_SHARE, ok = 1;
            printf("| %s%s | %.1f | %.0f %% |", name, i < nm ? "" : " (built-in)", base, 100.0 * stable);
            for (int s = 0; s < N_ST; s++) {
                ok &= isfinite(cents[s]) && fabs(cents[s]) <= NR_TUNING_CENTS;
                printf(isfinite(cents[s]) ? " %+.1f |" : " - |", cents[s]);
            }
            printf(" %s | %s |\n", tonal ? "yes" : "no", tonal ? (ok ? "yes" : "**no**") : "");
            bad |= tonal && !ok;
        }
    }
    return bad;
}

/* The control matrix of each model over the references; 0 if every reference went through. */
static int run_control(nr_model *const *models, const char *const *labels, int n_models, const ref_list *l,
                       const nr_manifest *man, const nr_eval_config *cfg, const char *csv)
{
    if (l->n == 0) {
        fprintf(stderr, "neurorack eval: --control has no reference sounds\n");
        return 1;
    }
    printf("control matrix: %d reference(s), seed %llu, first %d s of each:", l->n, (unsigned long long)cfg->seed,
           NR_EVAL_MAX_SECONDS);
    for (int i = 0; i < l->n; i++) printf(" %s", l->name[i]);
    printf("\n");
    fflush(stdout);
    /* rows: per model, one per reference that went through, then the mean */
    nr_eval_control_row *rows = calloc((size_t)n_models * (l->n + 1), sizeof *rows);
    if (!rows) {
        fprintf(stderr, "neurorack eval: out of memory\n");
        return 1;
    }
    int n_rows = 0, n_failed = 0;
    int *n_ok = calloc((size_t)n_models, sizeof *n_ok);
    double(*sum)[NR_NUM_DESC][NR_NUM_DESC] = calloc((size_t)n_models, sizeof *sum);
    double *ceil_sum = calloc((size_t)n_models, sizeof *ceil_sum); /* the pitch ceiling's sum, per model */
    double(*room_sum)[NR_NUM_DESC] = calloc((size_t)n_models, sizeof *room_sum);
    if (!n_ok || !sum || !ceil_sum || !room_sum) {
        free(rows);
        free(n_ok);
        free(sum);
        free(ceil_sum);
        free(room_sum);
        fprintf(stderr, "neurorack eval: out of memory\n");
        return 1;
    }
    for (int i = 0; i < l->n; i++) {
        nr_audio ref = {0};
        if (load_ref(l, i, man, &ref) != NR_OK) {
            fprintf(stderr, "neurorack eval: skipped %s: %s\n", l->name[i], nr_last_error());
            n_failed++;
            continue;
        }
        for (int k = 0; k < n_models; k++) {
            nr_eval_control_row *row = &rows[n_rows];
            double sd[NR_NUM_DESC], ceiling = NAN, room[NR_NUM_DESC];
            if (nr_eval_control_sound(models[k], &ref, cfg, row->m) != NR_OK ||
                nr_eval_control_scales(models[k], sd) != NR_OK ||
                nr_eval_control_pitch_ceiling(&ref, cfg, sd[NR_DESC_PITCH], &ceiling) != NR_OK ||
                nr_eval_control_room(&ref, cfg, sd, room) != NR_OK) {
                fprintf(stderr, "neurorack eval: skipped %s with %s: %s\n", l->name[i], labels[k], nr_last_error());
                n_failed++;
                continue;
            }
            snprintf(row->model, sizeof row->model, "%s", labels[k]);
            snprintf(row->ref, sizeof row->ref, "%s", l->name[i]);
            n_rows++;
            n_ok[k]++;
            fprintf(stderr, "[%d/%d] %-40s %-12s response", i + 1, l->n, l->name[i], labels[k]);
            for (int d = 0; d < NR_NUM_DESC; d++) {
                fprintf(stderr, " %.2f", row->m[d][d]);
                for (int e = 0; e < NR_NUM_DESC; e++) sum[k][d][e] += row->m[d][e];
            }
            fprintf(stderr, " (pitch ceiling %.2f)\n", ceiling);
            ceil_sum[k] += ceiling;
            for (int d = 0; d < NR_NUM_DESC; d++) room_sum[k][d] += room[d];
        }
        nr_audio_free(&ref);
    }
    for (int k = 0; k < n_models; k++) {
        if (!n_ok[k]) continue;
        nr_eval_control_row *row = &rows[n_rows++];
        snprintf(row->model, sizeof row->model, "%s", labels[k]);
        snprintf(row->ref, sizeof row->ref, "mean");
        for (int d = 0; d < NR_NUM_DESC; d++)
            for (int e = 0; e < NR_NUM_DESC; e++) row->m[d][e] = sum[k][d][e] / n_ok[k];
        printf("\n");
        nr_eval_print_control(stdout, labels[k], (const double(*)[NR_NUM_DESC])row->m, n_ok[k]);
        printf("room to move (the response of renders that analyse exactly as the moved, clamped curves):");
        for (int d = 0; d < NR_NUM_DESC; d++)
            printf("%s %s %.2f", d ? "," : "", nr_desc_names[d], room_sum[k][d] / n_ok[k]);
        printf("\n");
        printf("pitch ceiling: a tone that follows the moved pitch curve exactly within yin's %g-%g Hz would "
               "respond %.2f on these references (this model %.2f)\n",
               NR_EVAL_YIN_LO, NR_EVAL_YIN_HI, ceil_sum[k] / n_ok[k], row->m[NR_DESC_PITCH][NR_DESC_PITCH]);
    }
    int rc = n_failed ? 1 : 0;
    if (csv) {
        if (nr_eval_write_control_csv(csv, rows, n_rows) != NR_OK) rc = nr_cli_error("eval");
        else printf("wrote %s (%d matrices)\n", csv, n_rows);
    }
    if (n_failed) printf("%d reference(s) skipped (see messages above)\n", n_failed);
    free(rows);
    free(n_ok);
    free(sum);
    free(ceil_sum);
    free(room_sum);
    return rc;
}

int nr_cmd_eval(int argc, char **argv)
{
    const char *me = "eval";
    const char *model_arg[MAX_MODELS];
    int n_models = 0;
    const char *refs = NULL, *split_s = "test", *csv = NULL, *png = NULL, *scale_from = NULL, *sheet = NULL;
    long limit = 0, png_count = 3, seed = 1;
    int control = 0, tuning = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--control")) {
            control = 1;
            continue;
        }
        if (!strcmp(a, "--tuning")) {
            tuning = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "neurorack eval: %s needs a value (or is unknown; see --help)\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--model")) {
            if (n_models == MAX_MODELS) {
                fprintf(stderr, "neurorack eval: at most %d models\n", MAX_MODELS);
                return 2;
            }
            model_arg[n_models++] = v;
        } else if (!strcmp(a, "--refs")) refs = v;
        else if (!strcmp(a, "--split")) split_s = v;
        else if (!strcmp(a, "--csv")) csv = v;
        else if (!strcmp(a, "--png")) png = v;
        else if (!strcmp(a, "--sheet")) sheet = v;
        else if (!strcmp(a, "--scale-from")) scale_from = v;
        else if (!strcmp(a, "--limit")) { if (!nr_cli_int(me, a, v, 1, 1L << 30, &limit)) return 2; }
        else if (!strcmp(a, "--png-count")) { if (!nr_cli_int(me, a, v, 0, 100, &png_count)) return 2; }
        else if (!strcmp(a, "--seed")) { if (!nr_cli_int(me, a, v, 0, 0x7fffffffL, &seed)) return 2; }
        else {
            fprintf(stderr, "neurorack eval: unknown option '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (!refs && !control && !sheet && !tuning) {
        fprintf(stderr, "neurorack eval: --refs DIR|MANIFEST is required (see --help)\n");
        return 2;
    }
    if (control && sheet) {
        fprintf(stderr, "neurorack eval: --control and --sheet are separate runs\n");
        return 2;
    }
    nr_split split = nr_split_parse(split_s);
    if (split == NR_SPLIT_COUNT) {
        fprintf(stderr, "neurorack eval: --split takes train, valid or test (got '%s')\n", split_s);
        return 2;
    }
    if (n_models == 0) {
        const char *d = nr_cli_default_model();
        if (!d) {
            fprintf(stderr, "neurorack eval: no --model given and no default model found\n");
            return 2;
        }
        model_arg[n_models++] = d;
    }

    int rc = 1;
    nr_model *models[MAX_MODELS] = {0};
    char labels[MAX_MODELS][64];
    const char *lp[MAX_MODELS];
    ref_list refl = {0};
    nr_manifest man = {0};
    int is_manifest = 0;
    nr_eval_row *rows = NULL;
    nr_eval_config cfg = nr_eval_config_init();
    cfg.seed = (uint64_t)seed;

    for (int k = 0; k < n_models; k++) {
        const char *p = model_arg[k], *eq = strchr(p, '=');
        if (eq && eq > p && !memchr(p, '/', (size_t)(eq - p))) {
            snprintf(labels[k], sizeof labels[k], "%.*s", (int)(eq - p), p);
            p = eq + 1;
        } else {
            const char *b = strrchr(p, '/');
            snprintf(labels[k], sizeof labels[k], "%s", b ? b + 1 : p);
            char *dot = strrchr(labels[k], '.');
            if (dot && dot != labels[k]) *dot = '\0';
        }
        lp[k] = labels[k];
        if (nr_model_load(p, &models[k]) != NR_OK) {
            nr_cli_error(me);
            goto out;
        }
    }

    /* MAE scales: the original's stored input_std, from wherever it is found. */
    const char *scale_src = "the documented rounded input_std of the original";
    if (scale_from) {
        if (nr_eval_scale_from_model_file(scale_from, &cfg) != NR_OK) {
            nr_cli_error(me);
            goto out;
        }
        scale_src = scale_from;
    } else {
        int found = 0;
        for (int k = 0; k < n_models && !found; k++) {
            const nr_tensor *t = nr_tensor_set_find(nr_model_tensors(models[k]), "input_std");
            if (t && t->numel == NR_NUM_DESC) {
                for (int d = 0; d < NR_NUM_DESC; d++) cfg.desc_scale[d] = t->data[d];
                scale_src = model_arg[k];
                found = 1;
            }
        }
        if (!found && nr_eval_scale_from_model_file(ORIGINAL_TH, &cfg) == NR_OK) scale_src = ORIGINAL_TH;
        nr_clear_error();
    }

    if (tuning) {
        rc = run_tuning(models, lp, n_models, (uint64_t)seed);
        goto out;
    }
    if (sheet) {
        if (n_models > 1) fprintf(stderr, "neurorack eval: --sheet draws the first model only (%s)\n", labels[0]);
        if (nr_eval_template_sheet(models[0], sheet, (uint64_t)seed) != NR_OK) {
            nr_cli_error(me);
            goto out;
        }
        printf("wrote %s\n", sheet);
        rc = 0;
        goto out;
    }

    struct stat st;
    if (!refs) {
        /* the control matrix's default references: the shared sounds, then built-in templates */
        if (stat(SHARED_SOUNDS, &st) == 0 && S_ISDIR(st.st_mode) && !scan_dir(SHARED_SOUNDS, &refl)) goto out;
        for (int t = 0; refl.n < CONTROL_DEFAULT_REFS && t < nr_template_count(); t++) {
            char name[64];
            snprintf(name, sizeof name, "template:%s", nr_template_name(t));
            if (!ref_add(&refl, name, nr_template_name(t), TEMPLATE_REF)) {
                fprintf(stderr, "neurorack eval: out of memory\n");
                goto out;
            }
        }
        rc = run_control(models, lp, n_models, &refl, &man, &cfg, csv);
        goto out;
    }
    if (stat(refs, &st) != 0) {
        fprintf(stderr, "neurorack eval: %s: no such file or folder\n", refs);
        goto out;
    }
    char mpath[4096];
    if (S_ISDIR(st.st_mode)) snprintf(mpath, sizeof mpath, "%s/%s", refs, NR_MANIFEST_FILE);
    else snprintf(mpath, sizeof mpath, "%s", refs);
    if (!S_ISDIR(st.st_mode) || stat(mpath, &st) == 0) {
        if (nr_manifest_read(mpath, &man) != NR_OK) {
            nr_cli_error(me);
            goto out;
        }
        is_manifest = 1;
        int it = -1, i;
        while ((i = nr_manifest_next(&man, split, &it)) >= 0) {
            char name[96];
            snprintf(name, sizeof name, "%s-%s", man.e[i].hash, man.e[i].cls);
            if (!ref_add(&refl, name, NULL, i)) {
                fprintf(stderr, "neurorack eval: out of memory\n");
                goto out;
            }
        }
    } else if (!scan_dir(refs, &refl)) {
        goto out;
    }
    if (refl.n == 0) {
        fprintf(stderr, "neurorack eval: %s: no reference sounds%s%s\n", refs, is_manifest ? " in split " : "",
                is_manifest ? split_s : "");
        goto out;
    }
    if (control) {
        ref_list cl = {0};
        int ok = 1;
        if (is_manifest) { /* the shared sounds, then CONTROL_FROM_DATA (or --limit) spread over the split */
            if (stat(SHARED_SOUNDS, &st) == 0 && S_ISDIR(st.st_mode)) ok = scan_dir(SHARED_SOUNDS, &cl);
            int want = limit > 0 ? (int)limit : CONTROL_FROM_DATA;
            if (want > refl.n) want = refl.n;
            for (int j = 0; j < want && ok; j++) {
                int i = (int)((long)j * refl.n / want);
                ok = ref_add(&cl, refl.name[i], NULL, refl.index[i]);
            }
        } else {
            int want = limit > 0 && limit < refl.n ? (int)limit : refl.n;
            for (int j = 0; j < want && ok; j++) {
                int i = (int)((long)j * refl.n / want);
                ok = ref_add(&cl, refl.name[i], refl.path[i], -1);
            }
        }
        if (ok) rc = run_control(models, lp, n_models, &cl, &man, &cfg, csv);
        else fprintf(stderr, "neurorack eval: out of memory\n");
        ref_free(&cl);
        goto out;
    }
    int n_refs = limit > 0 && limit < refl.n ? (int)limit : refl.n;
    printf("references: %s%s%s, %d of %d; MAE scales from %s\n", refs, is_manifest ? ", split " : "",
           is_manifest ? split_s : "", n_refs, refl.n, scale_src);
    fflush(stdout);
    rows = calloc((size_t)n_refs * n_models, sizeof *rows);
    if (!rows) {
        fprintf(stderr, "neurorack eval: out of memory\n");
        goto out;
    }
    if (png) mkdir(png, 0777);

    int n_rows = 0, n_failed = 0, n_png = 0;
    for (int j = 0; j < n_refs; j++) {
        int i = (int)((long)j * refl.n / n_refs);
        nr_audio ref = {0};
        nr_result r = load_ref(&refl, i, &man, &ref);
        if (r != NR_OK) {
            fprintf(stderr, "neurorack eval: skipped %s: %s\n", refl.name[i], nr_last_error());
            n_failed++;
            continue;
        }
        nr_audio renders[MAX_MODELS] = {0};
        nr_eval_result res[MAX_MODELS];
        int want_png = png && n_png < png_count, ok = 1;
        for (int k = 0; k < n_models && ok; k++) {
            r = nr_eval_sound(models[k], &ref, &cfg, &res[k], want_png ? &renders[k] : NULL);
            if (r != NR_OK) {
                fprintf(stderr, "neurorack eval: skipped %s with %s: %s\n", refl.name[i], labels[k], nr_last_error());
                ok = 0;
            }
        }
        if (ok) {
            for (int k = 0; k < n_models; k++) {
                nr_eval_row *row = &rows[n_rows++];
                snprintf(row->model, sizeof row->model, "%s", labels[k]);
                snprintf(row->ref, sizeof row->ref, "%s", refl.name[i]);
                row->r = res[k];
                fprintf(stderr, "[%d/%d] %-40s %-20s %5.2f s  corr %.3f  spec %.3f  %.1fx\n", j + 1, n_refs,
                        refl.name[i], labels[k], res[k].seconds, res[k].corr_mean, res[k].spectral, res[k].speed);
            }
            if (want_png) {
                if (png_figure(png, n_png, refl.name[i], &ref, renders, lp, res, n_models) != NR_OK)
                    nr_cli_error(me);
                n_png++;
            }
        } else {
            n_failed++;
        }
        for (int k = 0; k < n_models; k++) nr_audio_free(&renders[k]);
        nr_audio_free(&ref);
    }
    if (csv) {
        if (nr_eval_write_csv(csv, rows, n_rows) != NR_OK) {
            nr_cli_error(me);
            goto out;
        }
        printf("wrote %s (%d rows)\n", csv, n_rows);
    }
    nr_eval_summary sums[MAX_MODELS];
    for (int k = 0; k < n_models; k++) nr_eval_summarize(rows, n_rows, labels[k], &sums[k]);
    printf("\n");
    nr_eval_print_summary(stdout, lp, sums, n_models);
    printf("\ncorrelation: per sound over frames with reference rms >= %g; a descriptor whose curve is constant "
           "there (either side) has none and is left out of the means (count in brackets)\n",
           (double)cfg.min_rms);
    if (n_failed) printf("%d reference(s) skipped (see messages above)\n", n_failed);
    rc = n_rows > 0 ? 0 : 1;
out:
    free(rows);
    ref_free(&refl);
    nr_manifest_free(&man);
    for (int k = 0; k < n_models; k++) nr_model_free(models[k]);
    return rc;
}
