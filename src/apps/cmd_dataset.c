/* neurorack dataset: build the training manifest of one-shot impacts (docs/data.md). */
#include "commands.h"
#include "dataset/ds_sources.h"
#include "neurorack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: neurorack dataset [--out DIR] [--sources LIST] [--rate HZ] [--seed N] [--booms N]\n"
                "                         [--no-curves] [--prune] [--verbose] [--from DIR ...] [--family F] | --packages\n"
               "  --out DIR       output folder (default data/build): manifest.tsv, audio/, curves/, cache.tsv\n"
               "  --sources LIST  comma-separated sources (default all):");
    int n;
    const ds_source *s = ds_sources(&n);
    for (int i = 0; i < n; i++)
        if (i == 0 || strcmp(s[i].name, s[i - 1].name)) fprintf(f, " %s", s[i].name);
    fprintf(f, " augment\n"
               "  --rate HZ       sample rate of the stored audio (default 48000)\n"
               "  --seed N        seed of the augmentation (default 1)\n"
               "  --booms N       long impacts made by augmentation (default 400; 0 for none)\n"
               "  --no-curves     do not compute missing descriptor curves\n"
               "  --prune         delete files of audio/ and curves/ the new manifest does not list\n"
               "                  (left by older builds; not with a --sources subset of a full build)\n"
               "  --verbose       name every rejected or duplicate sound\n"
               "  --packages      print the Debian packages of the sources (of --family) and stop\n"
               "  --family F      impacts (default), plucks (SoundFont notes of plucked and struck pitched\n"
               "                  instruments) or textures (held notes of pads, strings, choirs, winds and\n"
               "                  recorded ambiences); plucks and textures are rendered through libfluidsynth,\n"
               "                  keep up to 6 s and 10 s, have no augmentation; --sources names the family's\n"
               "                  sources: fluid-gm musescore timgm6mb (textures also sonic-pi 0ad megaglest\n"
               "                  redeclipse wesnoth)\n"
               "  --from DIR      your own sounds: every file under DIR that libsndfile reads (repeat for more\n"
               "                  folders); source \"own\", class from the name's words, else the folder's name.\n"
               "                  With --from only those folders are used (add --sources to mix in the built-in\n"
               "                  ones) and no booms are made unless --booms is given. Unreadable, silent or\n"
               "                  duplicate files are named on stderr and skipped\n"
               "Debian packages of the sources (data/recipe.sh installs them): %s\n",
            ds_source_packages());
}

static void print_counts(const nr_manifest *m)
{
    /* Small tables: the distinct names are few (sources ~8, classes ~14). */
    const char *names[64];
    int counts[64][NR_SPLIT_COUNT + 1];
    double dur[64];
    for (int pass = 0; pass < 2; pass++) {
        int nn = 0;
        memset(counts, 0, sizeof counts);
        memset(dur, 0, sizeof dur);
        for (int i = 0; i < m->n; i++) {
            const char *k = pass == 0 ? m->e[i].source : m->e[i].cls;
            int j = 0;
            while (j < nn && strcmp(names[j], k)) j++;
            if (j == nn) {
                if (nn == 64) continue;
                names[nn++] = k;
            }
            counts[j][m->e[i].split]++;
            counts[j][NR_SPLIT_COUNT]++;
            dur[j] += m->e[i].duration;
        }
        printf("\n%-12s %7s %7s %7s %7s %9s\n", pass == 0 ? "source" : "class", "train", "valid", "test", "total",
               "minutes");
        for (int j = 0; j < nn; j++)
            printf("%-12s %7d %7d %7d %7d %9.1f\n", names[j], counts[j][0], counts[j][1], counts[j][2],
                   counts[j][NR_SPLIT_COUNT], dur[j] / 60.0);
    }
    double total = 0.0, aug = 0.0;
    int n_aug = 0;
    for (int i = 0; i < m->n; i++) {
        total += m->e[i].duration;
        if (!strcmp(m->e[i].source, "augment")) aug += m->e[i].duration, n_aug++;
    }
    printf("\n%-12s %7d %7d %7d %7d %9.1f\n", "all", nr_manifest_count(m, NR_SPLIT_TRAIN),
           nr_manifest_count(m, NR_SPLIT_VALID), nr_manifest_count(m, NR_SPLIT_TEST), m->n, total / 60.0);
    printf("%d distinct one-shots from packages (%.1f min), %d augmented (%.1f min)\n", m->n - n_aug,
           (total - aug) / 60.0, n_aug, aug / 60.0);
}

#define MAX_FROM 64 /* --from folders */

int nr_cmd_dataset(int argc, char **argv)
{
    ds_build_config cfg = ds_build_config_default();
    const char *from[MAX_FROM];
    int booms_given = 0;
    cfg.from = from;
    cfg.progress = 1;
    int packages = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long l;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--out") && v) {
            cfg.out_dir = v, i++;
        } else if (!strcmp(a, "--sources") && v) {
            cfg.only = v, i++;
        } else if (!strcmp(a, "--rate")) {
            if (!nr_cli_int("dataset", a, v, 8000, 192000, &l)) return 2;
            cfg.rate = (int)l, i++;
        } else if (!strcmp(a, "--seed")) {
            if (!nr_cli_int("dataset", a, v, 0, 2147483647L, &l)) return 2;
            cfg.seed = (uint64_t)l, i++;
        } else if (!strcmp(a, "--booms")) {
            if (!nr_cli_int("dataset", a, v, 0, 100000, &l)) return 2;
            cfg.n_booms = (int)l, i++;
            booms_given = 1;
        } else if (!strcmp(a, "--from") && v) {
            if (cfg.n_from == MAX_FROM) {
                fprintf(stderr, "neurorack dataset: at most %d --from folders\n", MAX_FROM);
                return 2;
            }
            from[cfg.n_from++] = v, i++;
        } else if (!strcmp(a, "--packages")) {
            packages = 1;
        } else if (!strcmp(a, "--family") && v) {
            if (!ds_family_parse(v, &cfg.family)) {
                fprintf(stderr, "neurorack dataset: unknown family '%s' (impacts, plucks or textures)\n", v);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--no-curves")) {
            cfg.analyze = 0;
        } else if (!strcmp(a, "--prune")) {
            cfg.prune = 1;
        } else if (!strcmp(a, "--verbose")) {
            cfg.verbose = 1;
        } else {
            fprintf(stderr, "neurorack dataset: unknown option or missing value '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (cfg.n_from && !booms_given) cfg.n_booms = 0; /* own sounds: only what the folders hold */
    if (packages) {
        printf("%s\n", ds_family_packages(cfg.family));
        return 0;
    }
    if (cfg.family != DS_FAMILY_IMPACTS) cfg.params = ds_family_params(cfg.family);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    nr_manifest m;
    ds_build_stats st;
    nr_result r = ds_build(&cfg, &m, &st);
    if (r != NR_OK) {
        nr_manifest_free(&m);
        return nr_cli_error("dataset");
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%s/%s: %d entries\n", cfg.out_dir, NR_MANIFEST_FILE, m.n);
    printf("sounds seen %d: kept %d (%d from cache), exact duplicates %d, near duplicates %d, rejected %d, "
           "unreadable %d; augmented %d\n",
           st.seen, st.kept, st.cached, st.dup_exact, st.dup_near, st.rejected, st.failed, st.augmented);
    printf("curves: %d computed, %d cached, %d missing\n", st.curves_new, st.curves_cached, st.curves_missing);
    print_counts(&m);
    printf("took %.1f s\n", (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    nr_manifest_free(&m);
    return 0;
}
