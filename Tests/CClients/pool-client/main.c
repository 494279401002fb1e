/*
 * A driver that uses only the pool and lookaside lists, loaded, run and unloaded through the host.
 * Prints one "check <name>: ok|FAIL ..." line per check and exits with the number of failures.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <wdm.h>
#include <wdfhost.h>

#define TAG(a, b, c, d) ((ULONG)(a) | ((ULONG)(b) << 8) | ((ULONG)(c) << 16) | ((ULONG)(d) << 24))

static int failures, passes;
static void check(const char *name, int ok, const char *detail) {
    printf("check %s: %s%s%s\n", name, ok ? "ok" : "FAIL", detail ? " " : "", detail ? detail : "");
    if (!ok) failures++; else passes++;
}

static LOOKASIDE_LIST_EX g_List;
static NPAGED_LOOKASIDE_LIST g_Legacy;
static int g_Unloaded;
static int g_CustomAllocs, g_CustomFrees;

static PVOID CustomAllocate(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, PLOOKASIDE_LIST_EX Lookaside) {
    (void)Lookaside;
    g_CustomAllocs++;
    return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

static VOID CustomFree(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside) {
    (void)Lookaside;
    g_CustomFrees++;
    ExFreePoolWithTag(Buffer, TAG('C', 'l', 'L', 'x'));
}

static VOID DriverUnload(PDRIVER_OBJECT DriverObject) {
    UNREFERENCED_PARAMETER(DriverObject);
    ExDeleteLookasideListEx(&g_List);
    ExDeleteNPagedLookasideList(&g_Legacy);
    g_Unloaded = 1;
}

static ULONG_PTR Used(ULONG tag, int paged) {
    ULONG needed = 0;
    static unsigned char buffer[1 << 16];
    NTSTATUS status = ZwQuerySystemInformation(SystemPoolTagInformation, buffer, sizeof buffer, &needed);
    if (!NT_SUCCESS(status)) return (ULONG_PTR)-1;
    PSYSTEM_POOLTAG_INFORMATION info = (PSYSTEM_POOLTAG_INFORMATION)buffer;
    for (ULONG i = 0; i < info->Count; i++) {
        if (info->TagInfo[i].TagUlong == tag) return paged ? info->TagInfo[i].PagedUsed : info->TagInfo[i].NonPagedUsed;
    }
    return 0;
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    char detail[128];
    DriverObject->DriverUnload = DriverUnload;
    check("registry path", RegistryPath->Length > 0 && RegistryPath->Buffer[0] == u'\\', NULL);
    check("irql passive", KeGetCurrentIrql() == PASSIVE_LEVEL, NULL);

    /* Pool: alignment, page alignment, accounting. */
    PVOID small = ExAllocatePoolWithTag(NonPagedPoolNx, 100, TAG('C', 'l', 'P', 'l'));
    PVOID page = ExAllocatePoolWithTag(PagedPool, PAGE_SIZE, TAG('C', 'l', 'P', 'g'));
    check("small aligned", small && ((uintptr_t)small % MEMORY_ALLOCATION_ALIGNMENT) == 0, NULL);
    check("page aligned", page && ((uintptr_t)page % PAGE_SIZE) == 0, NULL);
    snprintf(detail, sizeof detail, "(%lu)", (unsigned long)Used(TAG('C', 'l', 'P', 'l'), 0));
    check("accounting counts the whole block", Used(TAG('C', 'l', 'P', 'l'), 0) == 128, detail);
    check("paged accounting", Used(TAG('C', 'l', 'P', 'g'), 1) == PAGE_SIZE, NULL);
    ExFreePoolWithTag(small, TAG('C', 'l', 'P', 'l'));
    ExFreePool(page);
    check("freed", Used(TAG('C', 'l', 'P', 'l'), 0) == 0 && Used(TAG('C', 'l', 'P', 'g'), 1) == 0, NULL);

    /* ExAllocatePool2 zeroes; a zero tag fails. */
    unsigned char *zeroed = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG('C', 'l', 'Z', 'r'));
    int allZero = zeroed != NULL;
    for (int i = 0; zeroed && i < 64; i++) allZero &= zeroed[i] == 0;
    check("ExAllocatePool2 zeroes", allZero, NULL);
    ExFreePoolWithTag(zeroed, TAG('C', 'l', 'Z', 'r'));
    check("ExAllocatePool2 tag 0 fails", ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 0) == NULL, NULL);
    check("ExAllocatePool2 two kinds fail", ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, 64, 1) == NULL, NULL);

    /* Lookaside list with custom callbacks. */
    NTSTATUS status = ExInitializeLookasideListEx(&g_List, CustomAllocate, CustomFree, NonPagedPool, 0, 200,
                                                  TAG('C', 'l', 'L', 'x'), 0);
    check("ExInitializeLookasideListEx", status == STATUS_SUCCESS, NULL);
    check("depth starts at 4", g_List.L.Depth == 4 && g_List.L.MaximumDepth == 256, NULL);
    PVOID entries[10];
    for (int i = 0; i < 10; i++) entries[i] = ExAllocateFromLookasideListEx(&g_List);
    for (int i = 0; i < 10; i++) ExFreeToLookasideListEx(&g_List, entries[i]);
    check("misses call the allocate callback", g_CustomAllocs == 10, NULL);
    check("frees beyond depth call the free callback", g_CustomFrees == 6, NULL);
    PVOID again = ExAllocateFromLookasideListEx(&g_List);
    check("LIFO reuse", again == entries[3], NULL);
    ExFreeToLookasideListEx(&g_List, again);
    ExFlushLookasideListEx(&g_List);
    check("flush frees cached entries", g_CustomFrees == 10, NULL);
    check("flush publishes counters", g_List.L.TotalAllocates == 11 && g_List.L.AllocateMisses == 10 &&
                                          g_List.L.TotalFrees == 11 && g_List.L.FreeMisses == 6, NULL);

    check("bad depth", ExInitializeLookasideListEx(&g_List, NULL, NULL, NonPagedPool, 7, 8, 1, 100) ==
                           STATUS_INVALID_PARAMETER_8, NULL);

    ExInitializeNPagedLookasideList(&g_Legacy, NULL, NULL, 0, 64, TAG('C', 'l', 'N', 'p'), 0);
    PVOID legacy = ExAllocateFromNPagedLookasideList(&g_Legacy);
    check("legacy allocate", legacy != NULL, NULL);
    ExFreeToNPagedLookasideList(&g_Legacy, legacy);
    return STATUS_SUCCESS;
}

int main(void) {
    PDRIVER_OBJECT driver = NULL;
    NTSTATUS status = WdfHostLoadDriver("PoolClient", DriverEntry, &driver);
    check("load", status == STATUS_SUCCESS && driver != NULL, NULL);

    /* Quota: charged to the emulated process, given back on free; System never charged. */
    WdfHostSetCurrentProcess("client.exe", 1 << 20, 1 << 20);
    PVOID charged = ExAllocatePoolWithQuotaTag(NonPagedPool, 1000, TAG('C', 'l', 'Q', 't'));
    SIZE_T paged = 1, nonPaged = 0;
    WdfHostQueryProcessQuota("client.exe", &paged, &nonPaged);
    check("quota charged", paged == 0 && nonPaged == 1024, NULL);
    ExFreePool(charged);
    WdfHostQueryProcessQuota("client.exe", &paged, &nonPaged);
    check("quota returned", nonPaged == 0, NULL);
    check("quota exceeded returns NULL with the fail flag",
          ExAllocatePoolWithQuotaTag(NonPagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, 2 << 20, 1) == NULL, NULL);
    WdfHostSetCurrentProcess(NULL, 0, 0);

    status = WdfHostUnloadDriver(driver);
    check("unload", status == STATUS_SUCCESS && g_Unloaded, NULL);
    printf("summary: %d checks ok, %d failed\n", passes, failures);
    return failures;
}
