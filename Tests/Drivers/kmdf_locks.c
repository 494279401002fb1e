/*
 * kmdf_locks.c - a KMDF driver guards its request queue with a WDFSPINLOCK and its paged
 * configuration cache with a WDFWAITLOCK, from two threads at once: memory objects from a
 * non-paged WDFLOOKASIDE are taken, queued and completed under the spin lock (DISPATCH_LEVEL),
 * paged memory objects are made under the wait lock (PASSIVE_LEVEL: allowed). Both locks are
 * children of the device, with a context each, and go with it at unload.
 */
// expect: spin lock irql: 2, after: 0
// expect: wait lock try while held elsewhere: 0x102, irql while held: 0
// expect: queued 20000, completed 20000, queue empty 1
// expect: cache updates 2000
// expect: lock contexts: spin 1, wait 2
// expect: unload status: 0x0
#include <ntddk.h>
#include <wdf.h>
#include <wdfhost.h>
#include <pthread.h>

#define LOCK_TAG 'kcLS'
#define ITERATIONS 10000
#define CACHE_EVERY 10

typedef struct _QUEUE_ENTRY {
    LIST_ENTRY Link;
    WDFMEMORY Memory;
} QUEUE_ENTRY, *PQUEUE_ENTRY;

typedef struct _LOCK_CONTEXT {
    ULONG Role;
} LOCK_CONTEXT, *PLOCK_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(LOCK_CONTEXT, GetLockContext)

static WDFDEVICE g_Device;
static WDFSPINLOCK g_QueueLock;
static WDFWAITLOCK g_CacheLock;
static WDFLOOKASIDE g_Requests;
static LIST_ENTRY g_Queue;
static ULONG g_QueueLength;
static LONG g_Queued;
static LONG g_Completed;
static ULONG g_CacheUpdates;
static WDFMEMORY g_Cache[2 * ITERATIONS / CACHE_EVERY];
static NTSTATUS g_TryStatus;

EVT_WDF_DRIVER_DEVICE_ADD LocksDeviceAdd;
DRIVER_INITIALIZE DriverEntry;

static VOID CompleteOne(VOID)
{
    PQUEUE_ENTRY entry = CONTAINING_RECORD(RemoveHeadList(&g_Queue), QUEUE_ENTRY, Link);
    g_QueueLength--;
    WdfObjectDelete(entry->Memory);   /* back to the lookaside list, at DISPATCH_LEVEL */
    g_Completed++;
}

static void *Worker(void *Argument)
{
    ULONG i;
    UNREFERENCED_PARAMETER(Argument);
    for (i = 0; i < ITERATIONS; i++) {
        WDFMEMORY memory;
        PQUEUE_ENTRY entry;

        WdfSpinLockAcquire(g_QueueLock);
        NT_ASSERT(KeGetCurrentIrql() == DISPATCH_LEVEL);
        if (NT_SUCCESS(WdfMemoryCreateFromLookaside(g_Requests, &memory))) {
            entry = (PQUEUE_ENTRY)WdfMemoryGetBuffer(memory, NULL);
            entry->Memory = memory;
            InsertTailList(&g_Queue, &entry->Link);
            g_QueueLength++;
            g_Queued++;
        }
        if (g_QueueLength > 8) CompleteOne();
        WdfSpinLockRelease(g_QueueLock);

        if (i % CACHE_EVERY == 0) {
            WDF_OBJECT_ATTRIBUTES attributes;
            WDFMEMORY cached;
            (VOID)WdfWaitLockAcquire(g_CacheLock, NULL);
            NT_ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
            WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
            attributes.ParentObject = g_Device;
            if (NT_SUCCESS(WdfMemoryCreate(&attributes, PagedPool, LOCK_TAG, 64, &cached, NULL))) {
                g_Cache[g_CacheUpdates++] = cached;
            }
            WdfWaitLockRelease(g_CacheLock);
        }
    }
    return NULL;
}

static void *TryCacheLock(void *Argument)
{
    LONGLONG zero = 0;
    UNREFERENCED_PARAMETER(Argument);
    g_TryStatus = WdfWaitLockAcquire(g_CacheLock, &zero);
    if (g_TryStatus == STATUS_SUCCESS) WdfWaitLockRelease(g_CacheLock);
    return NULL;
}

_Use_decl_annotations_
NTSTATUS LocksDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_OBJECT_ATTRIBUTES attributes;
    NTSTATUS status;
    UNREFERENCED_PARAMETER(Driver);

    status = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &g_Device);
    if (!NT_SUCCESS(status)) return status;

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, LOCK_CONTEXT);
    attributes.ParentObject = g_Device;
    status = WdfSpinLockCreate(&attributes, &g_QueueLock);
    if (!NT_SUCCESS(status)) return status;
    GetLockContext(g_QueueLock)->Role = 1;
    status = WdfWaitLockCreate(&attributes, &g_CacheLock);
    if (!NT_SUCCESS(status)) return status;
    GetLockContext(g_CacheLock)->Role = 2;

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = g_Device;
    return WdfLookasideListCreate(&attributes, sizeof(QUEUE_ENTRY), NonPagedPoolNx, WDF_NO_OBJECT_ATTRIBUTES, LOCK_TAG,
                                  &g_Requests);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, LocksDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

int main(void)
{
    PDRIVER_OBJECT driver;
    WDFDEVICE device;
    pthread_t other;
    NTSTATUS status;
    KIRQL irql;

    if (!NT_SUCCESS(WdfHostLoadDriver("KmdfLocks", DriverEntry, &driver))) return 1;
    if (!NT_SUCCESS(WdfHostAddDevice(driver, &device))) return 2;
    InitializeListHead(&g_Queue);

    WdfSpinLockAcquire(g_QueueLock);
    irql = KeGetCurrentIrql();
    WdfSpinLockRelease(g_QueueLock);
    DbgPrint("spin lock irql: %u, after: %u\n", (unsigned)irql, (unsigned)KeGetCurrentIrql());

    (VOID)WdfWaitLockAcquire(g_CacheLock, NULL);
    pthread_create(&other, NULL, TryCacheLock, NULL);
    pthread_join(other, NULL);
    DbgPrint("wait lock try while held elsewhere: 0x%x, irql while held: %u\n", (unsigned)g_TryStatus,
             (unsigned)KeGetCurrentIrql());
    WdfWaitLockRelease(g_CacheLock);

    pthread_create(&other, NULL, Worker, NULL);
    Worker(NULL);
    pthread_join(other, NULL);

    WdfSpinLockAcquire(g_QueueLock);
    while (!IsListEmpty(&g_Queue)) CompleteOne();
    WdfSpinLockRelease(g_QueueLock);
    DbgPrint("queued %ld, completed %ld, queue empty %d\n", g_Queued, g_Completed, IsListEmpty(&g_Queue));
    DbgPrint("cache updates %lu\n", g_CacheUpdates);
    DbgPrint("lock contexts: spin %lu, wait %lu\n", GetLockContext(g_QueueLock)->Role, GetLockContext(g_CacheLock)->Role);

    /* The locks, the list and the cached memory go with the device. */
    status = WdfHostUnloadDriver(driver);
    DbgPrint("unload status: 0x%x\n", (unsigned)status);
    return NT_SUCCESS(status) ? 0 : 3;
}
