#include <sealvisor/errno.h>
#include "lib/errno_name.h"

#define E(x) [x] = #x
static const char *const names[] = {
	E(EPERM), E(ENOENT), E(EIO), E(E2BIG), E(ENOEXEC), E(EBADF), E(EAGAIN),
	E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY), E(EEXIST), E(ENODEV),
	E(EINVAL), E(EFBIG), E(ENOSPC), E(ERANGE), E(ENAMETOOLONG), E(ENOSYS),
	E(EOVERFLOW), E(EOPNOTSUPP),
};
#undef E

const char *errno_name(int64_t err)
{
	uint64_t e = err < 0 ? -(uint64_t)err : (uint64_t)err;

	if (e == 0)
		return "ok";
	if (e == ENOTSUPP)
		return "ENOTSUPP";
	if (e < sizeof(names) / sizeof(names[0]) && names[e])
		return names[e];
	return "E?";
}
