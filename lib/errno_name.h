/* Names for the errno values of include/sealvisor/errno.h: one table shared
 * by the hypervisor's logs and the partitions' sv_strerror. */
#ifndef LIB_ERRNO_NAME_H
#define LIB_ERRNO_NAME_H

#include <stdint.h>

/* "ENOMEM" for -12 or 12, "ok" for 0, "E?" for a value not in the table:
 * callers print the number next to it, so an unknown one is still seen. */
const char *errno_name(int64_t err);

#endif
