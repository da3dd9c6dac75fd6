#include "hw/hw_run.h"

#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

int nr_hw_rt_allowed(int priority, unsigned uid, unsigned long rtprio_limit, char *note, size_t n)
{
    note[0] = '\0';
    if (priority <= 0 || uid == 0 || rtprio_limit >= (unsigned long)priority) return 1;
    snprintf(note, n,
             "realtime priority %d is not allowed (RLIMIT_RTPRIO %lu): audio runs at normal priority "
             "(LimitRTPRIO= in the systemd unit, or an rtprio line in /etc/security/limits.d/, allows it)",
             priority, rtprio_limit);
    return 0;
}

nr_result nr_hw_boot(const char *path, const nr_hw_ops *ops, nr_hw_config *cfg, nr_hw **out)
{
    *out = NULL;
    nr_result r = nr_hw_config_read(path, cfg);
    if (r) return r;
    struct rlimit rl;
    char note[300];
    unsigned long lim = getrlimit(RLIMIT_RTPRIO, &rl) == 0 ? (unsigned long)rl.rlim_cur : 0;
    if (!nr_hw_rt_allowed(cfg->audio.rt_priority, (unsigned)geteuid(), lim, note, sizeof note))
        fprintf(stderr, "neurorack: %s\n", note);
    nr_hw_io io = {.ops = ops};
    if ((r = nr_hw_open(cfg, path, &io, out))) return r;
    nr_hw_install_crash_handler(*out);
    nr_hw_set_splash(*out, "LOADING MODEL..."); /* the display thread's first frame, not on this path */
    if ((r = nr_hw_start(*out))) {
        nr_hw_close(*out);
        *out = NULL;
        return r;
    }
    return NR_OK;
}

void nr_hw_fail(nr_hw *hw, const char *title, const char *message)
{
    fprintf(stderr, "neurorack: %s: %s\n", title, message);
    if (!hw) return;
    nr_hw_stop(hw);
    nr_hw_show_message(hw, title, message);
}

void nr_hw_attach(nr_hw *hw, nr_hw_post_fn post, void *post_ctx, nr_hw_frame_fn frame, void *frame_ctx)
{
    nr_hw_set_sink(hw, post, post_ctx, frame, frame_ctx);
    nr_hw_show_message(hw, NULL, NULL); /* from the splash to the instrument's frames (its menu) */
}
