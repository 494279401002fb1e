/*
 * kmdf_lock_release_stop.c - a WDFWAITLOCK released by a thread that never acquired it (the
 * acquire was on another path that failed). The framework stops with WDF_VIOLATION,
 * WDF_INVALID_LOCK_OPERATION (0xB), naming the lock.
 */
// expect-stop: 0x0000010D
// expect: WDF_INVALID_LOCK_OPERATION
#include <ntddk.h>
#include <wdf.h>
#include <wdfhost.h>

static WDFWAITLOCK g_Lock;

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    NTSTATUS status;

    WDF_DRIVER_CONFIG_INIT(&config, WDF_NO_EVENT_CALLBACK);
    config.DriverInitFlags = WdfDriverInitNonPnpDriver;
    status = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
    if (!NT_SUCCESS(status)) return status;
    return WdfWaitLockCreate(WDF_NO_OBJECT_ATTRIBUTES, &g_Lock);
}

int main(void)
{
    PDRIVER_OBJECT driver;
    LONGLONG timeout = -10 * 1000 * 10;   /* 10 ms, relative */
    if (!NT_SUCCESS(WdfHostLoadDriver("KmdfLockRelease", DriverEntry, &driver))) return 1;
    if (WdfWaitLockAcquire(g_Lock, &timeout) == STATUS_SUCCESS) WdfWaitLockRelease(g_Lock);
    WdfWaitLockRelease(g_Lock);   /* wrong: not held */
    return 0;
}
