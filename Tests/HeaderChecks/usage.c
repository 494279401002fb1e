/*
 * Driver-style code written the way the WDK reference pages show it. check.sh compiles it as C11
 * and C++17 with warnings as errors (multi-character tag constants are the driver's business:
 * -Wno-multichar). Nothing here is run.
 */
#include <wdm.h>
#include <wdf.h>
#include <fltkernel.h>
#include <wdfhost.h>

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

/* ============================================================================================
 * KMDF: the object model, a driver, a device, requests, memory and lookaside objects.
 * No casts between handle types: a specific handle converts to WDFOBJECT implicitly in C and C++.
 * ============================================================================================ */

#define MY_POOL_TAG 'kooL'
#define WRITE_BUFFER_SIZE 512

typedef struct _MY_LOOKASIDE_BUFFER {
    UCHAR Data[96];
} MY_LOOKASIDE_BUFFER;

/* The WdfMemoryCreateFromLookaside page's context, declared the usual way (no semicolon). */
typedef struct _DRIVER_CONTEXT {
    WDFLOOKASIDE LookasideListHandle;
} DRIVER_CONTEXT, *PDRIVER_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DRIVER_CONTEXT, GetDriverContext)

typedef struct _DEVICE_CONTEXT {
    WDFMEMORY Scratch;
    ULONG Opens;
} DEVICE_CONTEXT, *PDEVICE_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE(DEVICE_CONTEXT)

typedef struct _REQUEST_CONTEXT {
    WDFMEMORY_OFFSET Range;
} REQUEST_CONTEXT, *PREQUEST_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(REQUEST_CONTEXT, GetRequestContext)

EVT_WDF_DRIVER_DEVICE_ADD KmdfEvtDeviceAdd;
EVT_WDF_DRIVER_UNLOAD KmdfEvtDriverUnload;
EVT_WDF_OBJECT_CONTEXT_CLEANUP KmdfEvtCleanup;
EVT_WDF_OBJECT_CONTEXT_DESTROY KmdfEvtDestroy;
DRIVER_INITIALIZE KmdfDriverEntry;

_Use_decl_annotations_
VOID KmdfEvtCleanup(WDFOBJECT Object)
{
    UNREFERENCED_PARAMETER(Object);
}

_Use_decl_annotations_
VOID KmdfEvtDestroy(WDFOBJECT Object)
{
    PVOID context = WdfObjectGetTypedContext(Object, REQUEST_CONTEXT);
    UNREFERENCED_PARAMETER(context);
}

_Use_decl_annotations_
VOID KmdfEvtDriverUnload(WDFDRIVER Driver)
{
    PDRIVER_CONTEXT driverContext = GetDriverContext(Driver);
    if (driverContext->LookasideListHandle != NULL) {
        WdfObjectDelete(driverContext->LookasideListHandle);
    }
}

/* The WdfMemoryCreate page's example, verbatim in a function. */
static NTSTATUS KmdfWriteBuffer(WDFREQUEST requestHandle)
{
    NTSTATUS  status;
    WDF_OBJECT_ATTRIBUTES  attributes;
    WDFMEMORY  writeBufferMemHandle;
    PVOID  writeBufferPointer;

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = requestHandle;
    status = WdfMemoryCreate(
                             &attributes,
                             NonPagedPool,
                             0,
                             WRITE_BUFFER_SIZE,
                             &writeBufferMemHandle,
                             &writeBufferPointer
                             );

    if (NT_SUCCESS(status)) {
        RtlZeroMemory(writeBufferPointer, WRITE_BUFFER_SIZE);
        WdfObjectDelete(writeBufferMemHandle);
    }
    return status;
}

/* The WdfMemoryCreateFromLookaside page's example, verbatim in a function ("..." filled in). */
static NTSTATUS KmdfLookaside(WDFDRIVER driver)
{
    NTSTATUS status;
PDRIVER_CONTEXT  driverContext;
WDFMEMORY  memHandle;

driverContext = GetDriverContext(driver);

status = WdfLookasideListCreate(
                                WDF_NO_OBJECT_ATTRIBUTES,
                                sizeof(MY_LOOKASIDE_BUFFER),
                                NonPagedPool,
                                WDF_NO_OBJECT_ATTRIBUTES,
                                MY_POOL_TAG,
                                &driverContext->LookasideListHandle
                                );
    if (!NT_SUCCESS(status)) {
        return status;
    }
status = WdfMemoryCreateFromLookaside(
                                      driverContext->LookasideListHandle,
                                      &memHandle
                                      );
    if (NT_SUCCESS(status)) {
        WdfObjectDelete(memHandle);
    }
    return status;
}

/* Memory routines around a request; the request is the parent of everything made here. */
static int KmdfReferenceTag;

static NTSTATUS KmdfRequestWork(WDFDEVICE device)
{
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_OBJECT_ATTRIBUTES memoryAttributes;
    WDFREQUEST request;
    WDFMEMORY memory;
    WDFMEMORY preallocated;
    WDFLOOKASIDE lookaside = NULL;
    WDFOBJECT object = WDF_NO_HANDLE;
    PREQUEST_CONTEXT requestContext;
    PVOID context = WDF_NO_CONTEXT;
    PVOID buffer;
    size_t size = 0;
    static UCHAR local[64];
    UCHAR copy[16];
    NTSTATUS status;

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, REQUEST_CONTEXT);
    attributes.ParentObject = device;
    attributes.EvtCleanupCallback = KmdfEvtCleanup;
    attributes.EvtDestroyCallback = KmdfEvtDestroy;
    status = WdfRequestCreate(&attributes, WDF_NO_HANDLE, &request);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    requestContext = GetRequestContext(request);
    requestContext->Range.BufferOffset = 0;
    requestContext->Range.BufferLength = sizeof(local);
    if (WdfObjectContextGetObject(requestContext) != request) {
        return STATUS_UNSUCCESSFUL;
    }
    (void)KmdfWriteBuffer(request);

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = request;
    attributes.ExecutionLevel = WdfExecutionLevelInheritFromParent;
    attributes.SynchronizationScope = WdfSynchronizationScopeNone;
    status = WdfMemoryCreate(&attributes, PagedPool, MY_POOL_TAG, 100, &memory, NULL);
    if (NT_SUCCESS(status)) {
        buffer = WdfMemoryGetBuffer(memory, &size);
        RtlFillMemory(buffer, size, 0x5A);
        status = WdfMemoryCopyToBuffer(memory, 4, copy, sizeof(copy));
        if (NT_SUCCESS(status)) {
            status = WdfMemoryCopyFromBuffer(memory, 0, copy, sizeof(copy));
        }
        (void)WdfMemoryGetBuffer(memory, NULL);
        WdfObjectReferenceWithTag(memory, &KmdfReferenceTag);
        WdfObjectDereferenceWithTag(memory, &KmdfReferenceTag);
        WdfObjectDelete(memory);
    }

    status = WdfMemoryCreatePreallocated(WDF_NO_OBJECT_ATTRIBUTES, local, sizeof(local), &preallocated);
    if (NT_SUCCESS(status)) {
        status = WdfMemoryAssignBuffer(preallocated, local + 32, 32);
        WdfObjectDelete(preallocated);
    }

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = request;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&memoryAttributes, DEVICE_CONTEXT);
    memoryAttributes.ParentObject = request;
    memoryAttributes.ContextSizeOverride = sizeof(DEVICE_CONTEXT) + 16;
    status = WdfLookasideListCreate(&attributes, 256, NonPagedPoolNx, &memoryAttributes, 0, &lookaside);
    if (NT_SUCCESS(status)) {
        status = WdfMemoryCreateFromLookaside(lookaside, &memory);
        if (NT_SUCCESS(status)) {
            WdfObjectGet_DEVICE_CONTEXT(memory)->Opens++;
            WdfObjectDelete(memory);
        }
    }

    /* A generic object with a context added after creation. */
    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = request;
    status = WdfObjectCreate(&attributes, &object);
    if (NT_SUCCESS(status)) {
        WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
        WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE(&attributes, REQUEST_CONTEXT);
        status = WdfObjectAllocateContext(object, &attributes, &context);
        if (NT_SUCCESS(status) && context != WdfObjectGetTypedContextWorker(object, WDF_GET_CONTEXT_TYPE_INFO(REQUEST_CONTEXT))) {
            status = STATUS_UNSUCCESSFUL;
        }
        WdfObjectReference(object);
        WdfObjectDereference(object);
        WdfObjectDelete(object);
    }

    WdfObjectDelete(request);
    return status;
}

_Use_decl_annotations_
NTSTATUS KmdfEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_OBJECT_ATTRIBUTES attributes;
    WDFDEVICE device;
    PDEVICE_CONTEXT deviceContext;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Driver);
    PAGED_CODE();

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, DEVICE_CONTEXT);
    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    deviceContext = WdfObjectGet_DEVICE_CONTEXT(device);
    deviceContext->Opens = 0;
    status = WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, MY_POOL_TAG, PAGE_SIZE,
                             &deviceContext->Scratch, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    return KmdfRequestWork(device);
}

_Use_decl_annotations_
NTSTATUS KmdfDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDFDRIVER driver;
    NTSTATUS status;

    WDF_DRIVER_CONFIG_INIT(&config, KmdfEvtDeviceAdd);
    config.EvtDriverUnload = KmdfEvtDriverUnload;
    config.DriverPoolTag = MY_POOL_TAG;
    config.DriverInitFlags |= WdfVerifierOn;

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, DRIVER_CONTEXT);
    status = WdfDriverCreate(DriverObject, RegistryPath, &attributes, &config, &driver);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (WdfGetDriver() != driver) {
        return STATUS_UNSUCCESSFUL;
    }
    return KmdfLookaside(driver);
}

/* The host side: load the driver, add a device (PnP), unload. */
static NTSTATUS KmdfHost(void)
{
    PDRIVER_OBJECT driverObject;
    WDFDEVICE device;
    NTSTATUS status = WdfHostLoadDriver("Kmdf", KmdfDriverEntry, &driverObject);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = WdfHostAddDevice(driverObject, &device);
    if (NT_SUCCESS(status)) {
        WdfObjectDelete(device); /* refused with a verifier message: devices go with the driver */
    }
    return WdfHostUnloadDriver(driverObject);
}

/* Keeps the static helpers referenced. */
NTSTATUS (*KmdfUsageHost)(void) = KmdfHost;
