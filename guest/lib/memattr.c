/* A guest's private and shared memory (guest/lib/memattr.h). */
#include "guest/lib/kernel.h"
#include "guest/lib/memattr.h"
#include "guest/lib/trap.h"

#define SIZE_2M (2UL << 20)

static void (*ve_hook)(uint64_t gpa);

int64_t sv_share(uint64_t gpa, uint64_t len)
{
	return sv_call3(SV_HC_GUEST_MAP_GPA, gpa, len, 1);
}

int64_t sv_accept(uint64_t gpa, uint64_t size)
{
	return sv_call2(SV_HC_GUEST_ACCEPT, gpa, size);
}

int64_t sv_unshare(uint64_t gpa, uint64_t len)
{
	int64_t r = sv_call3(SV_HC_GUEST_MAP_GPA, gpa, len, 0);

	for (uint64_t a = gpa; !r && a < gpa + len;) {
		uint64_t size = !(a & (SIZE_2M - 1)) && gpa + len - a >= SIZE_2M ? SIZE_2M : 4096;
		r = sv_accept(a, size);
		a += size;
	}
	return r;
}

int64_t sv_ve_info(void)
{
	return sv_call0(SV_HC_GUEST_VE_INFO);
}

/* Called from the stub with the caller-saved registers saved. */
__attribute__((used)) void sv_ve_dispatch(void)
{
	int64_t gpa = sv_ve_info();

	if (gpa < 0 || !ve_hook) {
		kprintf("#VE without %s: stopping\n", gpa < 0 ? "information" : "a handler");
		kexit(3);
	}
	ve_hook((uint64_t)gpa);
}

/* #VE pushes no error code; on entry RSP is 16-byte aligned minus the
 * 40-byte frame, so after nine pushes it is aligned for the call. */
__asm__(".text\nsv_ve_stub:\n"
	"push %rax\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n"
	"push %r8\n push %r9\n push %r10\n push %r11\n"
	"call sv_ve_dispatch\n"
	"pop %r11\n pop %r10\n pop %r9\n pop %r8\n"
	"pop %rdi\n pop %rsi\n pop %rdx\n pop %rcx\n pop %rax\n"
	"iretq\n");
extern char sv_ve_stub[];

void sv_ve_init(void (*hook)(uint64_t gpa))
{
	ve_hook = hook;
	trap_set_gate(SV_VE_VECTOR, sv_ve_stub);
}
