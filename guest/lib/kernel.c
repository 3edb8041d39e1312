#include <stdarg.h>
#include "guest/lib/kernel.h"

static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

void kprintf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	int n = sv_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (int i = 0; i < n && i < (int)sizeof(buf) - 1; i++)
		outb(0x3f8, (uint8_t)buf[i]);
}

void kexit(int status)
{
	__asm__ volatile("outl %0, %1" : : "a"((uint32_t)status), "Nd"((uint16_t)0xf4));
	kpark();
}

void kpark(void)
{
	for (;;)
		__asm__ volatile("hlt");
}

int64_t vmm_call(uint64_t nr, uint64_t a0, uint64_t a1)
{
	if (!sv_vendor)
		sv_detect_vendor();
	return sv_call2(nr, a0, a1);
}

unsigned kchecks, kfailures;

void kexpect(const char *what, int64_t got, int64_t want)
{
	kchecks++;
	if (got == want)
		return;
	kfailures++;
	kprintf("FAIL %s: got %ld (%s), expected %ld (%s)\n", what, got, sv_strerror(got), want,
		sv_strerror(want));
}
