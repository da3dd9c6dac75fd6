/* OSC control over UDP (liblo). Addresses (N is 1-based, as printed on the panel):
 *   /neurorack/gate/N  [i|f|T|F]  1/true = high, 0/false = low; no argument: a trigger (high then low)
 *   /neurorack/cv/N    f|i|d      volts (-10..10 accepted; the module clamps to its range)
 *   /neurorack/encoder i|f        detents (+ clockwise)
 *   /neurorack/push               short press;   /neurorack/longpush: long press (back)
 *   /neurorack/model   s          switch to the model of that name (its file's stem; "" = the default)
 * Messages (and the messages of bundles) go to the NR_SRC_OSC queue from the receive thread.
 * By default only this machine can send (127.0.0.1): anyone who can reach the port can play and
 * reconfigure the instrument, so a network address is opened only when asked for. */
#ifndef NR_OSC_H
#define NR_OSC_H

#include "control/control.h"

typedef struct nr_osc nr_osc;

#define NR_OSC_DEFAULT_BIND "127.0.0.1"

/* port: a UDP port number, or NULL/"0" for any free one (nr_osc_port). bind_addr: the IP address to
 * listen on (NULL: NR_OSC_DEFAULT_BIND; "0.0.0.0" or "::" every interface). */
nr_result nr_osc_start(const char *port, const char *bind_addr, const nr_audio_client *c, nr_osc **out);
int nr_osc_port(const nr_osc *o);
const char *nr_osc_address(const nr_osc *o); /* the address listened on, numeric */
uint32_t nr_osc_accepted(const nr_osc *o); /* messages turned into events */
uint32_t nr_osc_rejected(const nr_osc *o); /* unknown address or bad arguments */
void nr_osc_stop(nr_osc *o);

/* One message as numbers (args already converted; NaN for a non-numeric one) -> 0..2 events
 * (index 0-based, time -1). Returns the count, or -1 when the address or arguments are not ours. */
int nr_osc_parse(const char *path, int argc, const double *args, nr_control_event ev[2]);

/* One UDP packet's bytes (an OSC message, or a bundle of them nested at most 4 deep) -> the events of its
 * /neurorack/... messages, posted to c as NR_SRC_OSC. Adds the messages turned into events to *accepted and
 * the others (malformed, unknown address, bad arguments) to *rejected. No socket: the receive thread calls
 * it, and so can a test or a fuzz target. */
void nr_osc_decode(const void *packet, size_t n, const nr_audio_client *c, uint32_t *accepted, uint32_t *rejected);

#endif
