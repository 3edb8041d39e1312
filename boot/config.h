/*
 * \sealvisor.cfg: "key = value" lines, '#' comments. Parsed by plain C with
 * no firmware dependency so it is unit-tested on the host.
 */
#ifndef BOOT_CONFIG_H
#define BOOT_CONFIG_H

#include <stddef.h>
#include "hv/config.h"

void config_defaults(struct config *cfg);

/*
 * Parses text (len bytes, need not be NUL-terminated) into cfg, which must
 * hold the defaults. On error returns -EINVAL, writes "file:line: reason" to
 * err, and leaves cfg as it was before the call.
 */
int config_parse(struct config *cfg, const char *file, const char *text,
		 size_t len, char *err, size_t errlen);

#endif
