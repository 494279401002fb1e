/*
 * Link check: a context type declared in a header that several translation units include, as
 * drivers do. Every translation unit must see one type-information object (the type's identity).
 */
#ifndef LINK_CONTEXT_H
#define LINK_CONTEXT_H

#include "wdf.h"

typedef struct _LINK_CONTEXT {
    ULONG Value;
    PVOID Pointer;
    UCHAR Bytes[20];
} LINK_CONTEXT, *PLINK_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(LINK_CONTEXT, LinkGetContext)

EXTERN_C PCWDF_OBJECT_CONTEXT_TYPE_INFO LinkOtherContextType(void);

#endif
