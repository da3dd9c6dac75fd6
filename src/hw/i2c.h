/* One device on a Linux I2C bus (/dev/i2c-N, i2c-dev): plain writes after I2C_SLAVE, and combined
 * write-then-read transfers (I2C_RDWR, repeated start). Calls return 0 or -errno. Control threads only. */
#ifndef NR_HW_I2C_H
#define NR_HW_I2C_H

#include "hw/hw_ops.h"

typedef struct {
    const nr_hw_ops *ops;
    int fd;   /* -1 when closed */
    int addr; /* 7-bit address */
    char path[32];
} nr_i2c_dev;

int nr_i2c_open(const nr_hw_ops *ops, int bus, int addr, nr_i2c_dev *d);
void nr_i2c_close(nr_i2c_dev *d);
int nr_i2c_write(nr_i2c_dev *d, const uint8_t *buf, size_t n);
int nr_i2c_write_read(nr_i2c_dev *d, const uint8_t *w, size_t nw, uint8_t *r, size_t nr);

#endif
