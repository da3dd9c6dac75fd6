/* The curves of the built-in templates (nr/templates.h), analysed once at development time by
 * scripts/gen-builtin-curves.c (`make builtin-curves`) into curves/builtin_curves.c: a synth that
 * lists the built-ins does not synthesise and analyse ~20 s of audio at start. tests/test_templates.c
 * checks the table against nr_template_analyse. */
#ifndef NR_CURVES_BUILTIN_CURVES_H
#define NR_CURVES_BUILTIN_CURVES_H

typedef struct {
    const char *name;
    int n_frames;      /* at the analysis frame rate, NR_ANALYSIS_RATE / NR_ANALYSIS_HOP */
    const float *data; /* n_frames x NR_NUM_DESC, frame-major, raw descriptor units */
} nr_builtin_curves;

extern const nr_builtin_curves nr_builtin_curves_table[];
extern const int nr_builtin_curves_count;

#endif
