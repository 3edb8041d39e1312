#ifndef ARCH_X86_SVM_NPT_H
#define ARCH_X86_SVM_NPT_H

#include "mm/stage2.h"

extern const struct stage2_fmt npt_fmt;

#endif
