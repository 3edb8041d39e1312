/*
 * mm/zero.c compiled again, optimised for size (test_zero.c): its inline
 * asm must zero the same bytes however the compiler allocates registers
 * around it. GCC at -Os and -O3 keeps the CLZERO loop's pointer in RAX,
 * which an asm that moves RAX without saying so corrupts.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("Os")
#endif
#define zero_method_name zero_os_method_name
#define zero_method_available zero_os_method_available
#define zero_method zero_os_method
#define zero_with zero_os_with
#define zero_nocache zero_os_nocache
#include "mm/zero.c"
