/*
 * Link check: DEFINE_GUID with INITGUID in two translation units links to one object, a plain
 * DEFINE_GUID declares it, and DbgPrint / DbgPrintEx from CWdf.c print to standard error and
 * return STATUS_SUCCESS, and a context type declared in a shared header (link_context.h) has one
 * type-information object in both translation units, filled as the WDK's macro fills it.
 * check.sh builds and runs it against CWdf.c only.
 */
#include <stdio.h>
#include <string.h>

#include "wdm.h"
#include "link_context.h"

/* No INITGUID yet: a declaration. */
DEFINE_GUID(GUID_LINK_CHECK, 0x01234567, 0x89ab, 0xcdef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef);

/* Now a definition (the WDK's <initguid.h> pattern: define INITGUID, include again). */
#define INITGUID
#include "wdm.h"
DEFINE_GUID(GUID_LINK_CHECK, 0x01234567, 0x89ab, 0xcdef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef);

EXTERN_C const GUID *LinkOtherGuid(void);

int main(void)
{
    static const GUID expected = { 0x01234567, 0x89ab, 0xcdef, { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef } };
    const GUID *other = LinkOtherGuid();
    ULONG printed = DbgPrint("main %d\n", 42);

#ifdef __cplusplus
    int same = IsEqualGUID(*other, expected) && IsEqualGUID(GUID_LINK_CHECK, expected);
#else
    int same = IsEqualGUID(other, &expected) && IsEqualGUID(&GUID_LINK_CHECK, &expected);
#endif
    PCWDF_OBJECT_CONTEXT_TYPE_INFO info = WDF_GET_CONTEXT_TYPE_INFO(LINK_CONTEXT);
    int contextOk = info == LinkOtherContextType()
        && info->Size == sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO)
        && strcmp(info->ContextName, "LINK_CONTEXT") == 0
        && info->ContextSize == sizeof(LINK_CONTEXT)
        && info->UniqueType == info
        && info->EvtDriverGetUniqueContextType == NULL;
    WDF_OBJECT_ATTRIBUTES attributes;

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, LINK_CONTEXT);
    contextOk = contextOk && attributes.ContextTypeInfo == info
        && attributes.Size == sizeof(WDF_OBJECT_ATTRIBUTES)
        && attributes.ExecutionLevel == WdfExecutionLevelInheritFromParent
        && attributes.SynchronizationScope == WdfSynchronizationScopeInheritFromParent
        && attributes.ParentObject == NULL && attributes.ContextSizeOverride == 0
        && attributes.EvtCleanupCallback == NULL && attributes.EvtDestroyCallback == NULL;
    if (!contextOk) {
        fprintf(stdout, "FAIL context type\n");
        return 1;
    }
    if (!same || printed != (ULONG)STATUS_SUCCESS) {
        fprintf(stdout, "FAIL\n");
        return 1;
    }
    fprintf(stdout, "OK\n");
    return 0;
}
