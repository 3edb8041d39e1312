/* The VMM's tries at its running guest's memory (guest/vmm/memory_probe.h). */
#include "guest/vmm/memory_probe.h"

#define MB (1ull << 20)
#define PROBE_MAP_GPA (256 * MB)     /* above our 64 MiB, as hostile-control maps */
#define FILL 0x5a

static uint8_t buf[4096] __attribute__((aligned(4096)));

static bool untouched(void)
{
	for (unsigned i = 0; i < sizeof(buf); i++)
		if (buf[i] != FILL)
			return false;
	return true;
}

/* Offsets where the guest surely has data: the launch's low pages
 * (boot_params of a bzImage, the Multiboot information) and page 0. */
void memory_probe(struct guest *g)
{
	static const uint64_t offsets[] = { 0, 0x8000 };
	uint64_t off = offsets[g->probes % 2];
	int64_t r;

	memset(buf, FILL, sizeof(buf));
	if ((r = sv_call4(SV_HC_MEMOBJ_READ, g->obj, off, (uint64_t)buf, sizeof(buf))) != -EPERM)
		return guest_fail(g, "the VMM read its running guest's memory (MEMOBJ_READ)", r);
	if (!untouched())
		return guest_fail(g, "a refused MEMOBJ_READ wrote the VMM's buffer", 0);
	if ((r = sv_call4(SV_HC_MEMOBJ_WRITE, g->obj, off, (uint64_t)buf, sizeof(buf))) != -EPERM)
		return guest_fail(g, "the VMM wrote its running guest's memory (MEMOBJ_WRITE)", r);
	for (uint64_t writable = 0; writable < 2; writable++)
		if ((r = sv_call5(SV_HC_MEMOBJ_MAP, g->obj, off, PROBE_MAP_GPA, sizeof(buf),
				  writable)) != -EPERM)
			return guest_fail(g, writable ? "the VMM mapped its running guest's memory writable"
					  : "the VMM mapped its running guest's memory", r);
	g->probes++;
}

void memory_probe_report(const struct guest *g)
{
	sv_printf("[vmm] %s: %u tries at the guest's memory while it ran (MEMOBJ_READ, "
		  "MEMOBJ_WRITE, MEMOBJ_MAP read-only and writable): all refused (EPERM)\n",
		  g->name, g->probes);
}
