/* SCAFFOLD: replaced by src/io/audio_file.c and src/io/curves_csv.c, src/analysis/. */
#include "nr/analysis.h"
#include "nr/audio.h"
void nr_audio_free(nr_audio *a) { (void)a; }
nr_result nr_audio_load(const char *p, int r, nr_audio *o) { (void)r; (void)o; return nr_fail(NR_ERR_UNSUPPORTED, "%s: not built yet", p); }
nr_result nr_audio_resample(const float *i, long n, int a, int b, nr_audio *o) { (void)i; (void)n; (void)a; (void)b; (void)o; return nr_fail(NR_ERR_UNSUPPORTED, "not built yet"); }
nr_result nr_audio_write(const char *p, const float *x, long n, int r, nr_sample_format f) { (void)x; (void)n; (void)r; (void)f; return nr_fail(NR_ERR_UNSUPPORTED, "%s: not built yet", p); }
nr_result nr_curves_read_csv(const char *p, nr_curves *o) { (void)o; return nr_fail(NR_ERR_UNSUPPORTED, "%s: not built yet", p); }
nr_result nr_curves_write_csv(const char *p, const nr_curves *c) { (void)c; return nr_fail(NR_ERR_UNSUPPORTED, "%s: not built yet", p); }
nr_result nr_analyze(const float *y, long n, nr_curves *o) { (void)y; (void)n; (void)o; return nr_fail(NR_ERR_UNSUPPORTED, "not built yet"); }
nr_result nr_analyze_file(const char *p, nr_curves *o) { (void)o; return nr_fail(NR_ERR_UNSUPPORTED, "%s: not built yet", p); }
