/*
 * initguid.h - include it before headers that use DEFINE_GUID (or before including them again)
 * and DEFINE_GUID defines each GUID instead of declaring it, in this translation unit. The
 * definitions are weak, so two translation units that both do it still link.
 */
#ifndef INITGUID
#define INITGUID
#endif

/* wdm.h defines DEFINE_GUID outside its include guard: including it again redefines it. */
#include "wdm.h"
