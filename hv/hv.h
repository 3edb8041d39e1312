#ifndef HV_HV_H
#define HV_HV_H

#include "hv/boot_info.h"

#define BOOT_STACK_SIZE (64 * 1024)

/* Entered on the hypervisor's own stack after ExitBootServices. */
__attribute__((noreturn)) void hv_main(struct boot_info *bi);

#endif
