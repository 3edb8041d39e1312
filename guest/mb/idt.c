/* One IDT for the kernel's CPUs (guest/mb/mb.h): gates are added before
 * the CPU that takes the interrupt loads it; both CPUs run on selector
 * 0x08 (entry.asm's GDT and the AP trampoline's have the same layout). */
#include "guest/mb/mb.h"

static uint64_t idt[256 * 2] __attribute__((aligned(16)));

void mb_idt_set(unsigned vector, void (*handler)(void))
{
	uint64_t h = (uint64_t)handler;

	idt[vector * 2] = (h & 0xffff) | 0x08UL << 16 | 0x8eUL << 40 | ((h >> 16) & 0xffff) << 48;
	idt[vector * 2 + 1] = h >> 32;
}

void mb_idt_load(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = { sizeof(idt) - 1,
										 (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
}
