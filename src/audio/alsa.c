/* ALSA PCM backend: a playback thread renders one period at a time and writes it (interleaved,
 * the mono signal copied to every channel the device insists on). Underruns are counted and
 * recovered from with snd_pcm_prepare. */
#include "audio/backend.h"

#include <alsa/asoundlib.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    nr_backend base;
    snd_pcm_t *pcm;
    snd_pcm_format_t format;
    int channels;
    snd_pcm_uframes_t period;
    float *mono;  /* (period) */
    void *raw;    /* (period, channels) in the device format */
    const nr_audio_client *client;
    pthread_t thread;
    int running;
    int rt_priority; /* 0: the normal scheduler */
    atomic_int stop;
    char name[160];
} alsa_backend;

/* alsa-lib prints its own errors to stderr; the open call reports one line instead. */
static void alsa_quiet(const char *file, int line, const char *fn, int err, const char *fmt, ...)
{
    (void)file, (void)line, (void)fn, (void)err, (void)fmt;
}

static void to_device(alsa_backend *b, int n)
{
    const float *x = b->mono;
    int ch = b->channels;
    for (int i = 0; i < n; i++) {
        float v = x[i];
        v = v != v ? 0.0f : v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v; /* NaN -> 0, clip */
        for (int c = 0; c < ch; c++) {
            size_t k = (size_t)i * (size_t)ch + (size_t)c;
            if (b->format == SND_PCM_FORMAT_FLOAT_LE) ((float *)b->raw)[k] = v;
            else if (b->format == SND_PCM_FORMAT_S32_LE) ((int32_t *)b->raw)[k] = (int32_t)(v * 2147483520.0f);
            else ((int16_t *)b->raw)[k] = (int16_t)(v * 32767.0f);
        }
    }
}

static void *playback(void *arg)
{
    alsa_backend *b = arg;
    const int n = (int)b->period;
    while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
        b->client->process(b->client->ctx, b->mono, n);
        to_device(b, n);
        int done = 0;
        while (done < n && !atomic_load_explicit(&b->stop, memory_order_relaxed)) {
            size_t frame_bytes = (size_t)snd_pcm_format_physical_width(b->format) / 8 * (size_t)b->channels;
            snd_pcm_sframes_t w = snd_pcm_writei(b->pcm, (char *)b->raw + (size_t)done * frame_bytes,
                                                 (snd_pcm_uframes_t)(n - done));
            if (w >= 0) {
                done += (int)w;
                continue;
            }
            if (w == -EAGAIN) continue;
            if (w == -EPIPE) { /* underrun: count it, restart the stream */
                b->base.xruns++;
                if (b->client->xrun) b->client->xrun(b->client->ctx);
            }
            if (snd_pcm_recover(b->pcm, (int)w, 1) < 0) {
                b->base.failed = 1;
                return NULL;
            }
        }
    }
    return NULL;
}

static const char *ab_name(const nr_backend *b) { return ((const alsa_backend *)b)->name; }

static nr_result ab_start(nr_backend *base, const nr_audio_client *client)
{
    alsa_backend *b = (alsa_backend *)base;
    b->client = client;
    atomic_store(&b->stop, 0);
    int e = 1;
    if (b->rt_priority > 0) {
        /* Real-time priority when the system grants it (rtprio limits); else the normal scheduler. */
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        struct sched_param sp = {.sched_priority = b->rt_priority};
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
        pthread_attr_setschedparam(&attr, &sp);
        e = pthread_create(&b->thread, &attr, playback, b);
        pthread_attr_destroy(&attr);
    }
    if (e) e = pthread_create(&b->thread, NULL, playback, b);
    if (e) return nr_fail(NR_ERR_DEVICE, "%s: cannot start the playback thread (%s)", b->name, strerror(e));
    b->running = 1;
    return NR_OK;
}

static void ab_close(nr_backend *base)
{
    alsa_backend *b = (alsa_backend *)base;
    if (b->running) {
        atomic_store(&b->stop, 1);
        pthread_join(b->thread, NULL);
    }
    if (b->pcm) {
        snd_pcm_drop(b->pcm);
        snd_pcm_close(b->pcm);
    }
    free(b->mono);
    free(b->raw);
    free(b);
}

static nr_result setup(alsa_backend *b, const nr_backend_config *cfg)
{
    snd_pcm_hw_params_t *hw;
    snd_pcm_sw_params_t *sw;
    snd_pcm_hw_params_alloca(&hw);
    snd_pcm_sw_params_alloca(&sw);
    const char *dev = cfg->device;
    int e = snd_pcm_hw_params_any(b->pcm, hw);
    if (e < 0) return nr_fail(NR_ERR_DEVICE, "alsa %s: no hardware parameters (%s)", dev, snd_strerror(e));
    if ((e = snd_pcm_hw_params_set_access(b->pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0)
        return nr_fail(NR_ERR_DEVICE, "alsa %s: no interleaved access (%s); try plughw:", dev, snd_strerror(e));
    const snd_pcm_format_t fmts[] = {SND_PCM_FORMAT_FLOAT_LE, SND_PCM_FORMAT_S32_LE, SND_PCM_FORMAT_S16_LE};
    b->format = SND_PCM_FORMAT_UNKNOWN;
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++)
        if (snd_pcm_hw_params_test_format(b->pcm, hw, fmts[i]) == 0) {
            b->format = fmts[i];
            break;
        }
    if (b->format == SND_PCM_FORMAT_UNKNOWN || snd_pcm_hw_params_set_format(b->pcm, hw, b->format) < 0)
        return nr_fail(NR_ERR_DEVICE, "alsa %s: takes none of float, S32, S16 samples; try plughw:", dev);
    unsigned ch = 1;
    if ((e = snd_pcm_hw_params_set_channels_near(b->pcm, hw, &ch)) < 0 || ch < 1 || ch > 64)
        return nr_fail(NR_ERR_DEVICE, "alsa %s: no usable channel count (%s)", dev, snd_strerror(e));
    b->channels = (int)ch;
    unsigned rate = (unsigned)cfg->rate;
    if ((e = snd_pcm_hw_params_set_rate_near(b->pcm, hw, &rate, NULL)) < 0)
        return nr_fail(NR_ERR_DEVICE, "alsa %s: cannot set a rate near %d Hz (%s)", dev, cfg->rate, snd_strerror(e));
    snd_pcm_uframes_t period = (snd_pcm_uframes_t)cfg->period;
    if ((e = snd_pcm_hw_params_set_period_size_near(b->pcm, hw, &period, NULL)) < 0)
        return nr_fail(NR_ERR_DEVICE, "alsa %s: cannot set a period near %d frames (%s)", dev, cfg->period,
                       snd_strerror(e));
    snd_pcm_uframes_t buffer = period * (snd_pcm_uframes_t)cfg->periods;
    if ((e = snd_pcm_hw_params_set_buffer_size_near(b->pcm, hw, &buffer)) < 0)
        return nr_fail(NR_ERR_DEVICE, "alsa %s: cannot set a buffer of %lu frames (%s)", dev, (unsigned long)buffer,
                       snd_strerror(e));
    if ((e = snd_pcm_hw_params(b->pcm, hw)) < 0)
        return nr_fail(NR_ERR_DEVICE, "alsa %s: the device refused the parameters (%s)", dev, snd_strerror(e));
    snd_pcm_hw_params_get_period_size(hw, &period, NULL);
    snd_pcm_hw_params_get_buffer_size(hw, &buffer);
    if (period < 1 || period > 65536)
        return nr_fail(NR_ERR_DEVICE, "alsa %s: unusable period of %lu frames", dev, (unsigned long)period);
    /* Start once the buffer is full; wake when a period is free. */
    snd_pcm_sw_params_current(b->pcm, sw);
    snd_pcm_sw_params_set_start_threshold(b->pcm, sw, buffer - buffer % period);
    snd_pcm_sw_params_set_avail_min(b->pcm, sw, period);
    if ((e = snd_pcm_sw_params(b->pcm, sw)) < 0)
        return nr_fail(NR_ERR_DEVICE, "alsa %s: software parameters refused (%s)", dev, snd_strerror(e));
    b->period = period;
    b->rt_priority = cfg->rt_priority < 0 ? 0 : cfg->rt_priority > 99 ? 99 : cfg->rt_priority;
    b->base.rate = (int)rate;
    b->base.max_block = (int)period;
    b->base.latency_ms = 1000.0f * (float)buffer / (float)rate;
    b->mono = calloc(period, sizeof(float));
    b->raw = calloc(period * ch, 4);
    if (!b->mono || !b->raw) return nr_fail(NR_ERR_NOMEM, "alsa: out of memory");
    snprintf(b->name, sizeof b->name, "alsa:%s", dev);
    return NR_OK;
}

nr_result nr_backend_open_alsa(const nr_backend_config *cfg, nr_backend **out)
{
    *out = NULL;
    const char *dev = cfg->device && *cfg->device ? cfg->device : "default";
    if (cfg->period < 16 || cfg->period > 8192 || cfg->periods < 2 || cfg->periods > 16 || cfg->rate < 8000 ||
        cfg->rate > 384000)
        return nr_fail(NR_ERR_ARG, "alsa %s: period %d x %d at %d Hz; expected 16..8192 frames, 2..16 periods, "
                                   "8000..384000 Hz", dev, cfg->period, cfg->periods, cfg->rate);
    snd_lib_error_set_handler(alsa_quiet);
    alsa_backend *b = calloc(1, sizeof *b);
    if (!b) return nr_fail(NR_ERR_NOMEM, "alsa: out of memory");
    b->base.name = ab_name;
    b->base.start = ab_start;
    b->base.close = ab_close;
    int e = snd_pcm_open(&b->pcm, dev, SND_PCM_STREAM_PLAYBACK, 0);
    if (e < 0) {
        b->pcm = NULL;
        ab_close(&b->base);
        return nr_fail(NR_ERR_DEVICE, "alsa: cannot open playback device '%s' (%s)", dev, snd_strerror(e));
    }
    nr_backend_config c = *cfg;
    c.device = dev;
    nr_result r = setup(b, &c);
    if (r != NR_OK) {
        ab_close(&b->base);
        return r;
    }
    *out = &b->base;
    return NR_OK;
}
