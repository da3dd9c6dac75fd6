/* neurorack train-latent: train the latent curve model (a VAE over whole descriptor curves whose 4 axes
 * are decay, brightness, pitch and noisiness) on a dataset manifest. */
#include "commands.h"
#include "nr/latent.h"
#include "nr/train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: neurorack train-latent --data MANIFEST --out FILE [--steps N] [--seed N] [--batch N] [--lr X]\n"
               "                              [--hidden N] [--layers N] [--beta X] [--gamma X] [--delta X]\n"
               "                              [--len-weight X] [--kl-warmup N] [--resume CKPT] [--checkpoint PATH]\n"
               "                              [--checkpoint-every N] [--valid-every N] [--quiet]\n"
               "       neurorack train-latent --eval FILE --data MANIFEST [--points N] [--seed N]\n"
               "                              [--render N] [--model SYNTH]\n"
               "  --data     dataset manifest (its cached curves), or synthetic:N generated impact curves\n"
               "  --out      latent model written at the end (tensors latent.*); checkpoints go to FILE.ckpt\n"
               "  --beta     KL weight (--kl-warmup N: rising from 0 over the first N steps); --gamma, --delta:\n"
               "             attribute-regularisation weight and sharpness (AR-VAE)\n"
               "  --eval     measure a latent model on the test split: reconstruction, axis monotonicity, realism\n"
               "  --render   with --eval: also render N random points (render --latent random --seed 1..N) with the\n"
               "             synthesis model (--model, default the shipped one): clicks, silent and clipped renders\n"
               "defaults: --steps 6000 --seed 1 --batch 64 --lr 0.001 --hidden 128 --layers 2 --beta 0.2\n"
               "          --gamma 2 --delta 10 --len-weight 3 --kl-warmup 0 --checkpoint-every 500 --valid-every 250\n");
}

static void print_eval(const nr_latent_eval *ev)
{
    printf("reconstruction on %d clips (encoder mean -> decoder), correlation over loud frames:\n", ev->n_clips);
    printf("  %-12s %8s %8s\n", "descriptor", "pooled", "per clip");
    for (int d = 0; d < NR_NUM_DESC; d++)
        printf("  %-12s %8.3f %8.3f\n", nr_desc_names[d], ev->corr_pooled[d], ev->corr_clip[d]);
    printf("  length: median error %.1f %%, %.1f %% of clips within 10 %%\n", 100 * ev->len_err_median,
           100 * ev->len_within10);
    printf("axes: mean Spearman of each attribute along each axis (%d prior points, -2..+2 in 9 steps)\n", ev->n_points);
    printf("  %-8s", "axis");
    for (int q = 0; q < NR_LAT_DIM; q++) printf(" %10s", nr_lat_attr_names[q]);
    printf("\n");
    for (int r = 0; r < NR_LAT_DIM; r++) {
        printf("  %d %-6s", r + 1, "");
        for (int q = 0; q < NR_LAT_DIM; q++) printf(" %10.3f", ev->rho[r][q]);
        printf("\n");
    }
    printf("decode: %.0f us per point (one thread)\n", ev->decode_us);
    printf("realism: distance to the nearest training clip (summary features): test clips %.3f, prior samples %.3f,\n"
           "  random points where the data is (render --latent random) %.3f,\n"
           "  random training clip + variation 0.5 (the synth's template baseline) %.3f\n",
           ev->realism_test, ev->realism_prior, ev->realism_data, ev->realism_baseline);
}

/* n random points (render --latent random) rendered with the synthesis model: clicks, silent and clipped renders. */
static int render_check(const char *latent, const char *synth, int n)
{
    if (!synth) synth = nr_cli_default_model();
    if (!synth) {
        fprintf(stderr, "neurorack train-latent: no --model given and no default model found\n");
        return 1;
    }
    nr_latent lm;
    nr_model *m = NULL;
    if (nr_latent_load(latent, &lm) != NR_OK) return nr_cli_error("train-latent");
    if (nr_model_load(synth, &m) != NR_OK) {
        nr_latent_free(&lm);
        return nr_cli_error("train-latent");
    }
    nr_latent_render_report rr;
    nr_result r = nr_latent_render_check(&lm, m, n, 1, &rr);
    nr_model_free(m);
    nr_latent_free(&lm);
    if (r != NR_OK) return nr_cli_error("train-latent");
    printf("renders: %d random points (seeds 1..%d) with %s\n", rr.n, n, synth);
    printf("  the model's output: clicks (nr_eval_count_clicks of each render): %ld in %d renders", rr.clicks, rr.clicky);
    if (rr.clicky) printf(" (most: seed %llu)", (unsigned long long)rr.worst_seed);
    printf("\n  silent (peak < %.3f): %d; clipped (peak >= %.3f): %d\n", NR_LAT_SILENT_PEAK, rr.silent, NR_LAT_CLIP_PEAK,
           rr.clipped);
    printf("  peak %.4f / %.4f / %.4f, duration %.2f / %.2f / %.2f s (min / median / max)\n", rr.peak_min,
           rr.peak_median, rr.peak_max, rr.sec_min, rr.sec_median, rr.sec_max);
    printf("  as played (the output stage: DC blocker, soft limiter): clicks %ld in %d renders; silent %d; "
           "clipped %d; loudest peak %.4f\n", rr.played_clicks, rr.played_clicky, rr.played_silent, rr.played_clipped,
           rr.played_peak_max);
    return 0;
}

int nr_cmd_train_latent(int argc, char **argv)
{
    nr_latent_train_config c = nr_latent_train_config_init();
    const char *eval = NULL, *synth = NULL;
    long points = 200, render = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        double x;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--quiet")) {
            c.progress = 0;
            continue;
        }
        if (!v) {
            fprintf(stderr, "neurorack train-latent: %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--data")) c.data = v;
        else if (!strcmp(a, "--out")) c.out = v;
        else if (!strcmp(a, "--resume")) c.resume = v;
        else if (!strcmp(a, "--checkpoint")) c.checkpoint = v;
        else if (!strcmp(a, "--eval")) eval = v;
        else if (!strcmp(a, "--model")) synth = v;
        else if (!strcmp(a, "--render")) {
            if (!nr_cli_int("train-latent", a, v, 1, 100000, &render)) return 2;
        }
        else if (!strcmp(a, "--points")) {
            if (!nr_cli_int("train-latent", a, v, 1, 100000, &points)) return 2;
        } else if (!strcmp(a, "--steps")) {
            if (!nr_cli_int("train-latent", a, v, 1, 100000000, &n)) return 2;
            c.steps = n;
        } else if (!strcmp(a, "--seed")) {
            if (!nr_cli_int("train-latent", a, v, 0, 2147483647L, &n)) return 2;
            c.seed = (uint64_t)n;
        } else if (!strcmp(a, "--batch")) {
            if (!nr_cli_int("train-latent", a, v, 2, 256, &n)) return 2;
            c.batch = (int)n;
        } else if (!strcmp(a, "--hidden")) {
            if (!nr_cli_int("train-latent", a, v, 4, 4096, &n)) return 2;
            c.hidden = (int)n;
        } else if (!strcmp(a, "--layers")) {
            if (!nr_cli_int("train-latent", a, v, 1, NR_LAT_MAX_LAYERS, &n)) return 2;
            c.layers = (int)n;
        } else if (!strcmp(a, "--checkpoint-every")) {
            if (!nr_cli_int("train-latent", a, v, 0, 100000000, &n)) return 2;
            c.checkpoint_every = (int)n;
        } else if (!strcmp(a, "--valid-every")) {
            if (!nr_cli_int("train-latent", a, v, 0, 100000000, &n)) return 2;
            c.valid_every = (int)n;
        } else if (!strcmp(a, "--lr")) {
            if (!nr_cli_float("train-latent", a, v, 1e-7, 0.5, &x)) return 2;
            c.lr = (float)x;
        } else if (!strcmp(a, "--beta")) {
            if (!nr_cli_float("train-latent", a, v, 0, 100, &x)) return 2;
            c.beta = (float)x;
        } else if (!strcmp(a, "--gamma")) {
            if (!nr_cli_float("train-latent", a, v, 0, 100, &x)) return 2;
            c.gamma = (float)x;
        } else if (!strcmp(a, "--delta")) {
            if (!nr_cli_float("train-latent", a, v, 0.01, 1000, &x)) return 2;
            c.delta = (float)x;
        } else if (!strcmp(a, "--kl-warmup")) {
            if (!nr_cli_int("train-latent", a, v, 0, 100000000, &n)) return 2;
            c.kl_warmup = n;
        } else if (!strcmp(a, "--len-weight")) {
            if (!nr_cli_float("train-latent", a, v, 0, 100, &x)) return 2;
            c.len_weight = (float)x;
        } else {
            fprintf(stderr, "neurorack train-latent: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (eval) {
        if (!c.data) {
            fprintf(stderr, "neurorack train-latent: --eval needs --data\n");
            return 2;
        }
        nr_latent_eval ev;
        if (nr_latent_evaluate_file(eval, c.data, (int)points, c.seed, &ev) != NR_OK) return nr_cli_error("train-latent");
        print_eval(&ev);
        if (render > 0) return render_check(eval, synth, (int)render);
        return 0;
    }
    if (render > 0 || synth) {
        fprintf(stderr, "neurorack train-latent: --render and --model go with --eval\n");
        return 2;
    }
    if (!c.data || !c.out) {
        fprintf(stderr, "neurorack train-latent: --data and --out are required\n");
        usage(stderr);
        return 2;
    }
    nr_latent_train_report rep;
    if (nr_latent_train(&c, &rep) != NR_OK) return nr_cli_error("train-latent");
    printf("trained %ld steps in %.1f s on %d clips (%d validation, %d test, %d skipped), %lld parameters\n", rep.step,
           rep.seconds, rep.n_train, rep.n_valid, rep.n_test, rep.n_skipped, (long long)rep.n_params);
    printf("loss: first step %.4f, last 20 steps %.4f; validation reconstruction %.4f -> %.4f\n", rep.first_loss,
           rep.train_loss, rep.valid_first, rep.valid_loss);
    print_eval(&rep.eval);
    printf("wrote %s\n", c.out);
    return 0;
}

/* neurorack latent-map: the training clips on the plane of two latent axes, by class (PNG). */
int nr_cmd_latent_map(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *out = NULL;
    int ax = 0, ay = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: neurorack latent-map --latent-model FILE --data MANIFEST [--axes X,Y] -o OUT.png\n"
                   "  the training split's clips, encoded, on the plane of latent axes X and Y (1..4: decay,\n"
                   "  brightness, pitch, noisiness; default 1,2), one colour per class, -3..+3 prior std\n");
            return 0;
        }
        if (!v) {
            fprintf(stderr, "neurorack latent-map: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--latent-model")) model = v;
        else if (!strcmp(a, "--data")) data = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--axes")) {
            char tail;
            if (sscanf(v, "%d,%d%c", &ax, &ay, &tail) != 2 || ax < 1 || ax > NR_LAT_DIM || ay < 1 || ay > NR_LAT_DIM ||
                ax == ay) {
                fprintf(stderr, "neurorack latent-map: --axes '%s': expected two different axes X,Y in 1..%d\n", v,
                        NR_LAT_DIM);
                return 2;
            }
            ax--, ay--;
        } else {
            fprintf(stderr, "neurorack latent-map: unknown option '%s'\n", a);
            return 2;
        }
    }
    if (!model || !data || !out) {
        fprintf(stderr, "neurorack latent-map: --latent-model, --data and -o are required\n");
        return 2;
    }
    if (nr_latent_map_png(model, data, ax, ay, out) != NR_OK) return nr_cli_error("latent-map");
    printf("wrote %s\n", out);
    return 0;
}
