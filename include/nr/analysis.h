/* The 7 descriptors exactly as the original computed them with librosa 0.9.2 (see
 * docs/formats.md and ../shared/docs/original-neurorack.md). Not audio-thread safe. */
#ifndef NR_ANALYSIS_H
#define NR_ANALYSIS_H

#include "nr/curves.h"

#ifdef __cplusplus
extern "C" {
#endif

/* y: mono at NR_ANALYSIS_RATE. Frames: 1 + n/512 - 1 (librosa's centred framing, last frame
 * dropped); NaN replaced by 1. out is allocated. */
nr_result nr_analyze(const float *y, long n, nr_curves *out);

/* Load any audio file (mono mixdown, resample to 22050 Hz) and analyse it. */
nr_result nr_analyze_file(const char *path, nr_curves *out);

#ifdef __cplusplus
}
#endif
#endif
