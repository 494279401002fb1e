/*
 * fltkernel.h - Filter Manager for minifilter code hosted in a Linux process.
 *
 * The filter declarations (PFLT_FILTER, registration, FltRegisterFilter / FltStartFiltering /
 * FltUnregisterFilter) and extra create parameters (ECP lookaside lists, ECPs and ECP lists)
 * arrive with the Filter Manager work. Until then this header only provides the base definitions
 * of wdm.h, so that filters can already include it.
 */
#ifndef _FLTKERNEL_H_
#define _FLTKERNEL_H_

#include "wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* (Filters and ECPs: not yet declared.) */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _FLTKERNEL_H_ */
