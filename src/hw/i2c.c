#include "hw/i2c.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <stdio.h>

int nr_i2c_open(const nr_hw_ops *ops, int bus, int addr, nr_i2c_dev *d)
{
    d->ops = ops;
    d->addr = addr;
    snprintf(d->path, sizeof d->path, "/dev/i2c-%d", bus);
    d->fd = ops->open(ops->ctx, d->path, O_RDWR);
    if (d->fd < 0) {
        int e = d->fd;
        d->fd = -1;
        return e;
    }
    int r = ops->ioctl(ops->ctx, d->fd, I2C_SLAVE, (void *)(uintptr_t)addr);
    if (r < 0) nr_i2c_close(d);
    return r < 0 ? r : 0;
}

void nr_i2c_close(nr_i2c_dev *d)
{
    if (d->fd >= 0) d->ops->close(d->ops->ctx, d->fd);
    d->fd = -1;
}

int nr_i2c_write(nr_i2c_dev *d, const uint8_t *buf, size_t n)
{
    if (d->fd < 0) return -ENODEV;
    long r = d->ops->write(d->ops->ctx, d->fd, buf, n);
    if (r < 0) return (int)r;
    return (size_t)r == n ? 0 : -EIO;
}

int nr_i2c_write_read(nr_i2c_dev *d, const uint8_t *w, size_t nw, uint8_t *r, size_t nr)
{
    if (d->fd < 0) return -ENODEV;
    struct i2c_msg msgs[2] = {
        {.addr = (uint16_t)d->addr, .flags = 0, .len = (uint16_t)nw, .buf = (uint8_t *)w},
        {.addr = (uint16_t)d->addr, .flags = I2C_M_RD, .len = (uint16_t)nr, .buf = r},
    };
    struct i2c_rdwr_ioctl_data x = {.msgs = msgs, .nmsgs = 2};
    int res = d->ops->ioctl(d->ops->ctx, d->fd, I2C_RDWR, &x);
    return res < 0 ? res : 0;
}
