/* One IDT for the kernel's CPUs (guest/mb/mb.h): gates are added before
 * the CPU that takes the interrupt loads it; both CPUs run on selector
 * 0x08 (entry.asm's GDT and the AP trampoline's have the same layout). */
#include "guest/mb/mb.h"

#define STUB_SIZE 16

static uint64_t idt[256 * 2] __attribute__((aligned(16)));
static void (*handlers[256])(void);

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

void mb_isr_dispatch(unsigned vector);
void mb_isr_dispatch(unsigned vector)
{
	void (*fn)(void) = handlers[vector];

	if (fn)
		fn();
}

/* A stub per vector, STUB_SIZE bytes apart: it frees RDI for its vector
 * and joins the common part, which saves the other caller-saved registers
 * and calls the dispatcher. The frame (5 words) and 9 pushes keep the
 * call 16-byte aligned, as the ABI wants. */
extern const char mb_isr_stubs[];
__asm__(".text\n"
	".balign 16\n"
	"mb_isr_stubs:\n"
	".set mb_isr_vector, 0\n"
	".rept 256\n"
	"	.balign 16\n"
	"	push %rdi\n"
	"	mov $mb_isr_vector, %edi\n"
	"	jmp mb_isr_common\n"
	"	.set mb_isr_vector, mb_isr_vector + 1\n"
	".endr\n"
	"mb_isr_common:\n"
	"	push %rax\n	push %rcx\n	push %rdx\n	push %rsi\n"
	"	push %r8\n	push %r9\n	push %r10\n	push %r11\n"
	"	cld\n"
	"	call mb_isr_dispatch\n"
	"	pop %r11\n	pop %r10\n	pop %r9\n	pop %r8\n"
	"	pop %rsi\n	pop %rdx\n	pop %rcx\n	pop %rax\n"
	"	pop %rdi\n"
	"	iretq\n");

void mb_isr_set(unsigned vector, void (*handler)(void))
{
	handlers[vector] = handler;
	mb_idt_set(vector, (void (*)(void))(mb_isr_stubs + STUB_SIZE * vector));
}
