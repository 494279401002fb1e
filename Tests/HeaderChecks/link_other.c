/*
 * Link check, second translation unit: defines the same GUID as link_main.c (INITGUID in both,
 * as selectany allows on Windows) and prints through DbgPrintEx; returns its view of the context
 * type declared in link_context.h.
 */
#define INITGUID
#include "wdm.h"
#include "link_context.h"

DEFINE_GUID(GUID_LINK_CHECK, 0x01234567, 0x89ab, 0xcdef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef);

EXTERN_C const GUID *LinkOtherGuid(void);

EXTERN_C const GUID *LinkOtherGuid(void)
{
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "other %s\n", "tu");
    return &GUID_LINK_CHECK;
}

EXTERN_C PCWDF_OBJECT_CONTEXT_TYPE_INFO LinkOtherContextType(void)
{
    return WDF_GET_CONTEXT_TYPE_INFO(LINK_CONTEXT);
}
