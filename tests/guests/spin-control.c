/* spin-control: a control partition that stops making progress. It says
 * hello (one hypercall), then spins without another: only the watchdog
 * (`watchdog = seconds`, hv/watchdog.h) can end the run. */
#include "guest/lib/sv.h"

__attribute__((section(".text.start"))) void _start(struct sv_boot_params *bp)
{
	sv_control_init(bp, "spin-control");
	sv_printf("spin-control: spinning without hypercalls from now on\n");
	for (volatile uint64_t n = 0;; n++)
		;
}
