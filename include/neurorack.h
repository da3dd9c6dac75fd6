/* Neurorack: neural impact synthesis driven by 7 perceptual descriptor curves.
 *
 * The flow, one header each:
 *   nr/analysis.h   sound -> descriptor curves (librosa 0.9.2 semantics)
 *   nr/curves.h     descriptor curves, CSV files
 *   nr/model.h      curves -> audio: models (original hn-sinc-NSF, ...) and streaming voices
 *   nr/engine.h     offline rendering through the streaming voice
 *   nr/patch.h      the patch a synth plays (plain data)
 *   nr/synth.h      the real-time synth: patch + timed events -> audio blocks
 *   nr/audio_file.h audio files and resampling
 *   nr/tensors.h    model files: PyTorch .th (zip + pickle) and safetensors
 */
#ifndef NEURORACK_H
#define NEURORACK_H

#include "nr/core.h"
#include "nr/audio_file.h"
#include "nr/curves.h"
#include "nr/analysis.h"
#include "nr/tensors.h"
#include "nr/model.h"
#include "nr/engine.h"
#include "nr/patch.h"
#include "nr/synth.h"

#define NR_VERSION_STRING "0.1.0"

#endif
