/*
 * eresource.c - a driver that guards a table with an ERESOURCE: writers in critical regions take
 * it exclusively from several threads, readers share it, a try-acquire backs off while a writer
 * holds it, and the unload path deletes it.
 */
// expect: nested: exclusive 1 count 3 try-other 0
// expect: shared: count 2 exclusive 0
// expect: table: 60000 entries, irql 0, lock free 1
#include <ntddk.h>
#include <wdfhost.h>
#include <pthread.h>

typedef struct _DEVICE_TABLE {
    ERESOURCE Lock;
    ULONG Entries;
    ULONG Readers;
} DEVICE_TABLE, *PDEVICE_TABLE;

static DEVICE_TABLE g_Table;
static BOOLEAN g_TryOther;

static void *TryFromOtherThread(void *Argument)
{
    UNREFERENCED_PARAMETER(Argument);
    KeEnterCriticalRegion();
    g_TryOther = ExAcquireResourceSharedLite(&g_Table.Lock, FALSE);
    if (g_TryOther) ExReleaseResourceLite(&g_Table.Lock);
    KeLeaveCriticalRegion();
    return NULL;
}

static void *Writer(void *Argument)
{
    ULONG i;
    UNREFERENCED_PARAMETER(Argument);
    for (i = 0; i < 20000; i++) {
        if ((i & 7) == 0) {
            ExEnterCriticalRegionAndAcquireResourceShared(&g_Table.Lock);
            g_Table.Readers += ExIsResourceAcquiredSharedLite(&g_Table.Lock) == 1 ? 0 : 1;
            ExReleaseResourceAndLeaveCriticalRegion(&g_Table.Lock);
        }
        ExEnterCriticalRegionAndAcquireResourceExclusive(&g_Table.Lock);
        g_Table.Entries++;
        ExReleaseResourceAndLeaveCriticalRegion(&g_Table.Lock);
    }
    return NULL;
}

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    pthread_t other;
    BOOLEAN exclusive;
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);

    NT_VERIFY(NT_SUCCESS(ExInitializeResourceLite(&g_Table.Lock)));

    KeEnterCriticalRegion();
    (VOID)ExAcquireResourceExclusiveLite(&g_Table.Lock, TRUE);
    (VOID)ExAcquireResourceExclusiveLite(&g_Table.Lock, TRUE);
    (VOID)ExAcquireResourceSharedLite(&g_Table.Lock, TRUE);
    pthread_create(&other, NULL, TryFromOtherThread, NULL);
    pthread_join(other, NULL);
    DbgPrint("nested: exclusive %d count %lu try-other %d\n", ExIsResourceAcquiredExclusiveLite(&g_Table.Lock),
             ExIsResourceAcquiredSharedLite(&g_Table.Lock), g_TryOther);
    ExReleaseResourceLite(&g_Table.Lock);
    ExReleaseResourceLite(&g_Table.Lock);
    ExReleaseResourceForThreadLite(&g_Table.Lock, ExGetCurrentResourceThread());

    (VOID)ExAcquireResourceSharedLite(&g_Table.Lock, TRUE);
    (VOID)ExAcquireSharedStarveExclusive(&g_Table.Lock, TRUE);
    exclusive = ExIsResourceAcquiredExclusiveLite(&g_Table.Lock);
    DbgPrint("shared: count %lu exclusive %d\n", ExIsResourceAcquiredLite(&g_Table.Lock), exclusive);
    ExReleaseResourceLite(&g_Table.Lock);
    ExReleaseResourceLite(&g_Table.Lock);
    KeLeaveCriticalRegion();
    return STATUS_SUCCESS;
}

int main(void)
{
    PDRIVER_OBJECT driver;
    pthread_t writers[2];
    int i;
    BOOLEAN idle;
    if (!NT_SUCCESS(WdfHostLoadDriver("ResTable", DriverEntry, &driver))) return 1;
    for (i = 0; i < 2; i++) pthread_create(&writers[i], NULL, Writer, NULL);
    Writer(NULL);
    for (i = 0; i < 2; i++) pthread_join(writers[i], NULL);
    idle = ExGetExclusiveWaiterCount(&g_Table.Lock) == 0 && ExGetSharedWaiterCount(&g_Table.Lock) == 0 &&
           ExTryToAcquireResourceExclusiveLite(&g_Table.Lock);
    if (idle) ExReleaseResourceLite(&g_Table.Lock);
    DbgPrint("table: %lu entries, irql %d, lock free %d\n", g_Table.Entries, KeGetCurrentIrql(), idle);
    NT_VERIFY(NT_SUCCESS(ExDeleteResourceLite(&g_Table.Lock)));
    return NT_SUCCESS(WdfHostUnloadDriver(driver)) ? 0 : 2;
}
