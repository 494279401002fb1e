/*
 * spinlock_lookaside.c - a driver keeps a request list under a spin lock, with entries from a
 * non-paged lookaside list allocated and freed while the lock is held (fine at DISPATCH_LEVEL),
 * from two threads at once; the in-stack queued form and the AtDpcLevel forms too.
 */
// expect: irql under lock: 2, after: 0
// expect: requests: 40000 queued, 40000 completed, list empty 1
// expect: paged pool outside the lock: ok
#include <ntddk.h>
#include <wdfhost.h>
#include <pthread.h>

#define REQ_TAG 'qeRS'

typedef struct _REQUEST {
    LIST_ENTRY Link;
    ULONG Id;
} REQUEST, *PREQUEST;

static KSPIN_LOCK g_Lock;
static LIST_ENTRY g_Pending;
static LOOKASIDE_LIST_EX g_Requests;
static LONG volatile g_Queued;
static LONG g_Completed;

static void *Worker(void *Argument)
{
    ULONG i;
    UNREFERENCED_PARAMETER(Argument);
    for (i = 0; i < 20000; i++) {
        KIRQL oldIrql;
        KLOCK_QUEUE_HANDLE handle;
        PREQUEST request;

        KeAcquireSpinLock(&g_Lock, &oldIrql);
        NT_ASSERT(KeGetCurrentIrql() == DISPATCH_LEVEL);
        request = (PREQUEST)ExAllocateFromLookasideListEx(&g_Requests);
        if (request != NULL) {
            request->Id = i;
            InsertTailList(&g_Pending, &request->Link);
            InterlockedIncrement(&g_Queued);
        }
        KeReleaseSpinLock(&g_Lock, oldIrql);

        KeAcquireInStackQueuedSpinLock(&g_Lock, &handle);
        if (!IsListEmpty(&g_Pending)) {
            PREQUEST done = CONTAINING_RECORD(RemoveHeadList(&g_Pending), REQUEST, Link);
            g_Completed++;
            ExFreeToLookasideListEx(&g_Requests, done);
        }
        KeReleaseInStackQueuedSpinLock(&handle);
    }
    return NULL;
}

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    KIRQL oldIrql;
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&g_Lock);
    InitializeListHead(&g_Pending);
    KeAcquireSpinLock(&g_Lock, &oldIrql);
    DbgPrint("irql under lock: %u, ", (unsigned)KeGetCurrentIrql());
    KeReleaseSpinLock(&g_Lock, oldIrql);
    DbgPrint("after: %u\n", (unsigned)KeGetCurrentIrql());
    return ExInitializeLookasideListEx(&g_Requests, NULL, NULL, NonPagedPoolNx, 0, sizeof(REQUEST), REQ_TAG, 0);
}

int main(void)
{
    PDRIVER_OBJECT driver;
    pthread_t other;
    KIRQL oldIrql;
    PVOID paged;
    if (!NT_SUCCESS(WdfHostLoadDriver("SpinLook", DriverEntry, &driver))) return 1;
    pthread_create(&other, NULL, Worker, NULL);
    Worker(NULL);
    pthread_join(other, NULL);

    /* Drain what is left (the other thread may have queued last). */
    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    KeAcquireSpinLockAtDpcLevel(&g_Lock);
    while (!IsListEmpty(&g_Pending)) {
        ExFreeToLookasideListEx(&g_Requests, CONTAINING_RECORD(RemoveHeadList(&g_Pending), REQUEST, Link));
        g_Completed++;
    }
    KeReleaseSpinLockFromDpcLevel(&g_Lock);
    KeLowerIrql(oldIrql);
    DbgPrint("requests: %ld queued, %ld completed, list empty %d\n", g_Queued, g_Completed, IsListEmpty(&g_Pending));

    /* Paged pool is fine once the lock is released (PASSIVE_LEVEL). */
    paged = ExAllocatePoolWithTag(PagedPool, 64, REQ_TAG);
    DbgPrint("paged pool outside the lock: %s\n", paged != NULL ? "ok" : "failed");
    if (paged != NULL) ExFreePoolWithTag(paged, REQ_TAG);
    ExDeleteLookasideListEx(&g_Requests);
    return NT_SUCCESS(WdfHostUnloadDriver(driver)) && g_Completed == g_Queued ? 0 : 2;
}
