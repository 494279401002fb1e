/*
 * ntddk.h - the WDK's header for kernel-mode drivers that are not file systems. Everything this
 * library implements of it lives in wdm.h (base types, status codes, IRQL, pool, lookaside
 * lists, lists, strings, interlocked operations, driver objects), which it includes.
 */
#ifndef _NTDDK_
#define _NTDDK_

#include "wdm.h"

#endif /* _NTDDK_ */
