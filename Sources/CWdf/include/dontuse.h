/*
 * dontuse.h - in the WDK, marks deprecated C run-time string routines (strcpy, wcscat, sprintf,
 * ...) so that using them is a compile error steering drivers to ntstrsafe.h. Here it includes
 * the headers drivers expect next to it and deprecates nothing: the C library's declarations are
 * left alone, so a driver that includes it compiles as it does with the WDK.
 */
#ifndef _DONTUSE_H_INCLUDED_
#define _DONTUSE_H_INCLUDED_

#include "wdm.h"

#endif /* _DONTUSE_H_INCLUDED_ */
