/* CV inputs -> control values: calibration, polarity, range, and the sum of every input assigned to
 * a target on top of the patch's base value. Pure functions, audio-thread safe. */
#ifndef NR_MAPPING_H
#define NR_MAPPING_H

#include "synth/curve_reader.h"

/* The module's inputs take -5..+5 V; anything beyond the Eurorack rails is a wiring or driver error. */
#define NR_CV_FULL_SCALE 5.0f
#define NR_CV_RAIL 12.0f

/* Calibrated volts; NaN gives 0, +-inf and huge values the rail. */
float nr_cv_calibrate(float raw_volts, const nr_cv_cal *cal);
/* -5..+5 V -> -1..+1 (bipolar) or 0..+5 V -> 0..1 (unipolar), clamped. */
float nr_cv_unit(float volts, int bipolar);
/* Controls of a voice and the output level (1 = unity) from the patch and calibrated volts. */
void nr_controls_from_cv(const nr_patch *p, const float volts[NR_NUM_CV], nr_curve_ctl *ctl, float *level);
/* Linear gain of a volume in dB (-60 dB and below is silence). */
float nr_db_to_gain(float db);

#endif
