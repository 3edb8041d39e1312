#ifndef ARCH_X86_SHUTDOWN_H
#define ARCH_X86_SHUTDOWN_H

#include <stdint.h>

void shutdown_init(void (*fw_poweroff)(int status), uint64_t rsdp);

#endif
