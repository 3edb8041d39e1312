#include "guest/lib/irq.h"
#include "guest/lib/trap.h"

#define MAX_VCPUS 8
#define LOG_LEN 32

static uint64_t counts[MAX_VCPUS][256], totals[MAX_VCPUS];
static uint8_t order[MAX_VCPUS][LOG_LEN];

/* 224 stubs, 16 bytes apart: each pushes its vector. */
extern char irq_stubs[];
__asm__(".text\n.balign 16\nirq_stubs:\n"
	".set vec, 32\n"
	".rept 224\n"
	".balign 16\n"
	"pushq $vec\n"
	"jmp irq_entry\n"
	".set vec, vec + 1\n"
	".endr\n");

/* Saves what a C call may clobber, counts, returns to the interrupted code. */
__asm__(".text\nirq_entry:\n"
	"push %rax\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n"
	"push %r8\n push %r9\n push %r10\n push %r11\n"
	"mov 72(%rsp), %rdi\n"
	"push %rbp\n mov %rsp, %rbp\n and $-16, %rsp\n"
	"call irq_handle\n"
	"mov %rbp, %rsp\n pop %rbp\n"
	"pop %r11\n pop %r10\n pop %r9\n pop %r8\n"
	"pop %rdi\n pop %rsi\n pop %rdx\n pop %rcx\n pop %rax\n"
	"add $8, %rsp\n iretq\n");

__attribute__((used)) void irq_handle(uint64_t vector)
{
	unsigned me = trap_vcpu_index();

	if (totals[me] < LOG_LEN)
		order[me][totals[me]] = (uint8_t)vector;
	totals[me]++;
	counts[me][vector & 0xff]++;
}

void irq_init(void)
{
	for (unsigned v = 32; v < 256; v++)
		trap_set_gate(v, irq_stubs + 16 * (v - 32));
}

uint64_t irq_count(unsigned vector)
{
	return counts[trap_vcpu_index()][vector & 0xff];
}

uint64_t irq_total(void)
{
	return totals[trap_vcpu_index()];
}

int irq_nth(unsigned n)
{
	unsigned me = trap_vcpu_index();

	return n < LOG_LEN && n < totals[me] ? order[me][n] : -1;
}

void irq_sti_hlt(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

void irq_x2apic_on(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x1bu));
	lo |= 1u << 10 | 1u << 11;
	__asm__ volatile("wrmsr" : : "c"(0x1bu), "a"(lo), "d"(hi) : "memory");
}
