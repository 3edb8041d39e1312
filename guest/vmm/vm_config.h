/*
 * A guest's settings, as a text module the VMM is handed (a ".vm" file):
 * "key = value" lines, '#' comments, each key at most once.
 *
 *   kernel = NAME        the module holding the kernel (required)
 *   append = TEXT        its command line: the rest of the line, verbatim
 *   initrd = A, B, ...   modules handed to it, in this order
 *   memory = SIZE        RAM: bytes, or with a K, M or G suffix (default 64M)
 *   vcpus  = N           1 to SV_MAX_VCPUS (default 1)
 *   com1_input = NAME    a module whose bytes COM1 receives, as fast as
 *                        the guest reads them (./sealvisor: its stdin)
 *
 * Names are module names as the hypervisor hands them over (the paths in
 * sealvisor.cfg). Pure: tested on the host (tests/unit/test_vm_config.c).
 */
#ifndef SEALVISOR_VMM_VM_CONFIG_H
#define SEALVISOR_VMM_VM_CONFIG_H

#include <stdint.h>

#define VMCFG_NAME_MAX 64
#define VMCFG_APPEND_MAX 1024
#define VMCFG_MAX_INITRDS 8
#define VMCFG_DEFAULT_MEMORY (64ull << 20)
#define VMCFG_MIN_MEMORY (2ull << 20)
#define VMCFG_ERR_MAX 160

struct vm_config {
	char kernel[VMCFG_NAME_MAX];
	char append[VMCFG_APPEND_MAX];
	char initrd[VMCFG_MAX_INITRDS][VMCFG_NAME_MAX];
	unsigned nr_initrds;
	uint64_t memory;
	unsigned vcpus;
	char com1_input[VMCFG_NAME_MAX];   /* "" if none */
};

/* The defaults: no kernel, no command line or initrds, 64 MiB, 1 vCPU. */
void vm_config_defaults(struct vm_config *cfg);

/* Parses text (len bytes) into *cfg. 0, or -EINVAL with "file:line: why
 * (the value)" in err; *cfg is then unspecified. */
int vm_config_parse(struct vm_config *cfg, const char *file, const char *text, uint64_t len,
		    char *err, uint64_t errlen);

/* "64M"-style sizes: digits, then an optional K/M/G (powers of 1024).
 * -EINVAL for anything else, -ERANGE past 2^64. */
int vm_config_size(const char *s, uint64_t n, uint64_t *out);

#endif
