/* Built-in descriptor-curve templates: impacts synthesised in C and analysed with nr_analyze, so
 * their 7 curves hold realistic joint values without any data file. Deterministic. The analysis is
 * kept in a table made at development time (`make builtin-curves`), so nr_template_get only copies.
 * Thread-safe; not audio-thread safe (they allocate). */
#ifndef NR_TEMPLATES_H
#define NR_TEMPLATES_H

#include "nr/audio_file.h"
#include "nr/curves.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The template `render` and `bench` use by default (~7 s, 301 frames, like the original's sounds). */
#define NR_TEMPLATE_DEFAULT "impact"

int nr_template_count(void);
/* Name and one-line description of template i (0 <= i < count), NULL otherwise. */
const char *nr_template_name(int i);
const char *nr_template_summary(int i);

/* The curves of a template (NULL: the default), at the analysis frame rate; out is allocated.
 * A copy of the table (src/curves/builtin_curves.c), which equals nr_template_analyse. */
nr_result nr_template_get(const char *name, nr_curves *out);
/* The same curves computed now: the template's sound synthesised and analysed (up to ~25 ms). */
nr_result nr_template_analyse(const char *name, nr_curves *out);
/* The synthesised sound the curves were analysed from (mono, 22050 Hz); out is allocated. */
nr_result nr_template_audio(const char *name, nr_audio *out);

#ifdef __cplusplus
}
#endif
#endif
