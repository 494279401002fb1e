/*
 * SampleDriver.h - a sample driver that exercises the executive pool and lookaside lists.
 *
 * The driver is written against the WDK headers exactly as a Windows driver would be. A host
 * loads it with WdfHostLoadDriver(ServiceName, SampleDriverEntry, &DriverObject), runs
 * SampleDriverRunWorker on as many threads as it likes, and unloads it with WdfHostUnloadDriver
 * once every worker has returned.
 */
#ifndef SAMPLE_DRIVER_H
#define SAMPLE_DRIVER_H

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The driver's entry point: initializes the driver's lookaside lists and sets the unload routine,
 * which deletes them.
 */
DRIVER_INITIALIZE SampleDriverEntry;

/*
 * Runs a realistic mix of pool and lookaside traffic on the calling thread until *Stop becomes
 * non-zero: a working set of up to 64 outstanding entries and blocks under the driver's tags,
 * freed in random order, with occasional bursts of non-paged work at DISPATCH_LEVEL. Everything
 * still held is freed before it returns. Seed selects the sequence (any value, 0 included).
 * Returns the number of allocations it made (lookaside entries and pool blocks).
 *
 * Call it at PASSIVE_LEVEL, only between a successful load and the unload.
 */
ULONG64 SampleDriverRunWorker(ULONG Seed, volatile const int *Stop);

/* Number of lookaside lists the driver keeps (entries SampleDriverQueryLookasideLists fills). */
#define SAMPLE_DRIVER_LOOKASIDE_LIST_COUNT 3

/*
 * One of the driver's lookaside lists: what it holds, where its structure is, and the parameters
 * it was initialized with. A monitor reads the list's counters through List.
 */
typedef struct _SAMPLE_LOOKASIDE_INFO {
    const char *Name; /* what the list holds and its structure type, e.g. "Requests (LOOKASIDE_LIST_EX)" */
    PVOID List;       /* the LOOKASIDE_LIST_EX, NPAGED_LOOKASIDE_LIST or PAGED_LOOKASIDE_LIST */
    ULONG Tag;        /* pool tag of the entries */
    ULONG Size;       /* entry size in bytes */
    BOOLEAN Paged;    /* entries come from paged pool */
} SAMPLE_LOOKASIDE_INFO, *PSAMPLE_LOOKASIDE_INFO;

/*
 * Describes the driver's lookaside lists in Info (at most Capacity entries) and returns how many
 * lists the driver has: SAMPLE_DRIVER_LOOKASIDE_LIST_COUNT while it is loaded, 0 otherwise. The
 * List pointers stay valid until the driver is unloaded.
 */
ULONG SampleDriverQueryLookasideLists(_Out_writes_(Capacity) PSAMPLE_LOOKASIDE_INFO Info, _In_ ULONG Capacity);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SAMPLE_DRIVER_H */
