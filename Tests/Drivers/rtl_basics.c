/*
 * rtl_basics.c - a driver-style file as written for the WDK: its own include lines, old and new
 * SAL, assertions, lists, SLISTs, counted strings, interlocked operations. Compiled unchanged as
 * C11 and C++17 by clang and gcc (-Wall -Werror) and run by scripts/ci/drivers.sh.
 */
// expect: lists: sum 28 depth 8
// expect: strings: \DEVICE\RTLB\0 4660 (24)
// expect: interlocked: 267 5 1
// expect: unload: 0x00000000
#include <ntifs.h>
#include <ntddk.h>
#include <wdm.h>
#include <ntstatus.h>
#include <suppress.h>
#include <dontuse.h>

#pragma warning(push)
#pragma warning(disable: 4201)
__pragma(warning(disable: 4127))

#define RTLB_TAG 'BltR'

typedef struct DECLSPEC_CACHEALIGN _RTLB_ITEM {
    SLIST_ENTRY SListEntry;
    LIST_ENTRY Link;
    ULONG Value;
} RTLB_ITEM, *PRTLB_ITEM;

C_ASSERT(FIELD_OFFSET(RTLB_ITEM, SListEntry) == 0);
C_ASSERT(sizeof(RTLB_ITEM) % SYSTEM_CACHE_ALIGNMENT_SIZE == 0);

static DECLSPEC_ALIGN(16) SLIST_HEADER g_FreeItems;
static LONG volatile g_Counter;

_Must_inspect_result_
_IRQL_requires_max_(DISPATCH_LEVEL)
_Success_(return != NULL)
static __drv_allocatesMem(Mem) PRTLB_ITEM
RtlbAllocate(__in ULONG Value)
{
    PRTLB_ITEM item = (PRTLB_ITEM)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(RTLB_ITEM), RTLB_TAG);
    if (item != NULL) {
        RtlZeroMemory(item, sizeof(*item));
        item->Value = Value;
    }
    return item;
}

_Use_decl_annotations_
static VOID RtlbLists(VOID)
{
    LIST_ENTRY head;
    ULONG i, sum = 0;
    InitializeListHead(&head);
    for (i = 0; i < 8; i++) {
        PRTLB_ITEM item = RtlbAllocate(i);
        NT_ASSERT(item != NULL);
        if (item == NULL) return;
        InsertTailList(&head, &item->Link);
    }
    while (!IsListEmpty(&head)) {
        PLIST_ENTRY entry = RemoveHeadList(&head);
        PRTLB_ITEM item = CONTAINING_RECORD(entry, RTLB_ITEM, Link);
        sum += item->Value;
        InterlockedPushEntrySList(&g_FreeItems, &item->SListEntry);
    }
    NT_VERIFY(sum == 28);
    ASSERTMSG("eight items in the SLIST", QueryDepthSList(&g_FreeItems) == 8);
    DbgPrint("lists: sum %u depth %u\n", sum, (unsigned)QueryDepthSList(&g_FreeItems));
    for (;;) {
        PSLIST_ENTRY entry = InterlockedPopEntrySList(&g_FreeItems);
        if (entry == NULL) break;
        ExFreePoolWithTag(CONTAINING_RECORD(entry, RTLB_ITEM, SListEntry), RTLB_TAG);
    }
    NT_ASSERT(QueryDepthSList(&g_FreeItems) == 0);
}

static VOID RtlbStrings(VOID)
{
    DECLARE_CONST_UNICODE_STRING(deviceName, L"\\Device\\Rtlb");
    UNICODE_STRING constant = RTL_CONSTANT_STRING(L"\\DEVICE\\RTLB");
    DECLARE_UNICODE_STRING_SIZE(copy, 64);
    UNICODE_STRING number;
    WCHAR numberBuffer[16];
    UNICODE_STRING upper;
    ANSI_STRING ansi;
    ULONG value = 0;
    NTSTATUS status;

    RtlCopyUnicodeString(&copy, &deviceName);
    NT_ASSERT(RtlEqualUnicodeString(&copy, &deviceName, FALSE));
    NT_ASSERT(!RtlEqualUnicodeString(&copy, &constant, FALSE));
    NT_ASSERT(RtlEqualUnicodeString(&copy, &constant, TRUE));
    NT_ASSERT(RtlCompareUnicodeString(&copy, &constant, FALSE) > 0);
    status = RtlAppendUnicodeToString(&copy, L"\\0");
    NT_ASSERT(NT_SUCCESS(status) && copy.Length == deviceName.Length + 4);

    RtlInitEmptyUnicodeString(&number, numberBuffer, sizeof(numberBuffer));
    status = RtlIntegerToUnicodeString(4660, 16, &number);
    NT_ASSERT(NT_SUCCESS(status));
    status = RtlUnicodeStringToInteger(&number, 16, &value);
    NT_ASSERT(NT_SUCCESS(status) && value == 4660);

    status = RtlUpcaseUnicodeString(&upper, &copy, TRUE);
    NT_ASSERT(NT_SUCCESS(status));
    status = RtlUnicodeStringToAnsiString(&ansi, &upper, TRUE);
    if (NT_SUCCESS(status)) {
        DbgPrint("strings: %.*s %u (%u)\n", (int)ansi.Length, ansi.Buffer, value, (unsigned)constant.Length);
        RtlFreeAnsiString(&ansi);
    }
    RtlFreeUnicodeString(&upper);
    UNREFERENCED_PARAMETER(status);
}

static VOID RtlbInterlocked(VOID)
{
    LONG64 volatile wide = 0;
    PVOID volatile pointer = NULL;
    LONG old;
    InterlockedIncrement(&g_Counter);
    old = InterlockedCompareExchange(&g_Counter, 10, 1);
    NT_ASSERT(old == 1 && g_Counter == 10);
    InterlockedExchangeAdd64(&wide, 5);
    NT_ASSERT(InterlockedOr(&g_Counter, 0x100) == 10);
    NT_ASSERT(InterlockedCompareExchangePointer(&pointer, (PVOID)&wide, NULL) == NULL);
    KeMemoryBarrier();
    NT_ASSERT(InterlockedBitTestAndSet(&g_Counter, 0) == FALSE && (g_Counter & 1));
    DbgPrint("interlocked: %d %lld %d\n", (int)g_Counter, (long long)wide, pointer == &wide);
    UNREFERENCED_PARAMETER(old);
}

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(DriverObject);
    PAGED_CODE();
    DbgPrint("entry: %u bytes of registry path\n", (unsigned)RegistryPath->Length);
    InitializeSListHead(&g_FreeItems);
    RtlbLists();
    RtlbStrings();
    RtlbInterlocked();
    return STATUS_SUCCESS;
}

#pragma warning(pop)

#include <wdfhost.h>

int main(int argc, char **argv)
{
    PDRIVER_OBJECT driver;
    NTSTATUS status;
    UNREFERENCED_PARAMETER(argv);
    status = WdfHostLoadDriver("Rtlb", DriverEntry, &driver);
    if (!NT_SUCCESS(status)) return 1;
    if (argc > 1) {
        ASSERTMSG("the failing assertion the test asks for", argc == 1);
    }
    status = WdfHostUnloadDriver(driver);
    DbgPrint("unload: 0x%08X\n", (unsigned)status);
    return NT_SUCCESS(status) ? 0 : 2;
}
