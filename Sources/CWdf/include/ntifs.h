/*
 * ntifs.h - the WDK's header for file systems and file-system filters. It includes ntddk.h, as
 * the WDK's does; the Filter Manager's declarations (ECPs, filters) are in fltkernel.h.
 */
#ifndef _NTIFS_
#define _NTIFS_

#include "ntddk.h"

#endif /* _NTIFS_ */
