/* Linux errno values, returned negated by the hypervisor and every hypercall. */
#ifndef SEALVISOR_ERRNO_H
#define SEALVISOR_ERRNO_H

#define EPERM       1
#define ENOENT      2
#define EIO         5
#define E2BIG       7
#define ENOEXEC     8
#define EBADF       9
#define EAGAIN     11
#define ENOMEM     12
#define EACCES     13
#define EFAULT     14
#define EBUSY      16
#define EEXIST     17
#define ENODEV     19
#define EINVAL     22
#define EFBIG      27
#define ENOSPC     28
#define ERANGE     34
#define ENAMETOOLONG 36
#define ENOSYS     38
#define EOVERFLOW  75
#define EOPNOTSUPP 95
#define ENOTSUPP  524   /* kernel-internal, as the seed's migratepage returns */

#endif
