/* Built-in descriptor-curve templates: impacts synthesised in C at first use and analysed with
 * nr_analyze, so their 7 curves hold realistic joint values without any data file. Deterministic.
 * Not audio-thread safe (the first call per template synthesises and analyses it). Thread-safe. */
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

/* The curves of a template (NULL: the default), at the analysis frame rate; out is allocated. */
nr_result nr_template_get(const char *name, nr_curves *out);
/* The synthesised sound the curves were analysed from (mono, 22050 Hz); out is allocated. */
nr_result nr_template_audio(const char *name, nr_audio *out);

#ifdef __cplusplus
}
#endif
#endif
