/* The Multiboot test-kernel runtime (guest/mb/mb.h). */
#include <stdarg.h>
#include "guest/mb/mb.h"
#include "lib/fmt.h"
#include "lib/string.h"

#define MB_BOOT_MAGIC_EAX 0x2badb002u

const struct mb_entry_state *mb_entry;
const struct mb_info *mb_boot_info;
static unsigned checks, failures;

/* 115200 8N1, FIFO on, interrupts off: what a kernel's early console does. */
static void com1_init(void)
{
	outb(MB_COM1 + 1, 0x00);
	outb(MB_COM1 + 3, 0x80);
	outb(MB_COM1 + 0, 0x01);
	outb(MB_COM1 + 1, 0x00);
	outb(MB_COM1 + 3, 0x03);
	outb(MB_COM1 + 2, 0xc7);
	outb(MB_COM1 + 4, 0x0b);
}

static void com1_putc(char c)
{
	for (unsigned spin = 0; spin < 1000000 && !(inb(MB_COM1 + 5) & 0x20); spin++)
		__asm__ volatile("pause");
	outb(MB_COM1, (uint8_t)c);
}

void mb_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	sv_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (const char *p = buf; *p; p++)
		com1_putc(*p);
}

void mb_check(bool ok, const char *what)
{
	checks++;
	failures += !ok;
	mb_printf("%s: %s: %s\n", mb_name, what, ok ? "ok" : "FAILED");
}

void mb_exit(unsigned status)
{
	for (;;) {
		outb(0xf4, (uint8_t)status);
		__asm__ volatile("cli; hlt");
	}
}

const char *mb_cmdline_value(const char *key)
{
	if (!mb_boot_info || !(mb_boot_info->flags & MB_INFO_CMDLINE))
		return NULL;
	size_t n = strlen(key);
	for (const char *p = (const char *)(uintptr_t)mb_boot_info->cmdline; *p; p++)
		if ((p == (const char *)(uintptr_t)mb_boot_info->cmdline || p[-1] == ' ') &&
		    !strncmp(p, key, n) && p[n] == '=')
			return p + n + 1;
	return NULL;
}

static unsigned parse_uint(const char *s)
{
	unsigned v = 0;
	while (s && *s >= '0' && *s <= '9')
		v = v * 10 + (unsigned)(*s++ - '0');
	return v;
}

void mb_main(const struct mb_entry_state *entry);
void mb_main(const struct mb_entry_state *entry)
{
	mb_entry = entry;
	if (entry->eax == MB_BOOT_MAGIC_EAX)
		mb_boot_info = (const struct mb_info *)(uintptr_t)entry->ebx;
	com1_init();
	mb_test();
	mb_printf("%s: %u checks, %u failed: %s\n", mb_name, checks, failures,
		  failures ? "FAIL" : "PASS");
	const char *exit = mb_cmdline_value("exit");
	mb_exit(failures ? 1 : exit ? parse_uint(exit) : 0);
}
