/*
 * Driver-style code written the way the WDK reference pages show it. check.sh compiles it as C11
 * and C++17 with warnings as errors (multi-character tag constants are the driver's business:
 * -Wno-multichar). Nothing here is run.
 */
#include <wdm.h>
#include <wdf.h>
#include <fltkernel.h>

/* A GUID defined in this translation unit: INITGUID after the headers, then wdm.h again. */
#define INITGUID
#include <wdm.h>
DEFINE_GUID(GUID_USAGE_SAMPLE, 0x6a1b3c2d, 0x4e5f, 0x4a6b, 0x8c, 0x9d, 0xae, 0xbf, 0xc0, 0xd1, 0xe2, 0xf3);

#define USAGE_TAG 'pmaS'

/* REFGUID is a pointer in C and a reference in C++, as in the WDK. */
#ifdef __cplusplus
#define USAGE_REFGUID(g) (g)
#else
#define USAGE_REFGUID(g) (&(g))
#endif

typedef struct _USAGE_ENTRY {
    ULONG Value;
    LIST_ENTRY Link;
    DECLSPEC_ALIGN(16) UCHAR Payload[32];
} USAGE_ENTRY, *PUSAGE_ENTRY;

typedef struct DECLSPEC_CACHEALIGN _USAGE_COUNTERS {
    LONG Hits;
} USAGE_COUNTERS;

C_ASSERT(sizeof(USAGE_COUNTERS) == 64);
C_ASSERT(FIELD_OFFSET(USAGE_ENTRY, Link) == 8);

static LOOKASIDE_LIST_EX UsageLookaside;
static NPAGED_LOOKASIDE_LIST UsageNPaged;
static PAGED_LOOKASIDE_LIST UsagePaged;

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD UsageUnload;
ALLOCATE_FUNCTION_EX UsageAllocateEx;
FREE_FUNCTION_EX UsageFreeEx;
ALLOCATE_FUNCTION UsageAllocate;
FREE_FUNCTION UsageFree;

_Use_decl_annotations_
PVOID UsageAllocateEx(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, PLOOKASIDE_LIST_EX Lookaside)
{
    UNREFERENCED_PARAMETER(Lookaside);
    return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

_Use_decl_annotations_
VOID UsageFreeEx(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside)
{
    ExFreePoolWithTag(Buffer, Lookaside->L.Tag);
}

_Use_decl_annotations_
PVOID UsageAllocate(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return ExAllocatePoolWithQuotaTag((POOL_TYPE)(PoolType | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE), NumberOfBytes, Tag);
}

_Use_decl_annotations_
VOID UsageFree(PVOID Buffer)
{
    ExFreePool(Buffer);
}

static ULONG UsageCountTags(void)
{
    ULONG needed = 0;
    NTSTATUS status = ZwQuerySystemInformation(SystemPoolTagInformation, NULL, 0, &needed);
    PSYSTEM_POOLTAG_INFORMATION info;
    ULONG count = 0;
    ULONG i;

    if (status != STATUS_INFO_LENGTH_MISMATCH) {
        return 0;
    }
    info = (PSYSTEM_POOLTAG_INFORMATION)ExAllocatePool2(POOL_FLAG_PAGED, needed, USAGE_TAG);
    if (info == NULL) {
        return 0;
    }
    if (NT_SUCCESS(ZwQuerySystemInformation(SystemPoolTagInformation, info, needed, &needed))) {
        for (i = 0; i < info->Count; i++) {
            if (info->TagInfo[i].TagUlong == USAGE_TAG && info->TagInfo[i].Tag[0] == 'S') {
                count += info->TagInfo[i].PagedAllocs - info->TagInfo[i].PagedFrees;
            }
        }
    }
    ExFreePoolWithTag(info, USAGE_TAG);
    return count;
}

_Use_decl_annotations_
VOID UsageUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    ExDeleteLookasideListEx(&UsageLookaside);
    ExDeleteNPagedLookasideList(&UsageNPaged);
    ExDeletePagedLookasideList(&UsagePaged);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    static WCHAR name[] = u"Usage";
    UNICODE_STRING local = RTL_CONSTANT_STRING(name);
    LIST_ENTRY head;
    SINGLE_LIST_ENTRY stack;
    PUSAGE_ENTRY entry;
    PLIST_ENTRY link;
    KIRQL oldIrql;
    NTSTATUS status;
    GUID copy = GUID_USAGE_SAMPLE;
    LARGE_INTEGER big;

    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = UsageUnload;
    big.QuadPart = 0;
    big.LowPart = local.Length;

    DbgPrint("usage: %u %u\n", (unsigned)local.Length, (unsigned)big.u.LowPart);
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "usage: entry\n");

    if (!IsEqualGUID(USAGE_REFGUID(copy), USAGE_REFGUID(GUID_USAGE_SAMPLE))
        || !InlineIsEqualGUID(USAGE_REFGUID(copy), USAGE_REFGUID(GUID_USAGE_SAMPLE))) {
        return STATUS_UNSUCCESSFUL;
    }

    status = ExInitializeLookasideListEx(&UsageLookaside, UsageAllocateEx, UsageFreeEx,
                                         NonPagedPoolNx, EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE,
                                         sizeof(USAGE_ENTRY), USAGE_TAG, 0);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    ExInitializeNPagedLookasideList(&UsageNPaged, UsageAllocate, UsageFree, 0, sizeof(USAGE_ENTRY), USAGE_TAG, 0);
    ExInitializePagedLookasideList(&UsagePaged, NULL, NULL, 0, sizeof(USAGE_ENTRY), USAGE_TAG, 0);

    InitializeListHead(&head);
    stack.Next = NULL;
    entry = (PUSAGE_ENTRY)ExAllocateFromLookasideListEx(&UsageLookaside);
    if (entry == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(entry, sizeof(*entry));
    RtlFillMemory(entry->Payload, sizeof(entry->Payload), 0xA5);
    if (RtlCompareMemory(entry->Payload, entry->Payload, sizeof(entry->Payload)) != sizeof(entry->Payload)
        || !RtlEqualMemory(entry->Payload, entry->Payload, 4)) {
        return STATUS_UNSUCCESSFUL;
    }
    RtlCopyMemory(entry->Payload, entry->Payload + 16, 16);
    RtlMoveMemory(entry->Payload + 1, entry->Payload, 8);
    InsertTailList(&head, &entry->Link);
    for (link = head.Flink; link != &head; link = link->Flink) {
        CONTAINING_RECORD(link, USAGE_ENTRY, Link)->Value++;
    }
    (void)RemoveHeadList(&head);
    if (!IsListEmpty(&head)) {
        return STATUS_UNSUCCESSFUL;
    }
    PushEntryList(&stack, (PSINGLE_LIST_ENTRY)entry->Payload);
    (void)PopEntryList(&stack);
    ExFreeToLookasideListEx(&UsageLookaside, entry);
    ExFlushLookasideListEx(&UsageLookaside);

    ExFreeToNPagedLookasideList(&UsageNPaged, ExAllocateFromNPagedLookasideList(&UsageNPaged));
    ExFreeToPagedLookasideList(&UsagePaged, ExAllocateFromPagedLookasideList(&UsagePaged));

    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    KeLowerIrql(oldIrql);
    oldIrql = KeRaiseIrqlToDpcLevel();
    KeLowerIrql(oldIrql);
    if (KeGetCurrentIrql() != PASSIVE_LEVEL) {
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, 0, KeGetCurrentIrql(), 0, 0);
    }
    if (ARGUMENT_PRESENT(RegistryPath) && RegistryPath->Length == 0) {
        ExRaiseStatus(STATUS_INVALID_PARAMETER);
    }
    PAGED_CODE();
    return UsageCountTags() == 0 ? STATUS_SUCCESS : STATUS_MORE_ENTRIES;
}
