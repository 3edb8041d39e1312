/*
 * Memory-object constants shared by the hypervisor and partition code. The
 * values are Linux's (memfd_create, F_ADD_SEALS, fallocate) so that code
 * written against the F_SEAL_GUEST memfd reads the same here.
 */
#ifndef SEALVISOR_MEMOBJ_H
#define SEALVISOR_MEMOBJ_H

/* MEMOBJ_CREATE flags (MFD_*). Without ALLOW_SEALING the object starts
 * with SEAL_SEAL set, as memfd_create does. */
#define MEMOBJ_CLOEXEC        0x0001u   /* accepted, no meaning here */
#define MEMOBJ_ALLOW_SEALING  0x0002u
/* sealvisor's own: back the object with 4 KiB pages only, never 2 MiB
 * extents (shmem's huge=never), e.g. to compare stage-2 leaf sizes. */
#define MEMOBJ_4K_ONLY        0x0100u
#define MEMOBJ_CREATE_FLAGS   (MEMOBJ_CLOEXEC | MEMOBJ_ALLOW_SEALING | MEMOBJ_4K_ONLY)

/* Seals (F_SEAL_*), F_SEAL_GUEST from the seed patch. */
#define MEMOBJ_SEAL_SEAL          0x0001u
#define MEMOBJ_SEAL_SHRINK        0x0002u
#define MEMOBJ_SEAL_GROW          0x0004u
#define MEMOBJ_SEAL_WRITE         0x0008u
#define MEMOBJ_SEAL_FUTURE_WRITE  0x0010u
#define MEMOBJ_SEAL_GUEST         0x0020u
#define MEMOBJ_ALL_SEALS          0x003fu

/* fallocate modes (FALLOC_FL_*). */
#define MEMOBJ_FALLOC_KEEP_SIZE   0x01u
#define MEMOBJ_FALLOC_PUNCH_HOLE  0x02u

/* Largest object: 2^27 pages (512 GiB), like a filesystem's s_maxbytes. */
#define MEMOBJ_MAX_SIZE (1ULL << 39)

#endif
