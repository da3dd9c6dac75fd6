/* Internal access to an instrument's settings, for presets, tests and the play command's options.
 * Control thread only. */
#ifndef NR_INSTRUMENT_INTERNAL_H
#define NR_INSTRUMENT_INTERNAL_H

#include "instrument/model_list.h"
#include "instrument/settings.h"
#include "nr/instrument.h"

#define NR_INSTRUMENT_MAX_TEMPLATES 32 /* names the menu lists; the synth holds at most as many */

/* The live settings: change them, then call nr_instrument_settings_changed() to publish them to the
 * audio thread (clamped) and schedule a save. */
nr_settings *nr_instrument_settings(nr_instrument *inst);
void nr_instrument_settings_changed(nr_instrument *inst);
/* Names of the templates the current model offers (count returned). */
int nr_instrument_templates(const nr_instrument *inst, const char *const **names);
/* Write the settings file now (normally done 1 s after the last change). */
nr_result nr_instrument_save_settings(nr_instrument *inst);
/* The model list, the playing entry and the default entry (indices into it). */
const nr_model_list *nr_instrument_models(const nr_instrument *inst, int *current, int *def);
/* List the model folders again (each file checked by loading it, here on the control thread). */
void nr_instrument_rescan_models(nr_instrument *inst);

#endif
