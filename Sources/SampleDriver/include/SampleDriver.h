/*
 * SampleDriver.h - a sample KMDF driver that exercises the executive pool, executive lookaside
 * lists and framework (WDF) objects: requests, memory objects and lookaside-list objects.
 *
 * The driver is written against the WDK headers exactly as a Windows driver would be. A host
 * loads it with WdfHostLoadDriver(ServiceName, SampleDriverEntry, &DriverObject), plays PnP with
 * WdfHostAddDevice(DriverObject, &Device) (the driver's EvtDriverDeviceAdd creates its device
 * and the device's lookaside-list objects), runs SampleDriverRunWorker on as many threads as it
 * likes, and unloads it with WdfHostUnloadDriver once every worker has returned.
 */
#ifndef SAMPLE_DRIVER_H
#define SAMPLE_DRIVER_H

#include <wdm.h>
#include <wdf.h>
/* The sample's second part: two minifilters and their create-path ECP code. */
#include "SampleMinifilter.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The driver's entry point: initializes the driver's executive lookaside lists and creates its
 * framework driver object (WdfDriverCreate, with EvtDriverDeviceAdd and EvtDriverUnload; the
 * unload callback deletes the executive lists, the framework deletes the driver's objects).
 */
DRIVER_INITIALIZE SampleDriverEntry;

/*
 * Runs a realistic mix of pool, lookaside and framework-object traffic on the calling thread
 * until *Stop becomes non-zero: a working set of up to 64 outstanding items, freed in random
 * order, with occasional bursts of non-paged work at DISPATCH_LEVEL. An item is a pool block, an
 * entry of an executive lookaside list, or (once the device has been added) a WDFREQUEST in
 * flight with its WDFMEMORY buffers. Everything still held is freed before it returns. Seed
 * selects the sequence (any value, 0 included). Returns the number of allocations it made
 * (pool blocks, lookaside entries and framework objects).
 *
 * Call it at PASSIVE_LEVEL, only between a successful load (and device add) and the unload.
 */
ULONG64 SampleDriverRunWorker(ULONG Seed, volatile const int *Stop);

/*
 * Most lookaside lists the driver keeps (entries SampleDriverQueryLookasideLists fills): three
 * executive lists from DriverEntry, two lookaside-list objects from EvtDriverDeviceAdd.
 */
#define SAMPLE_DRIVER_LOOKASIDE_LIST_COUNT 5

/*
 * One of the driver's lookaside lists: what it holds, where it is, and the parameters it was
 * created with. A monitor reads an executive list's counters through List, a lookaside-list
 * object's through Lookaside.
 */
typedef struct _SAMPLE_LOOKASIDE_INFO {
    const char *Name;        /* what the list holds and its type, e.g. "Requests (LOOKASIDE_LIST_EX)" */
    PVOID List;              /* the LOOKASIDE_LIST_EX, NPAGED_LOOKASIDE_LIST or PAGED_LOOKASIDE_LIST; NULL for a WDFLOOKASIDE */
    WDFLOOKASIDE Lookaside;  /* the lookaside-list object; NULL for an executive list */
    ULONG Tag;               /* pool tag of the entries (buffers) */
    ULONG Size;              /* entry (buffer) size in bytes */
    BOOLEAN Paged;           /* entries come from paged pool */
} SAMPLE_LOOKASIDE_INFO, *PSAMPLE_LOOKASIDE_INFO;

/*
 * Describes the driver's lookaside lists in Info (at most Capacity entries) and returns how many
 * lists the driver has: 0 when it is not loaded, 3 (the executive lists) until its device has
 * been added, SAMPLE_DRIVER_LOOKASIDE_LIST_COUNT after. The List pointers and Lookaside handles
 * stay valid until the driver is unloaded.
 */
ULONG SampleDriverQueryLookasideLists(_Out_writes_(Capacity) PSAMPLE_LOOKASIDE_INFO Info, _In_ ULONG Capacity);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SAMPLE_DRIVER_H */
