/*
 * spinlock_paged_stop.c - the classic bug: paged pool allocated while a spin lock is held
 * (DISPATCH_LEVEL). The run stops at the allocation with BAD_POOL_CALLER.
 */
// expect-stop: 0x000000C2
// expect: BAD_POOL_CALLER
#include <ntddk.h>
#include <wdfhost.h>

static KSPIN_LOCK g_Lock;

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    KIRQL oldIrql;
    PVOID buffer;
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&g_Lock);
    KeAcquireSpinLock(&g_Lock, &oldIrql);
    buffer = ExAllocatePoolWithTag(PagedPool, 128, 'gaPS');   /* wrong: paged pool at DISPATCH_LEVEL */
    KeReleaseSpinLock(&g_Lock, oldIrql);
    if (buffer != NULL) ExFreePoolWithTag(buffer, 'gaPS');
    return STATUS_SUCCESS;
}

int main(void)
{
    PDRIVER_OBJECT driver;
    if (!NT_SUCCESS(WdfHostLoadDriver("SpinPaged", DriverEntry, &driver))) return 1;
    return 0;
}
