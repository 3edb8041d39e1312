/* The PC machine's MSRs for the VMM (guest/vmm/pc_msr.h). */
#include "guest/vmm/pc_msr.h"

int pc_msr_read(uint32_t index, uint64_t *value)
{
	if (index == PC_MSR_MISC_ENABLE)
		*value = PC_MISC_ENABLE_VALUE;
	else if (index == PC_MSR_AMD_INT_PENDING)
		*value = 0;
	else
		return -1;
	return 0;
}

int pc_msr_write(uint32_t index, uint64_t value)
{
	return index == PC_MSR_MISC_ENABLE && value == PC_MISC_ENABLE_VALUE ? 0 : -1;
}
