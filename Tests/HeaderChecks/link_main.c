/*
 * Link check: DEFINE_GUID with INITGUID in two translation units links to one object, a plain
 * DEFINE_GUID declares it, and DbgPrint / DbgPrintEx from CWdf.c print to standard error and
 * return STATUS_SUCCESS. check.sh builds and runs it against CWdf.c only.
 */
#include <stdio.h>

#include "wdm.h"

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
    if (!same || printed != (ULONG)STATUS_SUCCESS) {
        fprintf(stdout, "FAIL\n");
        return 1;
    }
    fprintf(stdout, "OK\n");
    return 0;
}
