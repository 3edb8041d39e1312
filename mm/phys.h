/*
 * The one place physical addresses become pointers. The hypervisor
 * identity-maps RAM, so the offset is 0 there; host tests and benchmarks set
 * it to the start of an mmap'd arena that plays the role of RAM.
 */
#ifndef MM_PHYS_H
#define MM_PHYS_H

#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1UL << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))

extern uintptr_t phys_virt_offset;

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(pa + phys_virt_offset);
}

static inline uint64_t virt_to_phys(const void *va)
{
	return (uint64_t)(uintptr_t)va - phys_virt_offset;
}

#endif
