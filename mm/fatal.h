/*
 * How mm/ stops on a broken internal invariant (a double free): panic(),
 * provided by whatever links mm/ in: the hypervisor (hv/panic.c, same
 * declaration as hv/shutdown.h) and the host tests and fuzzer
 * (tests/unit/fake_virt.c). Declared here because mm/ must not include hv/
 * (tests/include-graph.sh).
 */
#ifndef MM_FATAL_H
#define MM_FATAL_H

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

#endif
