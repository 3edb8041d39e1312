#ifndef HV_CONTROL_H
#define HV_CONTROL_H

#include "hv/boot_info.h"

/* Loads and runs the control partition; returns only on failure (-errno),
 * -ENOENT if the configuration names none. */
int control_start(const struct boot_info *bi);
/* The control partition's RAM at gpa 0. */
#define CONTROL_RAM (64UL << 20)

#endif
