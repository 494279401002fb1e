/*
 * assert_fails.c - a checked (DBG) build whose assertion fails: the run stops with a report naming
 * the expression, the message, the file and the line.
 */
// expect-stop: 0x0000001E
// expect: RtlAssert: assertion failed: Count == 3 (three entries expected), file Tests/Drivers/assert_fails.c
#include <ntddk.h>
#include <wdfhost.h>

static ULONG Count;

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    Count = 2;
    ASSERTMSG("three entries expected", Count == 3);
#if !DBG
    KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, 0, 0, 0, 0); /* the free build has no assertion */
#endif
    return STATUS_SUCCESS;
}

int main(void)
{
    PDRIVER_OBJECT driver;
    if (!NT_SUCCESS(WdfHostLoadDriver("AssertFails", DriverEntry, &driver))) return 1;
    return 0;
}
