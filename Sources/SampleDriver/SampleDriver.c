/*
 * SampleDriver.c - a sample driver that exercises the executive pool and lookaside lists.
 *
 * DriverEntry initializes three lookaside lists in the driver's global context, one of each
 * structure type; the unload routine deletes them. SampleDriverRunWorker plays the driver's
 * request traffic: it allocates and frees entries from the lists and pool blocks under several
 * tags, and now and then runs a burst of non-paged work at DISPATCH_LEVEL, as a DPC would.
 */
#include <wdm.h>
#include <wdfhost.h>

#include "SampleDriver.h"

/*
 * A pool tag from its visible characters: the first character is the lowest byte, so
 * SAMPLE_TAG('S', 'm', 'R', 'q') is the tag shown as "SmRq" (the C literal 'qRmS', written this
 * way to stay free of multi-character constants).
 */
#define SAMPLE_TAG(a, b, c, d) \
    ((ULONG)(UCHAR)(a) | ((ULONG)(UCHAR)(b) << 8) | ((ULONG)(UCHAR)(c) << 16) | ((ULONG)(UCHAR)(d) << 24))

#define SAMPLE_TAG_REQUEST SAMPLE_TAG('S', 'm', 'R', 'q') /* request contexts (LOOKASIDE_LIST_EX) */
#define SAMPLE_TAG_IO SAMPLE_TAG('S', 'm', 'I', 'o')      /* I/O descriptors (NPAGED_LOOKASIDE_LIST) */
#define SAMPLE_TAG_CONFIG SAMPLE_TAG('S', 'm', 'C', 'f')  /* configuration records (PAGED_LOOKASIDE_LIST) */
#define SAMPLE_TAG_BUFFER SAMPLE_TAG('S', 'm', 'B', 'f')  /* data buffers, non-paged, 32..8192 bytes */
#define SAMPLE_TAG_PAGED SAMPLE_TAG('S', 'm', 'P', 'g')   /* paged work areas */
#define SAMPLE_TAG_STRING SAMPLE_TAG('S', 'm', 'S', 't')  /* small strings, non-paged */

#define SAMPLE_REQUEST_SIZE 256
#define SAMPLE_IO_SIZE 128
#define SAMPLE_CONFIG_SIZE 512

/* Most entries and blocks one worker holds at a time. */
#define SAMPLE_WORKING_SET 64

/* Non-paged operations in one burst at DISPATCH_LEVEL. */
#define SAMPLE_DPC_BURST 4

/* Bytes of each new entry or block the worker writes, as a driver filling in a header would. */
#define SAMPLE_TOUCH_BYTES 64

/* The driver's global context: its lookaside lists. */
typedef struct _SAMPLE_DRIVER_CONTEXT {
    LOOKASIDE_LIST_EX RequestList;
    NPAGED_LOOKASIDE_LIST IoList;
    PAGED_LOOKASIDE_LIST ConfigList;
    BOOLEAN Loaded;
} SAMPLE_DRIVER_CONTEXT;

static SAMPLE_DRIVER_CONTEXT SampleContext;

/* What a worker holds: where each entry or block came from decides how it is freed. */
typedef enum _SAMPLE_ITEM_KIND {
    SampleRequest, /* RequestList */
    SampleIo,      /* IoList */
    SampleConfig,  /* ConfigList (paged) */
    SampleBuffer,  /* ExAllocatePoolWithTag, NonPagedPoolNx, SAMPLE_TAG_BUFFER */
    SamplePaged,   /* ExAllocatePool2, POOL_FLAG_PAGED, SAMPLE_TAG_PAGED */
    SampleString,  /* ExAllocatePool2, POOL_FLAG_NON_PAGED, SAMPLE_TAG_STRING */
    SampleKindCount
} SAMPLE_ITEM_KIND;

typedef struct _SAMPLE_ITEM {
    PVOID Address;
    SAMPLE_ITEM_KIND Kind;
} SAMPLE_ITEM;

/* One worker's state: its random sequence, what it holds, and how much it allocated. */
typedef struct _SAMPLE_WORKER {
    ULONG Random;
    ULONG Count;
    ULONG64 Allocations;
    SAMPLE_ITEM Items[SAMPLE_WORKING_SET];
} SAMPLE_WORKER;

static DRIVER_UNLOAD SampleDriverUnload;

NTSTATUS SampleDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);

    status = ExInitializeLookasideListEx(&SampleContext.RequestList, NULL, NULL, NonPagedPoolNx, 0,
                                         SAMPLE_REQUEST_SIZE, SAMPLE_TAG_REQUEST, 0);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    ExInitializeNPagedLookasideList(&SampleContext.IoList, NULL, NULL, POOL_NX_ALLOCATION, SAMPLE_IO_SIZE,
                                    SAMPLE_TAG_IO, 0);
    ExInitializePagedLookasideList(&SampleContext.ConfigList, NULL, NULL, 0, SAMPLE_CONFIG_SIZE,
                                   SAMPLE_TAG_CONFIG, 0);
    SampleContext.Loaded = TRUE;
    DriverObject->DriverUnload = SampleDriverUnload;
    return STATUS_SUCCESS;
}

static VOID SampleDriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);

    SampleContext.Loaded = FALSE;
    ExDeleteLookasideListEx(&SampleContext.RequestList);
    ExDeleteNPagedLookasideList(&SampleContext.IoList);
    ExDeletePagedLookasideList(&SampleContext.ConfigList);
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

/* Allocates one item of Kind; NULL when the pool or list has nothing to give. */
static PVOID SampleAllocate(SAMPLE_WORKER *Worker, SAMPLE_ITEM_KIND Kind, SIZE_T *Touch)
{
    SIZE_T size;
    PVOID address;

    switch (Kind) {
    case SampleRequest:
        size = SAMPLE_REQUEST_SIZE;
        address = ExAllocateFromLookasideListEx(&SampleContext.RequestList);
        break;
    case SampleIo:
        size = SAMPLE_IO_SIZE;
        address = ExAllocateFromNPagedLookasideList(&SampleContext.IoList);
        break;
    case SampleConfig:
        size = SAMPLE_CONFIG_SIZE;
        address = ExAllocateFromPagedLookasideList(&SampleContext.ConfigList);
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
    *Touch = size < SAMPLE_TOUCH_BYTES ? size : SAMPLE_TOUCH_BYTES;
    return address;
}

/* Frees an item the way its kind was allocated. */
static VOID SampleFree(const SAMPLE_ITEM *Item)
{
    switch (Item->Kind) {
    case SampleRequest:
        ExFreeToLookasideListEx(&SampleContext.RequestList, Item->Address);
        break;
    case SampleIo:
        ExFreeToNPagedLookasideList(&SampleContext.IoList, Item->Address);
        break;
    case SampleConfig:
        ExFreeToPagedLookasideList(&SampleContext.ConfigList, Item->Address);
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
 * DISPATCH_LEVEL only non-paged kinds are allocated or freed.
 */
static VOID SampleStep(SAMPLE_WORKER *Worker, BOOLEAN AtDispatch)
{
    static const SAMPLE_ITEM_KIND NonPagedKinds[] = { SampleRequest, SampleIo, SampleBuffer, SampleString };

    if (SampleRandom(Worker) % SAMPLE_WORKING_SET >= Worker->Count) {
        SAMPLE_ITEM_KIND kind = AtDispatch
            ? NonPagedKinds[SampleRandom(Worker) % RTL_NUMBER_OF(NonPagedKinds)]
            : (SAMPLE_ITEM_KIND)(SampleRandom(Worker) % SampleKindCount);
        SIZE_T touch;
        PVOID address = SampleAllocate(Worker, kind, &touch);
        if (address != NULL) {
            RtlFillMemory(address, touch, (UCHAR)kind);
            Worker->Items[Worker->Count].Address = address;
            Worker->Items[Worker->Count].Kind = kind;
            Worker->Count++;
            Worker->Allocations++;
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
        SampleFree(&Worker->Items[index]);
        Worker->Count--;
        Worker->Items[index] = Worker->Items[Worker->Count];
        return;
    }
}

ULONG64 SampleDriverRunWorker(ULONG Seed, volatile const int *Stop)
{
    SAMPLE_WORKER worker;

    PAGED_CODE();

    worker.Random = Seed * 2654435761U + 0x9E3779B9U;
    if (worker.Random == 0) {
        worker.Random = 0x9E3779B9U;
    }
    worker.Count = 0;
    worker.Allocations = 0;

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

    while (worker.Count > 0) {
        worker.Count--;
        SampleFree(&worker.Items[worker.Count]);
    }
    return worker.Allocations;
}

/* Describes a lookaside structure (of any of the three types) from its L member. */
#define SAMPLE_DESCRIBE_LOOKASIDE(Info, ListName, Lookaside)                \
    do {                                                                    \
        (Info)->Name = (ListName);                                          \
        (Info)->List = &(Lookaside);                                        \
        (Info)->Tag = (Lookaside).L.Tag;                                    \
        (Info)->Size = (Lookaside).L.Size;                                  \
        (Info)->Paged = (BOOLEAN)(((Lookaside).L.Type & PagedPool) != 0);   \
    } while (0)

ULONG SampleDriverQueryLookasideLists(PSAMPLE_LOOKASIDE_INFO Info, ULONG Capacity)
{
    if (!SampleContext.Loaded) {
        return 0;
    }
    if (Capacity > 0) {
        SAMPLE_DESCRIBE_LOOKASIDE(&Info[0], "Requests (LOOKASIDE_LIST_EX)", SampleContext.RequestList);
    }
    if (Capacity > 1) {
        SAMPLE_DESCRIBE_LOOKASIDE(&Info[1], "I/O (NPAGED_LOOKASIDE_LIST)", SampleContext.IoList);
    }
    if (Capacity > 2) {
        SAMPLE_DESCRIBE_LOOKASIDE(&Info[2], "Config (PAGED_LOOKASIDE_LIST)", SampleContext.ConfigList);
    }
    return SAMPLE_DRIVER_LOOKASIDE_LIST_COUNT;
}
