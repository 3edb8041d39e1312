#ifndef HV_SELFTEST_H
#define HV_SELFTEST_H

/* Exercises the page allocator and heap on the real memory map; logs each
 * failed check and returns the number of failures. */
int selftest_allocator(void);

#endif
