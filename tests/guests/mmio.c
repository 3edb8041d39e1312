/* mmio: accesses to a device page no memory backs (guest/vmm/layout.h's
 * test device at 0x3ff00000), which the hypervisor decodes so that the
 * VMM sees only the gpa, size and written value, and whose read answers
 * come back into the right register (issue 12 item 4): 1/2/4/8-byte MOVs
 * both ways, MOV immediate, MOVZX/MOVSX/MOVSXD, AH and R8-R15, a
 * RIP-relative and a moffs form, and the registers around them untouched. */
#include "guest/vmm/layout.h"
#include "guest/lib/kernel.h"

static unsigned failed, checked;
#define DEV TEST_MMIO_GPA

static void check(int ok, const char *what)
{
	checked++;
	if (!ok)
		failed++;
	kprintf("mmio: %s: %s\n", what, ok ? "ok" : "FAILED");
}

__attribute__((section(".text.start"))) void _start(void)
{
	volatile uint64_t *q = (volatile uint64_t *)DEV;
	volatile uint32_t *d = (volatile uint32_t *)DEV;
	volatile uint16_t *w = (volatile uint16_t *)DEV;
	volatile uint8_t *b = (volatile uint8_t *)DEV;

	q[0] = 0x1122334455667788UL;
	check(q[0] == 0x1122334455667788UL, "8-byte write and read back");
	d[2] = 0xcafef00d;
	check(d[2] == 0xcafef00d && q[1] == 0xcafef00d, "4-byte write; the VMM kept 4 bytes");
	w[8] = 0x8001;
	check(w[8] == 0x8001 && (int16_t)w[8] == -32767, "2-byte write and read");
	b[24] = 0x80;
	check(b[24] == 0x80 && (int8_t)b[24] == -128, "1-byte write, MOVZX and MOVSX reads");

	/* A read into AH leaves AL and the upper bits alone. */
	uint64_t rax = 0xffffffffffff1111UL;
	__asm__ volatile("movb (%1), %%ah" : "+a"(rax) : "r"(DEV + 24));
	check(rax == 0xffffffffffff8011UL, "read into AH: only AH changes");
	/* A 32-bit read zero-extends; R9 as the destination. */
	uint64_t r9v;
	__asm__ volatile("mov $-1, %%r9; movl (%1), %%r9d; mov %%r9, %0"
			 : "=r"(r9v) : "r"(DEV + 8) : "r9");
	check(r9v == 0xcafef00dUL, "32-bit read into R9D zero-extends");
	int64_t sx;
	__asm__ volatile("movslq (%1), %0" : "=r"(sx) : "r"(DEV + 8));
	check(sx == (int64_t)(int32_t)0xcafef00d, "MOVSXD sign-extends");
	/* MOV immediate, sign-extended to 8 bytes. */
	__asm__ volatile("movq $-2, (%0)" : : "r"(DEV + 32) : "memory");
	check(q[4] == 0xfffffffffffffffeUL, "MOV imm32 to 8 bytes: sign-extended");
	/* movabs through the accumulator. */
	uint32_t acc;
	__asm__ volatile("movabs %1, %%eax" : "=a"(acc) : "m"(*(volatile uint32_t *)(DEV + 8)));
	check(acc == 0xcafef00d, "MOV EAX, moffs");
	/* Offsets the device does not have read all ones. */
	check(d[0x800 / 4] == 0xffffffff, "an offset with no register reads all ones");
	kprintf("mmio: %u checks, %u failed\n", checked, failed);
	kprintf(failed ? "FAIL\n" : "PASS\n");
	kexit(failed ? 1 : 0);
}
