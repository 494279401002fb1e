/*
 * wdf.h - Kernel-Mode Driver Framework (KMDF) for driver code hosted in a Linux process.
 *
 * The object model declarations (WDFOBJECT and the specific handle types, WDF_OBJECT_ATTRIBUTES
 * and context types, driver, device, request, memory and lookaside objects) arrive with the KMDF
 * object work. Until then this header only provides the base definitions of wdm.h, so that
 * drivers can already include it.
 */
#ifndef _WDF_H_
#define _WDF_H_

#include "wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* (KMDF object model: not yet declared.) */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _WDF_H_ */
