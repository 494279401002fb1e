/*
 * kmdf_spinlock_paged_stop.c - the classic bug with the framework's lock: paged memory made
 * while a WDFSPINLOCK is held (DISPATCH_LEVEL). The run stops at the allocation with
 * BAD_POOL_CALLER.
 */
// expect-stop: 0x000000C2
// expect: BAD_POOL_CALLER
#include <ntddk.h>
#include <wdf.h>
#include <wdfhost.h>

#define PAGED_TAG 'gaPW'

static WDFSPINLOCK g_Lock;

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    PVOID buffer;
    NTSTATUS status;

    WDF_DRIVER_CONFIG_INIT(&config, WDF_NO_EVENT_CALLBACK);
    config.DriverInitFlags = WdfDriverInitNonPnpDriver;
    status = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
    if (!NT_SUCCESS(status)) return status;
    status = WdfSpinLockCreate(WDF_NO_OBJECT_ATTRIBUTES, &g_Lock);
    if (!NT_SUCCESS(status)) return status;

    WdfSpinLockAcquire(g_Lock);
    buffer = ExAllocatePool2(POOL_FLAG_PAGED, 128, PAGED_TAG);   /* wrong: paged pool at DISPATCH_LEVEL */
    WdfSpinLockRelease(g_Lock);
    if (buffer != NULL) ExFreePoolWithTag(buffer, PAGED_TAG);
    return STATUS_SUCCESS;
}

int main(void)
{
    PDRIVER_OBJECT driver;
    if (!NT_SUCCESS(WdfHostLoadDriver("KmdfSpinPaged", DriverEntry, &driver))) return 1;
    return 0;
}
