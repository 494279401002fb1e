/*
 * semaphore_limit_stop.c - a driver releases its semaphore once too often: Windows raises
 * STATUS_SEMAPHORE_LIMIT_EXCEEDED, and nothing catches it (KMODE_EXCEPTION_NOT_HANDLED).
 */
// expect-stop: 0x0000001E
// expect: 0x00000000C0000047
#include <ntddk.h>
#include <wdfhost.h>

static KSEMAPHORE g_Slots;

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSemaphore(&g_Slots, 2, 2);
    KeReleaseSemaphore(&g_Slots, IO_NO_INCREMENT, 1, FALSE);
    return STATUS_SUCCESS;
}

int main(void)
{
    PDRIVER_OBJECT driver;
    return NT_SUCCESS(WdfHostLoadDriver("SemStop", DriverEntry, &driver)) ? 0 : 1;
}
