/* CSV printing shared by nr_curves_write_csv and the analyze command's stdout output. */
#ifndef NR_IO_CURVES_CSV_H
#define NR_IO_CURVES_CSV_H

#include <stdio.h>

#include "nr/curves.h"

#define NR_CURVES_CSV_HEADER "time_s,loudness,percussivity,tonelike,noisiness,richness,brightness,pitch"

/* Header and one row per frame; returns 0 on a stream error. */
int nr_curves_print_csv(FILE *f, const nr_curves *c);

#endif
