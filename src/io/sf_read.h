/* Opening and reading sound files with libsndfile without accepting a truncated or damaged one in
 * silence: shared by nr_audio_load and the data-set loader. Not audio-thread safe. */
#ifndef NR_IO_SF_READ_H
#define NR_IO_SF_READ_H

#include "nr/core.h"

#include <sndfile.h>

/* Open `path` for reading. A missing, unreadable or empty path, a folder, a file libsndfile does not
 * read, or one whose header claims more bytes than the file holds (nr_sf_check_header) fails with
 * a one-line message naming the file. */
nr_result nr_sf_open_read(const char *path, SF_INFO *info, SNDFILE **out);

/* libsndfile quietly shortens a WAV/AIFF/AU/W64/RF64/8SVX whose container or data chunk claims
 * more bytes than the file holds, and says so only in its log: NR_ERR_FORMAT naming `what` if it did. */
nr_result nr_sf_check_header(SNDFILE *sf, const char *what);

/* Frames the header announces, or -1 when the stream does not say (a streamed FLAC or Ogg: libsndfile
 * gives SF_COUNT_MAX). */
sf_count_t nr_sf_header_frames(const SF_INFO *info);

/* After reading until sf_readf_* returned less than asked: NR_OK if the `got` frames are the whole
 * file, else NR_ERR_FORMAT naming `what` (a decoder error, or fewer frames than announced). */
nr_result nr_sf_check_read(SNDFILE *sf, const SF_INFO *info, long got, const char *what);

#endif
