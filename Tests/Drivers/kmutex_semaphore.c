/*
 * kmutex_semaphore.c - a driver that serializes a counter with a KMUTEX (re-entered by its owner)
 * and hands out work through a KSEMAPHORE to worker threads, with timeouts on both waits.
 */
// expect: mutex: state 1 held -1 apcs 1 other timeout 1
// expect: semaphore: poll timeout 1, workers 3, left 0
// expect: counter: 30000 state 1
#include <ntddk.h>
#include <wdfhost.h>
#include <pthread.h>

static KMUTEX g_Mutex;
static KSEMAPHORE g_Work;
static ULONG g_Counter;
static LONG g_Done;
static NTSTATUS g_OtherStatus;

static void *TryMutex(void *Argument)
{
    LARGE_INTEGER timeout;
    UNREFERENCED_PARAMETER(Argument);
    timeout.QuadPart = -10 * 1000; /* 1 ms */
    g_OtherStatus = KeWaitForMutexObject(&g_Mutex, Executive, KernelMode, FALSE, &timeout);
    return NULL;
}

static void *Worker(void *Argument)
{
    ULONG i;
    UNREFERENCED_PARAMETER(Argument);
    NT_VERIFY(KeWaitForSingleObject(&g_Work, Executive, KernelMode, FALSE, NULL) == STATUS_SUCCESS);
    for (i = 0; i < 10000; i++) {
        NT_VERIFY(NT_SUCCESS(KeWaitForMutexObject(&g_Mutex, Executive, KernelMode, FALSE, NULL)));
        g_Counter++;
        KeReleaseMutex(&g_Mutex, FALSE);
    }
    InterlockedIncrement(&g_Done);
    return NULL;
}

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    pthread_t other, workers[3];
    LARGE_INTEGER zero;
    LONG state, held;
    BOOLEAN apcs;
    NTSTATUS poll;
    int i;
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeMutex(&g_Mutex, 0);
    KeInitializeSemaphore(&g_Work, 0, 3);
    state = KeReadStateMutex(&g_Mutex);
    NT_VERIFY(NT_SUCCESS(KeWaitForMutexObject(&g_Mutex, Executive, KernelMode, FALSE, NULL)));
    NT_VERIFY(NT_SUCCESS(KeWaitForMutexObject(&g_Mutex, Executive, KernelMode, FALSE, NULL)));
    held = KeReadStateMutex(&g_Mutex);
    apcs = KeAreApcsDisabled();
    pthread_create(&other, NULL, TryMutex, NULL);
    pthread_join(other, NULL);
    KeReleaseMutex(&g_Mutex, FALSE);
    KeReleaseMutex(&g_Mutex, FALSE);
    DbgPrint("mutex: state %ld held %ld apcs %d other timeout %d\n", state, held, apcs, g_OtherStatus == STATUS_TIMEOUT);

    zero.QuadPart = 0;
    poll = KeWaitForSingleObject(&g_Work, Executive, KernelMode, FALSE, &zero);
    for (i = 0; i < 3; i++) pthread_create(&workers[i], NULL, Worker, NULL);
    KeReleaseSemaphore(&g_Work, IO_NO_INCREMENT, 3, FALSE);
    for (i = 0; i < 3; i++) pthread_join(workers[i], NULL);
    DbgPrint("semaphore: poll timeout %d, workers %ld, left %ld\n", poll == STATUS_TIMEOUT, g_Done, KeReadStateSemaphore(&g_Work));
    DbgPrint("counter: %lu state %ld\n", g_Counter, KeReadStateMutex(&g_Mutex));
    return STATUS_SUCCESS;
}

int main(void)
{
    PDRIVER_OBJECT driver;
    if (!NT_SUCCESS(WdfHostLoadDriver("MtxSem", DriverEntry, &driver))) return 1;
    return NT_SUCCESS(WdfHostUnloadDriver(driver)) ? 0 : 2;
}
