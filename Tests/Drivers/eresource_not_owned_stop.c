/*
 * eresource_not_owned_stop.c - a driver releases an ERESOURCE twice on an error path:
 * RESOURCE_NOT_OWNED.
 */
// expect-stop: 0x000000E3
// expect: RESOURCE_NOT_OWNED
#include <ntddk.h>
#include <wdfhost.h>

static ERESOURCE g_Lock;

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    NT_VERIFY(NT_SUCCESS(ExInitializeResourceLite(&g_Lock)));
    KeEnterCriticalRegion();
    (VOID)ExAcquireResourceExclusiveLite(&g_Lock, TRUE);
    ExReleaseResourceLite(&g_Lock);
    ExReleaseResourceLite(&g_Lock);
    KeLeaveCriticalRegion();
    return STATUS_SUCCESS;
}

int main(void)
{
    PDRIVER_OBJECT driver;
    return NT_SUCCESS(WdfHostLoadDriver("ResStop", DriverEntry, &driver)) ? 0 : 1;
}
