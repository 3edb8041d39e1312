/* COM1's receive side for a `qemu -kernel` guest: the bytes of a module
 * (vm_config's com1_input; ./sealvisor makes its stdin one), offered to
 * the UART as fast as the guest takes them, as QEMU's `-serial stdio`
 * does with stdin. One such guest runs at a time. */
#ifndef GUEST_VMM_COM1_INPUT_H
#define GUEST_VMM_COM1_INPUT_H

#include <stdint.h>

struct pc;

/* The bytes to receive (NULL, 0: none), from the start. */
void com1_input_set(const uint8_t *bytes, uint64_t len);
/* Under pc_lock: as many of the rest as the UART's receiver has room for
 * (pc_com1_feed raises IRQ 4 as the UART says). */
void com1_input_feed_locked(struct pc *pc);

#endif
