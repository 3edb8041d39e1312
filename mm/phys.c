#include "mm/phys.h"

uintptr_t phys_virt_offset;
