#ifndef ARCH_X86_VMX_EPT_H
#define ARCH_X86_VMX_EPT_H

#include "mm/stage2.h"

extern const struct stage2_fmt ept_fmt;

#endif
