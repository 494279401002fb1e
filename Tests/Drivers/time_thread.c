/*
 * time_thread.c - a driver that timestamps its work the usual ways (system time, the performance
 * counter, tick count), records which thread and process did it, and keeps a critical region
 * around the work; a second thread has an id and thread object of its own.
 */
// expect: time: after 2020 1, counter frequency 10000000, stall ok 1, ticks ok 1
// expect: identity: pid 4, same thread 1, other thread differs 1, same process 1
// expect: cpu: in range 1, mask ok 1
// expect: region: inside 1 nested 1 after 0
#include <ntddk.h>
#include <wdfhost.h>
#include <pthread.h>

typedef struct _WORKER_RESULT {
    HANDLE ThreadId;
    PETHREAD Thread;
    PEPROCESS Process;
} WORKER_RESULT, *PWORKER_RESULT;

static void *Worker(void *Argument)
{
    PWORKER_RESULT result = (PWORKER_RESULT)Argument;
    result->ThreadId = PsGetCurrentThreadId();
    result->Thread = PsGetCurrentThread();
    result->Process = IoGetCurrentProcess();
    return NULL;
}

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    LARGE_INTEGER now, frequency, start, end, ticks;
    ULONGLONG interrupt;
    KAFFINITY mask;
    ULONG processors;
    BOOLEAN inside, nested;
    WORKER_RESULT other;
    pthread_t worker;
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);

    KeQuerySystemTime(&now);
    start = KeQueryPerformanceCounter(&frequency);
    KeStallExecutionProcessor(500);
    end = KeQueryPerformanceCounter(NULL);
    KeQueryTickCount(&ticks);
    interrupt = KeQueryInterruptTime();
    DbgPrint("time: after 2020 %d, counter frequency %lld, stall ok %d, ticks ok %d\n",
             now.QuadPart > 132223104000000000LL, (long long)frequency.QuadPart,
             (end.QuadPart - start.QuadPart) * 1000000 / frequency.QuadPart >= 500,
             (ULONGLONG)ticks.QuadPart * KeQueryTimeIncrement() <= interrupt);

    memset(&other, 0, sizeof(other));
    pthread_create(&worker, NULL, Worker, &other);
    pthread_join(worker, NULL);
    DbgPrint("identity: pid %lu, same thread %d, other thread differs %d, same process %d\n",
             (ULONG)(ULONG_PTR)PsGetCurrentProcessId(), (PETHREAD)KeGetCurrentThread() == PsGetCurrentThread(),
             other.ThreadId != PsGetCurrentThreadId() && other.Thread != PsGetCurrentThread(),
             other.Process == PsGetCurrentProcess());

    processors = KeQueryActiveProcessorCount(&mask);
    DbgPrint("cpu: in range %d, mask ok %d\n", KeGetCurrentProcessorNumber() < processors,
             processors >= 64 ? mask == (KAFFINITY)-1 : mask == (((KAFFINITY)1 << processors) - 1));

    KeEnterCriticalRegion();
    inside = KeAreApcsDisabled();
    KeEnterCriticalRegion();
    KeLeaveCriticalRegion();
    nested = KeAreApcsDisabled();
    KeLeaveCriticalRegion();
    DbgPrint("region: inside %d nested %d after %d\n", inside, nested, KeAreApcsDisabled());
    return STATUS_SUCCESS;
}

int main(void)
{
    PDRIVER_OBJECT driver;
    if (!NT_SUCCESS(WdfHostLoadDriver("TimeThrd", DriverEntry, &driver))) return 1;
    return NT_SUCCESS(WdfHostUnloadDriver(driver)) ? 0 : 2;
}
