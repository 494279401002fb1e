/*
 * fltKernel.h - the spelling minifilters include (`#include <fltKernel.h>`). Linux file systems
 * are case-sensitive, so this name includes fltkernel.h, where the declarations are.
 */
#include "fltkernel.h"
