/* neurorack train: train the light nr-impact-2 (default) or nr-impact-1 model on a dataset manifest. */
#include "commands.h"
#include "neurorack.h"
#include "nr/train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: neurorack train --data MANIFEST --out MODEL [--arch ARCH] [--steps N] [--threads N] [--seed N]\n"
               "                       [--resume CKPT] [--checkpoint PATH] [--batch N] [--lr X] [--clip SECONDS]\n"
               "                       [--hidden N] [--layers N] [--checkpoint-every N] [--valid-every N] [--quiet]\n"
               "                       [--desc-weight X] [--desc-weights W,W,W,W,W,W,W] [--pitch-weight X]\n"
               "                       [--perturb P] [--perturb-weight X] [--band-weight X] [--click-weight X]\n"
               "                       [--harm-env index|freq] [--onset-pitch settle|raw] [--init MODEL]\n"
               "                       [--inharm-lo OCTAVES] [--inharm-floor OCTAVES|none] [--stop-after N]\n"
               "       neurorack train --export CKPT --out MODEL [--data MANIFEST]\n"
               "                       (the model of a checkpoint, e.g. of a stopped run)\n"
               "  --arch        nr-impact-2 (default: full band, envelope-shaped harmonics and noise) or\n"
               "                nr-impact-1; a checkpoint records it and --resume needs the same\n"
               "  --data        dataset manifest (neurorack dataset), or synthetic:N for N generated impacts\n"
               "  --out         model file written at the end (.safetensors); checkpoints go to MODEL.ckpt.\n"
               "                The model carries one template per class picked from the --data training split\n"
               "                (as `neurorack convert --templates-from`); --export does the same with --data\n"
               "  --resume      continue from a checkpoint (same seed and sizes) up to --steps\n"
               "  --desc-weight scale of the descriptor losses (the render's 7 descriptors against the curves)\n"
               "  --desc-weights each descriptor loss's weight: loudness, percussivity, tonelike, noisiness,\n"
               "                richness, brightness, pitch (the periodicity loss)\n"
               "  --pitch-weight the pitch entry of --desc-weights alone\n"
               "  --perturb     share of clips with one descriptor curve moved (descriptor losses and\n"
               "                the click term only)\n"
               "  --perturb-weight on those clips, the moved descriptor's loss weight times this\n"
               "  --harm-env    nr-impact-2's harmonic envelope: over frequency (freq, the default, the shipped\n"
               "                model's) or over the harmonic number (index: the timbre moves with the pitch)\n"
               "  --onset-pitch settle (the default for fresh weights): the curves' first pitch frames, which yin\n"
               "                reads far off at an onset, take the first settled pitch, in training and so in\n"
               "                every render of the model (the file records it); raw: yin's values as analysed\n"
               "                (the models before 2026-12-04). With --init, the parent's unless given\n"
               "  --inharm-lo   nr-impact-2's lowest inharmonic partial, octaves relative to f0 (default -1, an\n"
               "                octave under it; 0: none under f0). With --init, the parent's unless given:\n"
               "                the parent's partials then map onto the new range and are re-learnt\n"
               "  --inharm-floor OCTAVES|none  inharmonic partials under 2^OCTAVES f0 are silent (faded in over\n"
               "                0.15 octave below it; the file records it as impact2.inharm_floor and every render\n"
               "                of the model plays it). Default: none for fresh weights, the parent's with --init\n"
               "  --stop-after  stop after step N of the --steps run (its learning-rate schedule) and write the\n"
               "                checkpoint and the model of that step (the file records train.schedule_steps)\n"
               "  --band-weight weight per dB of the octave-band level loss (whole clip, as eval's band error)\n"
               "  --click-weight weight of the treble-peak loss: bursts above 3 kHz that stand over their\n"
               "                neighbourhood more than the target's do (eval's excess clicks), ((dB - slack) / 10)^2\n"
               "  --init        fine-tune MODEL (e.g. models/default.safetensors): start from its weights and\n"
               "                normalisation, with its architecture, --hidden, --layers and --harm-env (given ones\n"
               "                must agree); a fresh optimizer; --lr defaults to 0.0005; templates are picked from\n"
               "                --data as usual; the model written records train.init (file name and content hash)\n"
               "defaults: --steps 2000 --threads 2 --seed 1 --batch 8 --lr 0.002 --clip 1.0 --desc-weight 1\n"
               "          --desc-weights 4,1,1,1,1,1,1 --perturb 0.5 --perturb-weight 4 --band-weight 0\n"
               "          --click-weight 0 --harm-env freq\n");
}

/* "W,W,W,W,W,W,W": one weight per descriptor, each 0..100. */
static int parse_weights(const char *v, float *w)
{
    const char *p = v;
    for (int d = 0; d < NR_NUM_DESC; d++) {
        char *end;
        double x = strtod(p, &end);
        int sep_ok = d < NR_NUM_DESC - 1 ? *end == ',' : *end == '\0';
        if (end == p || !sep_ok || !(x >= 0 && x <= 100)) {
            fprintf(stderr, "neurorack train: --desc-weights '%s': expected %d comma-separated weights in 0..100\n", v,
                    NR_NUM_DESC);
            return 0;
        }
        w[d] = (float)x;
        p = end + 1;
    }
    return 1;
}

int nr_cmd_train(int argc, char **argv)
{
    nr_train_config c = nr_train_config_init();
    const char *export_ckpt = NULL;
    int lr_given = 0, harm_given = 0;
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
            fprintf(stderr, "neurorack train: %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--data")) c.data = v;
        else if (!strcmp(a, "--arch")) {
            if (strcmp(v, "nr-impact-2") && strcmp(v, "nr-impact-1")) {
                fprintf(stderr, "neurorack train: --arch '%s': expected nr-impact-2 or nr-impact-1\n", v);
                return 2;
            }
            c.arch = v;
        }
        else if (!strcmp(a, "--out")) c.out = v;
        else if (!strcmp(a, "--resume")) c.resume = v;
        else if (!strcmp(a, "--export")) export_ckpt = v;
        else if (!strcmp(a, "--checkpoint")) c.checkpoint = v;
        else if (!strcmp(a, "--steps")) {
            if (!nr_cli_int("train", a, v, 1, 100000000, &n)) return 2;
            c.steps = n;
        } else if (!strcmp(a, "--threads")) {
            if (!nr_cli_int("train", a, v, 1, 64, &n)) return 2;
            c.threads = (int)n;
        } else if (!strcmp(a, "--seed")) {
            if (!nr_cli_int("train", a, v, 0, 2147483647L, &n)) return 2;
            c.seed = (uint64_t)n;
        } else if (!strcmp(a, "--batch")) {
            if (!nr_cli_int("train", a, v, 1, 256, &n)) return 2;
            c.batch = (int)n;
        } else if (!strcmp(a, "--hidden")) {
            if (!nr_cli_int("train", a, v, 8, 512, &n)) return 2;
            c.hidden = (int)n;
        } else if (!strcmp(a, "--layers")) {
            if (!nr_cli_int("train", a, v, 1, 8, &n)) return 2;
            c.layers = (int)n;
        } else if (!strcmp(a, "--checkpoint-every")) {
            if (!nr_cli_int("train", a, v, 0, 100000000, &n)) return 2;
            c.checkpoint_every = (int)n;
        } else if (!strcmp(a, "--valid-every")) {
            if (!nr_cli_int("train", a, v, 0, 100000000, &n)) return 2;
            c.valid_every = (int)n;
        } else if (!strcmp(a, "--lr")) {
            if (!nr_cli_float("train", a, v, 1e-7, 0.5, &x)) return 2;
            c.lr = (float)x;
            lr_given = 1;
        } else if (!strcmp(a, "--desc-weight")) {
            if (!nr_cli_float("train", a, v, 0, 100, &x)) return 2;
            c.desc_weight = (float)x;
        } else if (!strcmp(a, "--pitch-weight")) {
            if (!nr_cli_float("train", a, v, 0, 100, &x)) return 2;
            c.desc_weights[NR_DESC_PITCH] = (float)x;
        } else if (!strcmp(a, "--desc-weights")) {
            if (!parse_weights(v, c.desc_weights)) return 2;
        } else if (!strcmp(a, "--perturb")) {
            if (!nr_cli_float("train", a, v, 0, 1, &x)) return 2;
            c.perturb = (float)x;
        } else if (!strcmp(a, "--perturb-weight")) {
            if (!nr_cli_float("train", a, v, 0, 100, &x)) return 2;
            c.perturb_weight = (float)x;
        } else if (!strcmp(a, "--stop-after")) {
            if (!nr_cli_int("train", a, v, 1, 100000000, &n)) return 2;
            c.stop_after = n;
            c.stop_writes_model = 1;
        } else if (!strcmp(a, "--onset-pitch")) {
            c.onset_pitch = v;
        } else if (!strcmp(a, "--inharm-floor")) {
            if (!strcmp(v, "none")) c.inharm_floor = NR_TRAIN_FLOOR_OFF;
            else if (!nr_cli_float("train", a, v, -8, 8, &x)) return 2;
            else c.inharm_floor = (float)x;
        } else if (!strcmp(a, "--inharm-lo")) {
            if (!nr_cli_float("train", a, v, -8, 3.99, &x)) return 2;
            c.inharm_lo = (float)x;
        } else if (!strcmp(a, "--harm-env")) {
            c.harm_env = v;
            harm_given = 1;
        } else if (!strcmp(a, "--init")) {
            c.init = v;
        } else if (!strcmp(a, "--band-weight")) {
            if (!nr_cli_float("train", a, v, 0, 100, &x)) return 2;
            c.band_weight = (float)x;
        } else if (!strcmp(a, "--click-weight")) {
            if (!nr_cli_float("train", a, v, 0, 100, &x)) return 2;
            c.click_weight = (float)x;
        } else if (!strcmp(a, "--clip")) {
            if (!nr_cli_float("train", a, v, 0.1, 20, &x)) return 2;
            c.clip_seconds = (float)x;
        } else {
            fprintf(stderr, "neurorack train: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (export_ckpt && c.out) {
        long step = 0;
        if (nr_train_export_templates(export_ckpt, c.data, c.out, &step) != NR_OK) return nr_cli_error("train");
        printf("wrote %s (checkpoint step %ld%s)\n", c.out, step,
               c.data ? "" : "; without templates: add --data MANIFEST to pick them");
        return 0;
    }
    if (!c.data || !c.out) {
        fprintf(stderr, "neurorack train: --data and --out are required\n");
        usage(stderr);
        return 2;
    }
    if (c.init && !lr_given) c.lr = NR_TRAIN_INIT_LR;
    if (c.init && !harm_given) c.harm_env = NULL; /* the model's own */
    nr_train_report rep;
    if (nr_train(&c, &rep) != NR_OK) return nr_cli_error("train");
    printf("trained %ld steps in %.1f s on %d clips (%d validation, %d skipped as bad data), %lld parameters\n",
           rep.step, rep.seconds, rep.n_train, rep.n_valid, rep.n_skipped, (long long)rep.n_params);
    printf("loss: first step %.4f, last 20 steps %.4f; training set %.4f -> %.4f; validation %.4f -> %.4f\n",
           rep.first_loss, rep.train_loss, rep.train_eval_first, rep.train_eval_last, rep.valid_first, rep.valid_loss);
    printf("wrote %s\n", c.out);
    return 0;
}
