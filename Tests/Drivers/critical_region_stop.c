/*
 * critical_region_stop.c - a driver whose error path leaves a critical region it never entered:
 * APC_INDEX_MISMATCH.
 */
// expect-stop: 0x00000001
// expect: APC_INDEX_MISMATCH
#include <ntddk.h>
#include <wdfhost.h>

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    KeLeaveCriticalRegion();
    return STATUS_SUCCESS;
}

int main(void)
{
    PDRIVER_OBJECT driver;
    return NT_SUCCESS(WdfHostLoadDriver("CritStop", DriverEntry, &driver)) ? 0 : 1;
}
