#include "guest/lib/kernel.h"
#include "guest/lib/trap.h"
#include "guest/vmm/layout.h"

#define NR_VECTORS 32          /* exceptions; 32-255 are guest/lib/irq.c's */
#define MAX_VCPUS 8


struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
};

/* Callee-saved registers, RSP and return address of an armed trap_catch. */
struct catch_point {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
	int armed;
	struct trap *out;
};

/* Kernel code 0x08, data 0x10; 0x18-0x27 is where the VMM's TR points
 * (never reloaded); user code 0x2b and data 0x33 for trap_enter_user.
 * Accessed bits preset: loading a selector writes no descriptor. */
#define USER_CS (0x28 | 3)
#define USER_SS (0x30 | 3)
static const uint64_t gdt[7] = { 0, 0x00209b0000000000UL, 0x0000930000000000UL, 0, 0,
				 0x0020fb0000000000UL, 0x0000f30000000000UL };
static struct idt_gate idt[256];   /* not present until set */
static struct catch_point points[MAX_VCPUS];
static uint64_t caught[MAX_VCPUS];

/* Each stub pushes a dummy error code where the CPU pushes none (N), then
 * the vector, so trap_entry sees one frame layout. E: the CPU pushed one. */
#define STUB(n, push) __asm__(".text\ntrap_stub" #n ":\n" push "push $" #n "\njmp trap_entry\n")
#define N(n) STUB(n, "push $0\n")
#define E(n) STUB(n, "")
N(0); N(1); N(2); N(3); N(4); N(5); N(6); N(7); E(8); N(9); E(10); E(11); E(12); E(13);
E(14); N(15); N(16); E(17); N(18); N(19); N(20); E(21); N(22); N(23); N(24); N(25); N(26);
N(27); N(28); E(29); E(30); N(31);
extern char trap_stub0[], trap_stub1[], trap_stub2[], trap_stub3[], trap_stub4[], trap_stub5[],
	trap_stub6[], trap_stub7[], trap_stub8[], trap_stub9[], trap_stub10[], trap_stub11[],
	trap_stub12[], trap_stub13[], trap_stub14[], trap_stub15[], trap_stub16[], trap_stub17[],
	trap_stub18[], trap_stub19[], trap_stub20[], trap_stub21[], trap_stub22[], trap_stub23[],
	trap_stub24[], trap_stub25[], trap_stub26[], trap_stub27[], trap_stub28[], trap_stub29[],
	trap_stub30[], trap_stub31[];
static char *const stubs[NR_VECTORS] = {
	trap_stub0, trap_stub1, trap_stub2, trap_stub3, trap_stub4, trap_stub5, trap_stub6,
	trap_stub7, trap_stub8, trap_stub9, trap_stub10, trap_stub11, trap_stub12, trap_stub13,
	trap_stub14, trap_stub15, trap_stub16, trap_stub17, trap_stub18, trap_stub19, trap_stub20,
	trap_stub21, trap_stub22, trap_stub23, trap_stub24, trap_stub25, trap_stub26, trap_stub27,
	trap_stub28, trap_stub29, trap_stub30, trap_stub31,
};

/* Frame on entry: vector, error, rip, cs, rflags, rsp, ss. */
__asm__(".text\ntrap_entry:\n"
	"mov %rsp, %rdi\n"
	"and $-16, %rsp\n"
	"call trap_handle\n"
	"ud2\n");

/* Which vCPU we are, from the stack the VMM gave it (layout.h: vCPU i's
 * starts i MiB below the top of memory). The IDT is shared by all vCPUs,
 * the catch points are not. */
unsigned trap_vcpu_index(void)
{
	uint64_t rsp;

	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	return (unsigned)((GUEST_MEM - rsp) / VCPU_STACK_SPACING) % MAX_VCPUS;
}

static __attribute__((noreturn)) void resume_catch(struct catch_point *p)
{
	p->armed = 0;
	__asm__ volatile("mov %0, %%rsp\n"
			 "mov 0(%1), %%rbx\n mov 8(%1), %%rbp\n mov 16(%1), %%r12\n"
			 "mov 24(%1), %%r13\n mov 32(%1), %%r14\n mov 40(%1), %%r15\n"
			 "mov $1, %%eax\n jmp *56(%1)\n"
			 : : "d"(p->rsp), "c"(p) : "memory");
	__builtin_unreachable();
}

__attribute__((used, noreturn)) void trap_handle(const uint64_t *frame)
{
	unsigned me = trap_vcpu_index();
	struct catch_point *p = &points[me];
	uint64_t cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	caught[me]++;
	if (!p->armed) {
		kprintf("unexpected exception %lu, error 0x%lx at rip 0x%lx (cr2 0x%lx)\n",
			frame[0], frame[1], frame[2], cr2);
		kexit(3);
	}
	*p->out = (struct trap){ .vector = frame[0], .error = frame[1], .rip = frame[2],
				 .cr2 = cr2, .rflags = frame[4], .count = caught[me] };
	resume_catch(p);
}

void trap_set_gate(unsigned vector, const void *handler)
{
	uint64_t a = (uint64_t)handler;

	idt[vector] = (struct idt_gate){ .off0 = (uint16_t)a, .sel = 0x08, .type = 0x8e,
					 .off1 = (uint16_t)(a >> 16), .off2 = (uint32_t)(a >> 32) };
}

void trap_load(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed))
		gdtr = { sizeof(gdt) - 1, (uint64_t)gdt }, idtr = { sizeof(idt) - 1, (uint64_t)idt };

	/* CS stays 0x08 and SS 0x10 as the VMM set them: the new GDT gives
	 * the same selectors the same meaning, so no reload is needed. */
	__asm__ volatile("lgdt %0; lidt %1" : : "m"(gdtr), "m"(idtr) : "memory");
}

void trap_init(void)
{
	for (unsigned i = 0; i < NR_VECTORS; i++)
		trap_set_gate(i, stubs[i]);
	trap_load();
}

/* The VMM's TR has base 0 (layout.h leaves gpa 0 free): RSP0 of that TSS
 * is the stack a fault from ring 3 is delivered on. One TSS for every
 * vCPU, so only one vCPU at a time may run user code. The user pages are
 * the VMM's identity map with the user bit added. */
void trap_enter_user(void (*fn)(void), uint64_t rflags)
{
	uint64_t rsp, cr3, *pt;

	__asm__ volatile("mov %%rsp, %0; mov %%cr3, %1" : "=r"(rsp), "=r"(cr3));
	pt = (uint64_t *)(cr3 & ~0xfffUL);
	pt[0] |= 4;                      /* PML4[0] */
	pt[512] |= 4;                    /* PDPT[0] */
	for (unsigned i = 1024; i < 1536; i++)
		pt[i] |= 4;              /* PD */
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
	__asm__ volatile("movq %0, 4(%1)" : : "r"((rsp - 512) & ~15UL), "r"(0UL) : "memory");
	__asm__ volatile("push %0; push %1; push %2; push %3; push %4; iretq"
			 : : "r"((uint64_t)USER_SS), "r"((rsp - 8192) & ~15UL), "r"(rflags | 2),
			   "r"((uint64_t)USER_CS), "r"((uint64_t)fn) : "memory");
	__builtin_unreachable();
}

/* Saves the catch point, then calls fn. Written in assembly because the
 * point must hold the registers exactly as at trap_catch's return. */
int trap_catch_at(struct catch_point *p, void (*fn)(void *), void *arg);
__asm__(".text\n.globl trap_catch_at\ntrap_catch_at:\n"
	"mov %rbx, 0(%rdi)\n mov %rbp, 8(%rdi)\n mov %r12, 16(%rdi)\n"
	"mov %r13, 24(%rdi)\n mov %r14, 32(%rdi)\n mov %r15, 40(%rdi)\n"
	"lea 8(%rsp), %rax\n mov %rax, 48(%rdi)\n"
	"mov (%rsp), %rax\n mov %rax, 56(%rdi)\n"
	"movl $1, 64(%rdi)\n"
	"push %rdi\n"               /* keeps RSP 16-aligned at the call */
	"mov %rsi, %rax\n mov %rdx, %rdi\n call *%rax\n"
	"pop %rdi\n movl $0, 64(%rdi)\n"
	"xor %eax, %eax\n ret\n");

int trap_catch(void (*fn)(void *), void *arg, struct trap *out)
{
	struct catch_point *p = &points[trap_vcpu_index()];

	p->out = out;
	return trap_catch_at(p, fn, arg);
}

uint64_t trap_count(void)
{
	return caught[trap_vcpu_index()];
}

void trap_rdmsr(void *p)
{
	struct msr_access *a = p;
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(a->index));
	a->value = (uint64_t)hi << 32 | lo;
}

void trap_wrmsr(void *p)
{
	struct msr_access *a = p;

	__asm__ volatile("wrmsr" : : "c"(a->index), "a"((uint32_t)a->value),
			 "d"((uint32_t)(a->value >> 32)) : "memory");
}
