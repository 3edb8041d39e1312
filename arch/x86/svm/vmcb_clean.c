/* VMCB clean-bit bookkeeping's counters (arch/x86/svm/vmcb_clean.h). */
#include "arch/x86/svm/vmcb_clean.h"

uint64_t vmcb_field_writes;
