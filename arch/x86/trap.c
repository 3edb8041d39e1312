/*
 * IDT and the exception path. Any CPU exception in the hypervisor is fatal:
 * print everything needed to find the bug, then stop with SV_EXIT_PANIC.
 */
#include <stdbool.h>
#include <stdint.h>
#include "arch/x86/desc.h"
#include "arch/x86/trap.h"
#include "arch/x86/x86.h"
#include "hv/log.h"
#include "hv/shutdown.h"

struct __attribute__((packed)) idt_entry {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};

struct __attribute__((packed)) idtr {
	uint16_t limit;
	uint64_t base;
};

extern const uint8_t trap_stubs[];
extern char ImageBase[], _image_end[];
static struct idt_entry idt[256] __attribute__((aligned(16)));
static irq_handler_t handlers[256];

static const char *const exc_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
	"reserved 22", "reserved 23", "reserved 24", "reserved 25", "reserved 26",
	"reserved 27", "#HV hypervisor injection", "#VC VMM communication",
	"#SX security", "reserved 31",
};

static void set_gate(unsigned v, uint64_t fn, uint8_t ist)
{
	idt[v] = (struct idt_entry){
		.off_lo = fn & 0xffff, .sel = SEL_CODE64, .ist = ist,
		.type = 0x8e,  /* present, DPL 0, 64-bit interrupt gate */
		.off_mid = (fn >> 16) & 0xffff, .off_hi = fn >> 32,
	};
}

void trap_load_idt(void)
{
	struct idtr idtr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void trap_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint8_t ist = v == 8 ? IST_DF : v == 2 ? IST_NMI : v == 18 ? IST_MC : 0;
		set_gate(v, (uint64_t)(trap_stubs + 16 * v), ist);
	}
	trap_load_idt();
}

void trap_set_handler(unsigned vector, irq_handler_t fn)
{
	handlers[vector & 0xff] = fn;
}

/* "0x...(sealvisor.so+0x...)" so a reader can feed the offset to addr2line. */
static void print_addr(const char *label, uint64_t a)
{
	uint64_t base = (uint64_t)ImageBase, end = (uint64_t)_image_end;

	if (a >= base && a < end)
		console_printf("%s0x%016lx (sealvisor.so+0x%lx)\n", label, a, a - base);
	else
		console_printf("%s0x%016lx\n", label, a);
}

static void backtrace(uint64_t rbp)
{
	console_printf("backtrace (addr2line -e build/sealvisor.so OFFSET):\n");
	for (int depth = 0; depth < 24 && rbp; depth++) {
		if ((rbp & 7) || !arch_on_known_stack(rbp) || !arch_on_known_stack(rbp + 8)) {
			console_printf("  (frame pointer 0x%lx is not on a hypervisor stack)\n", rbp);
			return;
		}
		uint64_t *fp = (uint64_t *)rbp;
		print_addr("  ", fp[1]);
		if (fp[0] <= rbp)
			return;  /* frames must move up the stack */
		rbp = fp[0];
	}
}

/*
 * One dump at a time, and none inside a dump: a fault while dumping (the
 * first crash of this kind faulted in the backtrace 290 times, until the
 * stack overflowed and the machine reset without an exit status) stops at
 * once. The owner is named by its APIC id from CPUID, not this_cpu(): the
 * GS base may be what broke. Another CPU faulting meanwhile waits for the
 * first one's shutdown.
 */
static uint32_t dumping_cpu;   /* APIC id + 1 of the CPU dumping, 0 if none */

static uint32_t apic_id_plus_one(void)
{
	return (cpuid(1, 0).ebx >> 24) + 1;
}

static void dump_begin(uint64_t vector, uint64_t rip)
{
	uint32_t me = apic_id_plus_one(), none = 0;

	if (__atomic_compare_exchange_n(&dumping_cpu, &none, me, false, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST))
		return;
	if (none != me)
		halt_forever();
	console_printf("\n*** fault or panic (vector %lu) at 0x%lx while dumping: stopping\n", vector, rip);
	arch_shutdown(SV_EXIT_PANIC);
}

static void dump_regs(const struct trap_frame *f)
{
	console_printf("rax %016lx rbx %016lx rcx %016lx rdx %016lx\n",
		       f->rax, f->rbx, f->rcx, f->rdx);
	console_printf("rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n",
		       f->rsi, f->rdi, f->rbp, f->rsp);
	console_printf("r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n",
		       f->r8, f->r9, f->r10, f->r11);
	console_printf("r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n",
		       f->r12, f->r13, f->r14, f->r15);
	console_printf("cs %04lx ss %04lx rflags %016lx\n", f->cs, f->ss, f->rflags);
	console_printf("cr0 %016lx cr2 %016lx cr3 %016lx cr4 %016lx\n",
		       read_cr0(), read_cr2(), read_cr3(), read_cr4());
	print_addr("rip ", f->rip);
}

void trap_handler(struct trap_frame *f);
void trap_handler(struct trap_frame *f)
{
	if (handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	const char *name = f->vector < 32 ? exc_names[f->vector] : "unexpected interrupt";
	dump_begin(f->vector, f->rip);
	console_printf("\n*** CPU exception: vector %lu (%s), error code 0x%lx\n",
		       f->vector, name, f->error);
	if (f->vector == 14)
		console_printf("page fault address (cr2) 0x%lx, %s %s%s\n", read_cr2(),
			       f->error & 2 ? "write" : "read",
			       f->error & 1 ? "protection violation" : "not-present page",
			       f->error & 16 ? ", instruction fetch" : "");
	dump_regs(f);
	backtrace(f->rbp);
	arch_shutdown(SV_EXIT_PANIC);
}

void trap_dispatch_nmi(void)
{
	struct trap_frame f = { .vector = 2 };

	__asm__ volatile("lea 0(%%rip), %0; mov %%rbp, %1; mov %%rsp, %2"
			 : "=r"(f.rip), "=m"(f.rbp), "=m"(f.rsp));
	trap_handler(&f);
}

void arch_dump_here(void)
{
	struct trap_frame f = { 0 };

	__asm__ volatile("mov %%rbx, %0; mov %%rbp, %1; mov %%rsp, %2; mov %%r12, %3"
			 : "=m"(f.rbx), "=m"(f.rbp), "=m"(f.rsp), "=m"(f.r12));
	__asm__ volatile("lea 0(%%rip), %0" : "=r"(f.rip));
	__asm__ volatile("mov %%cs, %0; pushfq; popq %1" : "=r"(f.cs), "=r"(f.rflags));
	dump_begin(0, f.rip);
	dump_regs(&f);
	backtrace((uint64_t)__builtin_frame_address(0));
}

void arch_debug_fault_gs0(void)
{
	wrmsr(0xc0000101, 0);   /* MSR_GS_BASE */
	__asm__ volatile("mov %%rbp, %%rbx; mov $0x10efe0, %%rbp; mov %%gs:0, %%rax; mov %%rbx, %%rbp"
			 : : : "rax", "rbx", "memory");
}
