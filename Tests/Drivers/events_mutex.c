/*
 * events_mutex.c - a worker thread signals the driver through KEVENTs; a FAST_MUTEX guards a
 * counter and paged pool use (APC_LEVEL allows paged pool) from two threads.
 */
// expect: poll: timeout 1
// expect: wait: signaled 1, state 1, sync consumed 1
// expect: mutex: 40000 irql 1 paged ok
#include <ntddk.h>
#include <wdfhost.h>
#include <pthread.h>

static KEVENT g_Ready;
static KEVENT g_Go;
static FAST_MUTEX g_Mutex;
static ULONG g_Counter;
static ULONG g_IrqlInside;
static ULONG g_PagedOk = 1;

static void *Signaller(void *Argument)
{
    LARGE_INTEGER delay;
    UNREFERENCED_PARAMETER(Argument);
    delay.QuadPart = -10 * 1000 * 20; /* 20 ms */
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    KeSetEvent(&g_Ready, IO_NO_INCREMENT, FALSE);
    KeSetEvent(&g_Go, IO_NO_INCREMENT, FALSE);
    return NULL;
}

static void *Counter(void *Argument)
{
    ULONG i;
    UNREFERENCED_PARAMETER(Argument);
    for (i = 0; i < 20000; i++) {
        PVOID paged;
        ExAcquireFastMutex(&g_Mutex);
        g_IrqlInside = KeGetCurrentIrql();
        g_Counter++;
        paged = ExAllocatePoolWithTag(PagedPool, 32, 'xtMF');
        if (paged == NULL) g_PagedOk = 0;
        else ExFreePoolWithTag(paged, 'xtMF');
        ExReleaseFastMutex(&g_Mutex);
    }
    return NULL;
}

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    LARGE_INTEGER zero;
    NTSTATUS status;
    pthread_t signaller;
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeEvent(&g_Ready, NotificationEvent, FALSE);
    KeInitializeEvent(&g_Go, SynchronizationEvent, FALSE);
    ExInitializeFastMutex(&g_Mutex);

    zero.QuadPart = 0;
    status = KeWaitForSingleObject(&g_Ready, Executive, KernelMode, FALSE, &zero);
    DbgPrint("poll: timeout %d\n", status == STATUS_TIMEOUT);

    pthread_create(&signaller, NULL, Signaller, NULL);
    status = KeWaitForSingleObject(&g_Ready, Executive, KernelMode, FALSE, NULL);
    NT_VERIFY(NT_SUCCESS(KeWaitForSingleObject(&g_Go, Executive, KernelMode, FALSE, NULL)));
    pthread_join(signaller, NULL);
    DbgPrint("wait: signaled %d, state %ld, sync consumed %d\n", status == STATUS_SUCCESS, KeReadStateEvent(&g_Ready),
             KeReadStateEvent(&g_Go) == 0);
    return STATUS_SUCCESS;
}

int main(void)
{
    PDRIVER_OBJECT driver;
    pthread_t other;
    if (!NT_SUCCESS(WdfHostLoadDriver("EvMutex", DriverEntry, &driver))) return 1;
    pthread_create(&other, NULL, Counter, NULL);
    Counter(NULL);
    pthread_join(other, NULL);
    DbgPrint("mutex: %lu irql %lu paged %s\n", g_Counter, g_IrqlInside, g_PagedOk ? "ok" : "failed");
    return NT_SUCCESS(WdfHostUnloadDriver(driver)) && KeGetCurrentIrql() == PASSIVE_LEVEL ? 0 : 2;
}
