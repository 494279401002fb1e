/*
 * A minifilter that goes through the whole ECP life cycle: register, init an ECP lookaside list,
 * allocate an ECP list and ECPs, insert, find, iterate, acknowledge, remove, free, free the list,
 * delete the lookaside list, unregister. Prints "check <name>: ok|FAIL"; exits with failures.
 */
#include <stdio.h>
#include <string.h>
#define INITGUID
#include <fltkernel.h>
#include <wdfhost.h>

#define TAG(a, b, c, d) ((ULONG)(a) | ((ULONG)(b) << 8) | ((ULONG)(c) << 16) | ((ULONG)(d) << 24))

DEFINE_GUID(GUID_ECP_SAMPLE, 0x89f1a9a1, 0x2d1b, 0x4c4e, 0x9a, 0x3c, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06);
DEFINE_GUID(GUID_ECP_OTHER, 0x12345678, 0x1111, 0x2222, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa);

typedef struct _SAMPLE_ECP { ULONG Value; UCHAR Payload[60]; } SAMPLE_ECP, *PSAMPLE_ECP;

static int failures, passes;
static void check(const char *name, int ok) {
    printf("check %s: %s\n", name, ok ? "ok" : "FAIL");
    if (ok) passes++; else failures++;
}

static PFLT_FILTER g_Filter;
static NPAGED_LOOKASIDE_LIST g_EcpLookaside;
static int g_Cleanups, g_CleanupTypeOk = 1, g_UnloadCalls;

static VOID EcpCleanup(PVOID EcpContext, LPCGUID EcpType) {
    (void)EcpContext;
    if (!IsEqualGUID(EcpType, &GUID_ECP_SAMPLE) && !IsEqualGUID(EcpType, &GUID_ECP_OTHER)) g_CleanupTypeOk = 0;
    g_Cleanups++;
}

static NTSTATUS FilterUnload(FLT_FILTER_UNLOAD_FLAGS Flags) {
    (void)Flags;
    g_UnloadCalls++;
    FltUnregisterFilter(g_Filter);
    return STATUS_SUCCESS;
}

static const FLT_REGISTRATION FilterRegistration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0, NULL, NULL, FilterUnload,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    (void)RegistryPath;
    NTSTATUS status = FltRegisterFilter(DriverObject, &FilterRegistration, &g_Filter);
    check("FltRegisterFilter", status == STATUS_SUCCESS && g_Filter != NULL);
    FltInitExtraCreateParameterLookasideList(g_Filter, &g_EcpLookaside, FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL,
                                             sizeof(SAMPLE_ECP), TAG('S', 'm', 'E', 'c'));
    return FltStartFiltering(g_Filter);
}

int main(void) {
    PDRIVER_OBJECT driver;
    check("load", WdfHostLoadDriver("SampleFilter", DriverEntry, &driver) == STATUS_SUCCESS);

    PECP_LIST list = NULL;
    check("FltAllocateExtraCreateParameterList", FltAllocateExtraCreateParameterList(g_Filter, 0, &list) == STATUS_SUCCESS && list);

    PSAMPLE_ECP sample = NULL;
    NTSTATUS status = FltAllocateExtraCreateParameterFromLookasideList(
        g_Filter, &GUID_ECP_SAMPLE, sizeof(SAMPLE_ECP), 0, EcpCleanup, &g_EcpLookaside, (PVOID *)&sample);
    check("allocate from the lookaside list", status == STATUS_SUCCESS && sample != NULL);
    sample->Value = 42;

    PVOID big = NULL;
    status = FltAllocateExtraCreateParameterFromLookasideList(
        g_Filter, &GUID_ECP_OTHER, 4000, FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL, EcpCleanup, &g_EcpLookaside, &big);
    check("too big: from pool", status == STATUS_SUCCESS && big != NULL);

    PVOID overflow = (PVOID)1;
    status = FltAllocateExtraCreateParameterFromLookasideList(
        g_Filter, &GUID_ECP_OTHER, 0xFFFFFFF0u, 0, NULL, &g_EcpLookaside, &overflow);
    check("overflow", status == STATUS_INTEGER_OVERFLOW && overflow == NULL);

    check("insert", FltInsertExtraCreateParameter(g_Filter, list, sample) == STATUS_SUCCESS);
    check("insert second", FltInsertExtraCreateParameter(g_Filter, list, big) == STATUS_SUCCESS);

    PVOID duplicate = NULL;
    FltAllocateExtraCreateParameter(g_Filter, &GUID_ECP_SAMPLE, 8, 0, EcpCleanup, TAG('S', 'm', 'D', 'p'), &duplicate);
    check("duplicate type rejected", FltInsertExtraCreateParameter(g_Filter, list, duplicate) == STATUS_INVALID_PARAMETER);
    FltFreeExtraCreateParameter(g_Filter, duplicate);  /* the caller still owns it */
    check("rejected ECP cleaned up once when freed", g_Cleanups == 1);

    PVOID found = NULL;
    ULONG size = 0;
    status = FltFindExtraCreateParameter(g_Filter, list, &GUID_ECP_SAMPLE, &found, &size);
    check("find", status == STATUS_SUCCESS && found == sample && size == sizeof(SAMPLE_ECP) && ((PSAMPLE_ECP)found)->Value == 42);

    /* Iterate in insertion order. */
    GUID type;
    PVOID next = NULL;
    int seen = 0, orderOk = 1;
    PVOID current = NULL;
    while (NT_SUCCESS(FltGetNextExtraCreateParameter(g_Filter, list, current, &type, &next, &size))) {
        if (seen == 0) orderOk &= next == sample && IsEqualGUID(&type, &GUID_ECP_SAMPLE);
        if (seen == 1) orderOk &= next == big && IsEqualGUID(&type, &GUID_ECP_OTHER) && size == 4000;
        current = next;
        seen++;
    }
    check("iterate in insertion order", seen == 2 && orderOk);
    status = FltGetNextExtraCreateParameter(g_Filter, list, big, &type, &next, &size);
    check("end of the list clears the outputs", status == STATUS_NOT_FOUND && next == NULL && size == 0);

    FltAcknowledgeEcp(g_Filter, sample);
    check("acknowledged", FltIsEcpAcknowledged(g_Filter, sample));
    FltPrepareToReuseEcp(g_Filter, sample);
    check("reuse clears the acknowledgment", !FltIsEcpAcknowledged(g_Filter, sample));
    check("not from user mode", !FltIsEcpFromUserMode(g_Filter, sample));

    PVOID removed = NULL;
    status = FltRemoveExtraCreateParameter(g_Filter, list, &GUID_ECP_SAMPLE, &removed, &size);
    check("remove", status == STATUS_SUCCESS && removed == sample && g_Cleanups == 1);
    status = FltFindExtraCreateParameter(g_Filter, list, &GUID_ECP_SAMPLE, &found, &size);
    check("find after remove", status == STATUS_NOT_FOUND && found == NULL && size == 0);
    FltFreeExtraCreateParameter(g_Filter, removed);
    check("free runs the cleanup", g_Cleanups == 2);

    FltFreeExtraCreateParameterList(g_Filter, list);
    check("freeing the list frees its ECPs", g_Cleanups == 3 && g_CleanupTypeOk);

    FltDeleteExtraCreateParameterLookasideList(g_Filter, &g_EcpLookaside, FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL);

    status = WdfHostUnloadDriver(driver);
    check("unload calls the filter's unload callback", status == STATUS_SUCCESS && g_UnloadCalls == 1);
    printf("summary: %d checks ok, %d failed\n", passes, failures);
    return failures;
}
