/*
 * SampleDriver.c - a sample KMDF driver that exercises the executive pool, executive lookaside
 * lists and the framework's memory objects.
 *
 * DriverEntry initializes three executive lookaside lists in the driver's globals, one of each
 * structure type, and creates the framework driver object (WdfDriverCreate) with a driver context
 * that holds its framework handles. EvtDriverDeviceAdd, called when PnP (here: the host's
 * WdfHostAddDevice) reports the device, creates the device object and two lookaside-list objects
 * parented to it: 512-byte command blocks and 4 KB bounce buffers. EvtDriverUnload deletes the
 * executive lists; the framework then deletes the driver object, the device, and the lists.
 *
 * SampleDriverRunWorker plays the driver's traffic: it allocates and frees entries from the
 * executive lists and pool blocks under several tags, and starts and completes framework
 * requests, each with a command block and a data buffer as memory objects. Now and then it runs
 * a burst of non-paged work at DISPATCH_LEVEL, as a DPC would.
 */
#include <wdm.h>
#include <wdf.h>
#include <wdfhost.h>
#include <fltkernel.h>

#include "SampleDriver.h"

/*
 * A pool tag from its visible characters: the first character is the lowest byte, so
 * SAMPLE_TAG('S', 'm', 'R', 'q') is the tag shown as "SmRq" (the C literal 'qRmS', written this
 * way to stay free of multi-character constants).
 */
#define SAMPLE_TAG(a, b, c, d) \
    ((ULONG)(UCHAR)(a) | ((ULONG)(UCHAR)(b) << 8) | ((ULONG)(UCHAR)(c) << 16) | ((ULONG)(UCHAR)(d) << 24))

/* Executive pool and lookaside lists. */
#define SAMPLE_TAG_REQUEST SAMPLE_TAG('S', 'm', 'R', 'q') /* request contexts (LOOKASIDE_LIST_EX) */
#define SAMPLE_TAG_IO SAMPLE_TAG('S', 'm', 'I', 'o')      /* I/O descriptors (NPAGED_LOOKASIDE_LIST) */
#define SAMPLE_TAG_CONFIG SAMPLE_TAG('S', 'm', 'C', 'f')  /* configuration records (PAGED_LOOKASIDE_LIST) */
#define SAMPLE_TAG_BUFFER SAMPLE_TAG('S', 'm', 'B', 'f')  /* data buffers, non-paged, 32..8192 bytes */
#define SAMPLE_TAG_PAGED SAMPLE_TAG('S', 'm', 'P', 'g')   /* paged work areas */
#define SAMPLE_TAG_STRING SAMPLE_TAG('S', 'm', 'S', 't')  /* small strings, non-paged */

/* Framework objects. */
#define SAMPLE_TAG_DRIVER SAMPLE_TAG('S', 'm', 'D', 'r')  /* DriverPoolTag: the framework's allocations for the
                                                             driver, such as object contexts */
#define SAMPLE_TAG_COMMAND SAMPLE_TAG('S', 'm', 'W', 'b') /* command blocks (WDFLOOKASIDE, 512 bytes) */
#define SAMPLE_TAG_BOUNCE SAMPLE_TAG('S', 'm', 'L', 'b')  /* bounce buffers (WDFLOOKASIDE, 4096 bytes) */
#define SAMPLE_TAG_TRANSFER SAMPLE_TAG('S', 'm', 'W', 'd') /* transfer buffers over 4 KB (WdfMemoryCreate) */
#define SAMPLE_TAG_ECP SAMPLE_TAG('S', 'm', 'E', 'c')      /* extra create parameters (ECP lookaside list) */

/*
 * The minifilter part: before sending a create down, the filter attaches an extra create
 * parameter saying who opens the file; the filter (or file system) below finds it,
 * acknowledges it, and reads it. Most ECPs fit the filter's ECP lookaside list; a few carry a
 * long path and come from pool.
 */
typedef struct _SAMPLE_OPEN_ECP {
    ULONG ProcessId;
    ULONG Flags;
    WCHAR ShortName[24];
} SAMPLE_OPEN_ECP, *PSAMPLE_OPEN_ECP;

/* {5AE1C9D4-7F0B-4C8A-9E21-3B6D0F4A8C11} */
static const GUID SAMPLE_ECP_OPEN = {0x5ae1c9d4, 0x7f0b, 0x4c8a, {0x9e, 0x21, 0x3b, 0x6d, 0x0f, 0x4a, 0x8c, 0x11}};
/* {C3A0E7F2-1B44-4D1E-8A5C-77E2B9D0F6A3} */
static const GUID SAMPLE_ECP_LONG_PATH = {0xc3a0e7f2, 0x1b44, 0x4d1e, {0x8a, 0x5c, 0x77, 0xe2, 0xb9, 0xd0, 0xf6, 0xa3}};

#define SAMPLE_REQUEST_SIZE 256
#define SAMPLE_IO_SIZE 128
#define SAMPLE_CONFIG_SIZE 512

/* Buffer sizes of the lookaside-list objects. */
#define SAMPLE_COMMAND_SIZE 512
#define SAMPLE_BOUNCE_SIZE PAGE_SIZE

/* Most entries, blocks and requests one worker holds at a time. */
#define SAMPLE_WORKING_SET 64

/* Non-paged operations in one burst at DISPATCH_LEVEL. */
#define SAMPLE_DPC_BURST 4

/* Bytes of each new entry or buffer the worker writes, as a driver filling in a header would. */
#define SAMPLE_TOUCH_BYTES 64

/* The driver's globals: its executive lookaside lists (which need storage of their own) and its
   framework driver object. Written at load and unload, read by the workers in between. */
typedef struct _SAMPLE_GLOBALS {
    LOOKASIDE_LIST_EX RequestList;
    NPAGED_LOOKASIDE_LIST IoList;
    PAGED_LOOKASIDE_LIST ConfigList;
    WDFDRIVER Driver;
    BOOLEAN Loaded;
    PFLT_FILTER Filter;
    NPAGED_LOOKASIDE_LIST EcpList;
} SAMPLE_GLOBALS;

static SAMPLE_GLOBALS SampleGlobals;

/*
 * The driver object's context: the framework handles the driver keeps. The device and its
 * lookaside-list objects are set by EvtDriverDeviceAdd (this driver handles one device).
 */
typedef struct _SAMPLE_DRIVER_CONTEXT {
    WDFDEVICE Device;
    WDFLOOKASIDE CommandLookaside; /* SAMPLE_COMMAND_SIZE, non-paged, SAMPLE_TAG_COMMAND */
    WDFLOOKASIDE BounceLookaside;  /* SAMPLE_BOUNCE_SIZE, non-paged, SAMPLE_TAG_BOUNCE */
} SAMPLE_DRIVER_CONTEXT, *PSAMPLE_DRIVER_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(SAMPLE_DRIVER_CONTEXT, SampleGetDriverContext)

/*
 * What the driver keeps with a request in flight (the request object's context). On real
 * hardware the command block would be handed to the device and the transfer buffer would be
 * where the device reads or writes the data.
 */
typedef struct _SAMPLE_REQUEST_CONTEXT {
    ULONG Sequence;
    /* From CommandLookaside. Its parent is the device (the list's memory attributes), so it does
       not go with the request: the request's cleanup callback deletes it. */
    WDFMEMORY Command;
    /* The data buffer: from BounceLookaside (parent: the device; deleted by the cleanup
       callback, or at completion) when the transfer fits in a page, otherwise from
       WdfMemoryCreate with the request as its parent (deleted with the request, or at
       completion). NULL once deleted. */
    WDFMEMORY Transfer;
    BOOLEAN TransferFromLookaside;
} SAMPLE_REQUEST_CONTEXT, *PSAMPLE_REQUEST_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(SAMPLE_REQUEST_CONTEXT, SampleGetRequestContext)

/* The command block's layout, the start of each SAMPLE_COMMAND_SIZE buffer. */
typedef struct _SAMPLE_COMMAND {
    ULONG Sequence;
    ULONG Opcode;
    ULONG64 TransferLength;
} SAMPLE_COMMAND;

C_ASSERT(sizeof(SAMPLE_COMMAND) <= SAMPLE_COMMAND_SIZE);

/* What a worker holds: where each item came from decides how it is freed. */
typedef enum _SAMPLE_ITEM_KIND {
    SampleRequest,     /* RequestList */
    SampleIo,          /* IoList */
    SampleConfig,      /* ConfigList (paged) */
    SampleBuffer,      /* ExAllocatePoolWithTag, NonPagedPoolNx, SAMPLE_TAG_BUFFER */
    SamplePaged,       /* ExAllocatePool2, POOL_FLAG_PAGED, SAMPLE_TAG_PAGED */
    SampleString,      /* ExAllocatePool2, POOL_FLAG_NON_PAGED, SAMPLE_TAG_STRING */
    SampleWdfRequest,  /* a WDFREQUEST in flight with its memory objects (all non-paged) */
    SampleKindCount
} SAMPLE_ITEM_KIND;

typedef struct _SAMPLE_ITEM {
    SAMPLE_ITEM_KIND Kind;
    PVOID Address;      /* every kind but SampleWdfRequest */
    WDFREQUEST Request; /* SampleWdfRequest */
} SAMPLE_ITEM;

/* One worker's state: its random sequence, what it holds, and how much it allocated. */
typedef struct _SAMPLE_WORKER {
    ULONG Random;
    ULONG Count;
    ULONG Sequence;
    ULONG64 Allocations;
    /* The driver's framework handles; Device is NULL when no device has been added. */
    PSAMPLE_DRIVER_CONTEXT Framework;
    /* Where completed reads are copied to: the caller's buffer, as far as this sample goes. */
    UCHAR CallerBuffer[SAMPLE_TOUCH_BYTES];
    SAMPLE_ITEM Items[SAMPLE_WORKING_SET];
} SAMPLE_WORKER;

static EVT_WDF_DRIVER_DEVICE_ADD SampleEvtDeviceAdd;
static EVT_WDF_DRIVER_UNLOAD SampleEvtDriverUnload;
static EVT_WDF_OBJECT_CONTEXT_CLEANUP SampleEvtRequestCleanup;

static VOID SampleDeleteExecutiveLists(VOID)
{
    ExDeleteLookasideListEx(&SampleGlobals.RequestList);
    ExDeleteNPagedLookasideList(&SampleGlobals.IoList);
    ExDeletePagedLookasideList(&SampleGlobals.ConfigList);
}

static NTSTATUS SampleFilterUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    FltUnregisterFilter(SampleGlobals.Filter);
    return STATUS_SUCCESS;
}

static const FLT_REGISTRATION SampleFilterRegistration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0, NULL, NULL, SampleFilterUnload,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};

static VOID SampleEcpCleanup(PVOID EcpContext, LPCGUID EcpType)
{
    /* A real filter would release what the context references; nothing here. */
    UNREFERENCED_PARAMETER(EcpContext);
    UNREFERENCED_PARAMETER(EcpType);
}

/*
 * One create that carries ECPs: the sender allocates an ECP list and its ECPs and inserts them;
 * the receiver finds its ECP, acknowledges it and walks the list; then the list is freed with
 * its ECPs (each cleanup runs once). At PASSIVE_LEVEL, as creates are.
 */
static VOID SampleSendCreateWithEcps(ULONG Random)
{
    PECP_LIST ecpList;
    PSAMPLE_OPEN_ECP open;
    PVOID longPath = NULL;
    ULONG size;

    if (!NT_SUCCESS(FltAllocateExtraCreateParameterList(SampleGlobals.Filter, 0, &ecpList))) {
        return;
    }
    if (NT_SUCCESS(FltAllocateExtraCreateParameterFromLookasideList(
            SampleGlobals.Filter, &SAMPLE_ECP_OPEN, sizeof(SAMPLE_OPEN_ECP), 0, SampleEcpCleanup,
            &SampleGlobals.EcpList, (PVOID *)&open))) {
        open->ProcessId = Random;
        open->Flags = 0;
        if (!NT_SUCCESS(FltInsertExtraCreateParameter(SampleGlobals.Filter, ecpList, open))) {
            FltFreeExtraCreateParameter(SampleGlobals.Filter, open);
        }
    }
    if (Random % 8 == 0 &&
        NT_SUCCESS(FltAllocateExtraCreateParameterFromLookasideList(
            SampleGlobals.Filter, &SAMPLE_ECP_LONG_PATH, 1024 + Random % 2048, FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL,
            SampleEcpCleanup, &SampleGlobals.EcpList, &longPath))) {
        RtlZeroMemory(longPath, 64);
        if (!NT_SUCCESS(FltInsertExtraCreateParameter(SampleGlobals.Filter, ecpList, longPath))) {
            FltFreeExtraCreateParameter(SampleGlobals.Filter, longPath);
        }
    }

    /* The receiving side. */
    PVOID found;
    if (NT_SUCCESS(FltFindExtraCreateParameter(SampleGlobals.Filter, ecpList, &SAMPLE_ECP_OPEN, &found, &size)) &&
        !FltIsEcpAcknowledged(SampleGlobals.Filter, found)) {
        FltAcknowledgeEcp(SampleGlobals.Filter, found);
    }
    PVOID current = NULL;
    GUID type;
    while (NT_SUCCESS(FltGetNextExtraCreateParameter(SampleGlobals.Filter, ecpList, current, &type, &current, &size))) {
    }
    FltFreeExtraCreateParameterList(SampleGlobals.Filter, ecpList);
}

NTSTATUS SampleDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDFDRIVER driver;
    NTSTATUS status;

    status = ExInitializeLookasideListEx(&SampleGlobals.RequestList, NULL, NULL, NonPagedPoolNx, 0,
                                         SAMPLE_REQUEST_SIZE, SAMPLE_TAG_REQUEST, 0);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    ExInitializeNPagedLookasideList(&SampleGlobals.IoList, NULL, NULL, POOL_NX_ALLOCATION, SAMPLE_IO_SIZE,
                                    SAMPLE_TAG_IO, 0);
    ExInitializePagedLookasideList(&SampleGlobals.ConfigList, NULL, NULL, 0, SAMPLE_CONFIG_SIZE,
                                   SAMPLE_TAG_CONFIG, 0);

    /*
     * The framework driver object, created last: if it fails, only the executive lists have to
     * be undone here; once it exists, the framework calls EvtDriverUnload at unload (a KMDF
     * driver leaves DriverObject->DriverUnload to the framework).
     */
    WDF_DRIVER_CONFIG_INIT(&config, SampleEvtDeviceAdd);
    config.EvtDriverUnload = SampleEvtDriverUnload;
    config.DriverPoolTag = SAMPLE_TAG_DRIVER;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, SAMPLE_DRIVER_CONTEXT);
    status = WdfDriverCreate(DriverObject, RegistryPath, &attributes, &config, &driver);
    if (!NT_SUCCESS(status)) {
        SampleDeleteExecutiveLists();
        return status;
    }
    SampleGlobals.Driver = driver;

    /* The minifilter, registered after the framework driver so that at unload EvtDriverUnload
       (which deletes the ECP lookaside list) runs before the filter's unload callback. */
    status = FltRegisterFilter(DriverObject, &SampleFilterRegistration, &SampleGlobals.Filter);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    FltInitExtraCreateParameterLookasideList(SampleGlobals.Filter, &SampleGlobals.EcpList,
                                             FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL, sizeof(SAMPLE_OPEN_ECP),
                                             SAMPLE_TAG_ECP);
    status = FltStartFiltering(SampleGlobals.Filter);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    SampleGlobals.Loaded = TRUE;
    return STATUS_SUCCESS;
}

/*
 * PnP found the device: create the device object and, as its children, the lookaside-list
 * objects its requests take buffers from. The memory objects taken from the lists are parented
 * to the device too (the lists' memory attributes), so nothing the device uses outlives it.
 * On failure the framework deletes the device, and with it whatever was created here.
 */
static NTSTATUS SampleEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    PSAMPLE_DRIVER_CONTEXT context = SampleGetDriverContext(Driver);
    WDF_OBJECT_ATTRIBUTES listAttributes;
    WDF_OBJECT_ATTRIBUTES memoryAttributes;
    WDFDEVICE device;
    WDFLOOKASIDE commandLookaside;
    WDFLOOKASIDE bounceLookaside;
    NTSTATUS status;

    PAGED_CODE();

    status = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(status)) {
        return status;
    }

    WDF_OBJECT_ATTRIBUTES_INIT(&listAttributes);
    listAttributes.ParentObject = device;
    WDF_OBJECT_ATTRIBUTES_INIT(&memoryAttributes);
    memoryAttributes.ParentObject = device;

    status = WdfLookasideListCreate(&listAttributes, SAMPLE_COMMAND_SIZE, NonPagedPoolNx, &memoryAttributes,
                                    SAMPLE_TAG_COMMAND, &commandLookaside);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = WdfLookasideListCreate(&listAttributes, SAMPLE_BOUNCE_SIZE, NonPagedPoolNx, &memoryAttributes,
                                    SAMPLE_TAG_BOUNCE, &bounceLookaside);
    if (!NT_SUCCESS(status)) {
        return status;
    }

    context->Device = device;
    context->CommandLookaside = commandLookaside;
    context->BounceLookaside = bounceLookaside;
    return STATUS_SUCCESS;
}

/*
 * The driver is unloading: every worker has returned. Delete the executive lists; the framework
 * deletes the driver object after this returns, and with it the device, the lookaside-list
 * objects and the contexts.
 */
static VOID SampleEvtDriverUnload(WDFDRIVER Driver)
{
    PSAMPLE_DRIVER_CONTEXT context = SampleGetDriverContext(Driver);

    PAGED_CODE();

    SampleGlobals.Loaded = FALSE;
    SampleGlobals.Driver = NULL;
    context->Device = NULL;
    context->CommandLookaside = NULL;
    context->BounceLookaside = NULL;
    SampleDeleteExecutiveLists();
    FltDeleteExtraCreateParameterLookasideList(SampleGlobals.Filter, &SampleGlobals.EcpList,
                                               FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL);
}

/*
 * A request is being deleted; its children (a transfer buffer from WdfMemoryCreate) have already
 * been deleted with it. Give the memory objects from the lookaside lists, whose parent is the
 * device, back to their lists.
 */
static VOID SampleEvtRequestCleanup(WDFOBJECT Request)
{
    PSAMPLE_REQUEST_CONTEXT context = SampleGetRequestContext(Request);

    if (context->TransferFromLookaside && context->Transfer != NULL) {
        WdfObjectDelete(context->Transfer);
    }
    context->Transfer = NULL;
    if (context->Command != NULL) {
        WdfObjectDelete(context->Command);
        context->Command = NULL;
    }
}

/* xorshift32: the worker's random numbers. The state is never zero. */
static ULONG SampleRandom(SAMPLE_WORKER *Worker)
{
    ULONG x = Worker->Random;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    Worker->Random = x;
    return x;
}

/* A uniformly chosen value in Low..High. */
static ULONG SampleRandomBetween(SAMPLE_WORKER *Worker, ULONG Low, ULONG High)
{
    return Low + SampleRandom(Worker) % (High - Low + 1);
}

static BOOLEAN SampleKindIsPaged(SAMPLE_ITEM_KIND Kind)
{
    return Kind == SampleConfig || Kind == SamplePaged;
}

/* A data buffer size: a power of two from 32 to 4096 plus up to as much again (at most 8192). */
static SIZE_T SampleBufferSize(SAMPLE_WORKER *Worker)
{
    ULONG base = 32U << SampleRandomBetween(Worker, 0, 7);
    return base + SampleRandom(Worker) % (base + 1);
}

/* A transfer length: 256..8192 bytes, four in five of them at most a page. */
static SIZE_T SampleTransferLength(SAMPLE_WORKER *Worker)
{
    ULONG base = 512U << SampleRandomBetween(Worker, 0, 4);
    return base / 2 + SampleRandom(Worker) % (base / 2 + 1);
}

/*
 * Starts a request, as a dispatch routine would for a read: a request object (a child of the
 * device) with a command block and a data buffer, both filled in for the device. Returns NULL,
 * with nothing left behind, when the framework has nothing to give.
 */
static WDFREQUEST SampleStartRequest(SAMPLE_WORKER *Worker)
{
    PSAMPLE_DRIVER_CONTEXT framework = Worker->Framework;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDFREQUEST request;
    PSAMPLE_REQUEST_CONTEXT context;
    SAMPLE_COMMAND command;
    SIZE_T length = SampleTransferLength(Worker);
    SIZE_T bufferSize;
    PVOID buffer;
    NTSTATUS status;

    if (framework->Device == NULL) {
        return NULL;
    }

    /* The request, with its context (zero-filled) and the cleanup callback that returns its
       lookaside buffers. Deleting the device would delete it too. */
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, SAMPLE_REQUEST_CONTEXT);
    attributes.ParentObject = framework->Device;
    attributes.EvtCleanupCallback = SampleEvtRequestCleanup;
    status = WdfRequestCreate(&attributes, WDF_NO_HANDLE, &request);
    if (!NT_SUCCESS(status)) {
        return NULL;
    }
    Worker->Allocations++;
    context = SampleGetRequestContext(request);
    context->Sequence = ++Worker->Sequence;

    /* The command block: a fixed-size buffer, so it comes from a lookaside list. */
    status = WdfMemoryCreateFromLookaside(framework->CommandLookaside, &context->Command);
    if (!NT_SUCCESS(status)) {
        WdfObjectDelete(request);
        return NULL;
    }
    Worker->Allocations++;

    /* The data buffer: a bounce buffer from the list when the transfer fits in a page, else a
       buffer of its own that goes away with the request. */
    if (length <= SAMPLE_BOUNCE_SIZE) {
        status = WdfMemoryCreateFromLookaside(framework->BounceLookaside, &context->Transfer);
        context->TransferFromLookaside = NT_SUCCESS(status);
    } else {
        WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
        attributes.ParentObject = request;
        status = WdfMemoryCreate(&attributes, NonPagedPoolNx, SAMPLE_TAG_TRANSFER, length, &context->Transfer, NULL);
    }
    if (!NT_SUCCESS(status)) {
        context->Transfer = NULL;
        WdfObjectDelete(request); /* the cleanup callback returns the command block */
        return NULL;
    }
    Worker->Allocations++;

    /* Fill in the command block, and the start of the buffer (a header the device expects). */
    buffer = WdfMemoryGetBuffer(context->Transfer, &bufferSize);
    RtlFillMemory(buffer, bufferSize < SAMPLE_TOUCH_BYTES ? bufferSize : SAMPLE_TOUCH_BYTES,
                  (UCHAR)context->Sequence);
    RtlZeroMemory(&command, sizeof(command));
    command.Sequence = context->Sequence;
    command.Opcode = 1; /* read */
    command.TransferLength = length;
    status = WdfMemoryCopyFromBuffer(context->Command, 0, &command, sizeof(command));
    if (!NT_SUCCESS(status)) {
        WdfObjectDelete(request);
        return NULL;
    }
    return request;
}

/*
 * Completes a request, as the completion path of a read would: reads the command block back,
 * copies the data to the caller, and deletes the request. Half the time the data buffer is
 * released first, on its own (WdfObjectDelete); otherwise it goes with the request (a child of
 * the request) or in its cleanup callback (a bounce buffer, whose parent is the device).
 */
static VOID SampleCompleteRequest(SAMPLE_WORKER *Worker, WDFREQUEST Request)
{
    PSAMPLE_REQUEST_CONTEXT context = SampleGetRequestContext(Request);
    SAMPLE_COMMAND command;
    SIZE_T count;

    if (NT_SUCCESS(WdfMemoryCopyToBuffer(context->Command, 0, &command, sizeof(command)))) {
        count = command.TransferLength < sizeof(Worker->CallerBuffer) ? (SIZE_T)command.TransferLength
                                                                      : sizeof(Worker->CallerBuffer);
        if (count > 0) {
            (VOID) WdfMemoryCopyToBuffer(context->Transfer, 0, Worker->CallerBuffer, count);
        }
    }
    if (SampleRandom(Worker) % 2 == 0) {
        WdfObjectDelete(context->Transfer);
        context->Transfer = NULL;
    }
    WdfObjectDelete(Request);
}

/* Allocates one item of Kind into *Item; FALSE when the pool, list or framework has nothing to give. */
static BOOLEAN SampleAllocate(SAMPLE_WORKER *Worker, SAMPLE_ITEM_KIND Kind, SAMPLE_ITEM *Item)
{
    SIZE_T size;
    PVOID address;

    Item->Kind = Kind;
    Item->Address = NULL;
    Item->Request = NULL;

    switch (Kind) {
    case SampleWdfRequest:
        Item->Request = SampleStartRequest(Worker);
        return Item->Request != NULL;
    case SampleRequest:
        size = SAMPLE_REQUEST_SIZE;
        address = ExAllocateFromLookasideListEx(&SampleGlobals.RequestList);
        break;
    case SampleIo:
        size = SAMPLE_IO_SIZE;
        address = ExAllocateFromNPagedLookasideList(&SampleGlobals.IoList);
        break;
    case SampleConfig:
        size = SAMPLE_CONFIG_SIZE;
        address = ExAllocateFromPagedLookasideList(&SampleGlobals.ConfigList);
        break;
    case SampleBuffer:
        size = SampleBufferSize(Worker);
        address = ExAllocatePoolWithTag(NonPagedPoolNx, size, SAMPLE_TAG_BUFFER);
        break;
    case SamplePaged:
        size = SampleRandomBetween(Worker, 256, 4096);
        address = ExAllocatePool2(POOL_FLAG_PAGED, size, SAMPLE_TAG_PAGED);
        break;
    default:
        size = SampleRandomBetween(Worker, 8, 120);
        address = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, size, SAMPLE_TAG_STRING);
        break;
    }
    if (address == NULL) {
        return FALSE;
    }
    RtlFillMemory(address, size < SAMPLE_TOUCH_BYTES ? size : SAMPLE_TOUCH_BYTES, (UCHAR)Kind);
    Item->Address = address;
    Worker->Allocations++;
    return TRUE;
}

/* Frees an item the way its kind was allocated. */
static VOID SampleFree(SAMPLE_WORKER *Worker, const SAMPLE_ITEM *Item)
{
    switch (Item->Kind) {
    case SampleWdfRequest:
        SampleCompleteRequest(Worker, Item->Request);
        break;
    case SampleRequest:
        ExFreeToLookasideListEx(&SampleGlobals.RequestList, Item->Address);
        break;
    case SampleIo:
        ExFreeToNPagedLookasideList(&SampleGlobals.IoList, Item->Address);
        break;
    case SampleConfig:
        ExFreeToPagedLookasideList(&SampleGlobals.ConfigList, Item->Address);
        break;
    case SampleBuffer:
        ExFreePoolWithTag(Item->Address, SAMPLE_TAG_BUFFER);
        break;
    case SamplePaged:
        ExFreePoolWithTag(Item->Address, SAMPLE_TAG_PAGED);
        break;
    default:
        ExFreePoolWithTag(Item->Address, SAMPLE_TAG_STRING);
        break;
    }
}

/*
 * One step: allocate a new item (more likely the fewer are held) or free a random one. At
 * DISPATCH_LEVEL only non-paged kinds are allocated or freed (requests included: their objects
 * and buffers are all non-paged).
 */
static VOID SampleStep(SAMPLE_WORKER *Worker, BOOLEAN AtDispatch)
{
    static const SAMPLE_ITEM_KIND NonPagedKinds[] = {
        SampleRequest, SampleIo, SampleBuffer, SampleString, SampleWdfRequest
    };

    if (!AtDispatch && SampleRandom(Worker) % 8 == 0) {
        SampleSendCreateWithEcps(SampleRandom(Worker));
        Worker->Allocations++;
        return;
    }

    if (SampleRandom(Worker) % SAMPLE_WORKING_SET >= Worker->Count) {
        SAMPLE_ITEM_KIND kind = AtDispatch
            ? NonPagedKinds[SampleRandom(Worker) % RTL_NUMBER_OF(NonPagedKinds)]
            : (SAMPLE_ITEM_KIND)(SampleRandom(Worker) % SampleKindCount);
        if (SampleAllocate(Worker, kind, &Worker->Items[Worker->Count])) {
            Worker->Count++;
        }
        return;
    }

    /* Free a random item: at DISPATCH_LEVEL the first non-paged one from a random start. */
    ULONG start = SampleRandom(Worker) % Worker->Count;
    for (ULONG offset = 0; offset < Worker->Count; offset++) {
        ULONG index = (start + offset) % Worker->Count;
        if (AtDispatch && SampleKindIsPaged(Worker->Items[index].Kind)) {
            continue;
        }
        SampleFree(Worker, &Worker->Items[index]);
        Worker->Count--;
        Worker->Items[index] = Worker->Items[Worker->Count];
        return;
    }
}

ULONG64 SampleDriverRunWorker(ULONG Seed, volatile const int *Stop)
{
    SAMPLE_WORKER worker;

    PAGED_CODE();

    RtlZeroMemory(&worker, sizeof(worker));
    worker.Random = Seed * 2654435761U + 0x9E3779B9U;
    if (worker.Random == 0) {
        worker.Random = 0x9E3779B9U;
    }
    worker.Framework = SampleGetDriverContext(SampleGlobals.Driver);

    while (*Stop == 0) {
        if (SampleRandom(&worker) % 8 == 0) {
            /* A DPC: a short burst of non-paged work at DISPATCH_LEVEL. */
            KIRQL oldIrql;
            KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
            for (ULONG i = 0; i < SAMPLE_DPC_BURST; i++) {
                SampleStep(&worker, TRUE);
            }
            KeLowerIrql(oldIrql);
        } else {
            SampleStep(&worker, FALSE);
        }
    }

    /* Stopping: complete every request in flight and free everything else. */
    while (worker.Count > 0) {
        worker.Count--;
        SampleFree(&worker, &worker.Items[worker.Count]);
    }
    return worker.Allocations;
}

/* Describes an executive lookaside structure (of any of the three types) from its L member. */
#define SAMPLE_DESCRIBE_LOOKASIDE(Info, ListName, ListStructure)                \
    do {                                                                        \
        (Info)->Name = (ListName);                                              \
        (Info)->List = &(ListStructure);                                        \
        (Info)->Lookaside = NULL;                                               \
        (Info)->Tag = (ListStructure).L.Tag;                                    \
        (Info)->Size = (ListStructure).L.Size;                                  \
        (Info)->Paged = (BOOLEAN)(((ListStructure).L.Type & PagedPool) != 0);   \
    } while (0)

/* Describes a lookaside-list object with the parameters EvtDriverDeviceAdd gave it. */
static VOID SampleDescribeLookasideObject(PSAMPLE_LOOKASIDE_INFO Info, const char *Name, WDFLOOKASIDE Lookaside,
                                          ULONG Tag, ULONG Size)
{
    Info->Name = Name;
    Info->List = NULL;
    Info->Lookaside = Lookaside;
    Info->Tag = Tag;
    Info->Size = Size;
    Info->Paged = FALSE;
}

ULONG SampleDriverQueryLookasideLists(PSAMPLE_LOOKASIDE_INFO Info, ULONG Capacity)
{
    PSAMPLE_DRIVER_CONTEXT framework;

    if (!SampleGlobals.Loaded) {
        return 0;
    }
    if (Capacity > 0) {
        SAMPLE_DESCRIBE_LOOKASIDE(&Info[0], "Requests (LOOKASIDE_LIST_EX)", SampleGlobals.RequestList);
    }
    if (Capacity > 1) {
        SAMPLE_DESCRIBE_LOOKASIDE(&Info[1], "I/O (NPAGED_LOOKASIDE_LIST)", SampleGlobals.IoList);
    }
    if (Capacity > 2) {
        SAMPLE_DESCRIBE_LOOKASIDE(&Info[2], "Config (PAGED_LOOKASIDE_LIST)", SampleGlobals.ConfigList);
    }
    framework = SampleGetDriverContext(SampleGlobals.Driver);
    if (framework->Device == NULL) {
        return 3;
    }
    if (Capacity > 3) {
        SampleDescribeLookasideObject(&Info[3], "Commands (WDFLOOKASIDE)", framework->CommandLookaside,
                                      SAMPLE_TAG_COMMAND, SAMPLE_COMMAND_SIZE);
    }
    if (Capacity > 4) {
        SampleDescribeLookasideObject(&Info[4], "Bounce (WDFLOOKASIDE)", framework->BounceLookaside,
                                      SAMPLE_TAG_BOUNCE, SAMPLE_BOUNCE_SIZE);
    }
    return SAMPLE_DRIVER_LOOKASIDE_LIST_COUNT;
}
