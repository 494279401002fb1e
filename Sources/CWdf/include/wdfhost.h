/*
 * wdfhost.h - the host: what plays the part of the Windows I/O manager, PnP manager, registry and
 * process manager for drivers loaded into a Linux process.
 *
 * A driver is an ordinary C function `NTSTATUS DriverEntry(PDRIVER_OBJECT, PUNICODE_STRING)`.
 * A test program or tool loads it with WdfHostLoadDriver, exercises it, and unloads it with
 * WdfHostUnloadDriver, which reports leaks when pool tracking is on.
 */
#ifndef _WDFHOST_H_
#define _WDFHOST_H_

#include "wdm.h"
#include "wdf.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Loads a driver: makes a DRIVER_OBJECT and the registry path
 * \Registry\Machine\System\CurrentControlSet\Services\<ServiceName> (UTF-16), calls DriverEntry
 * at PASSIVE_LEVEL on the calling thread and returns its status. On success *DriverObject
 * receives the driver object; on failure nothing stays loaded.
 */
NTSTATUS WdfHostLoadDriver(_In_z_ const char *ServiceName,
                           _In_ PDRIVER_INITIALIZE DriverEntry,
                           _Out_ PDRIVER_OBJECT *DriverObject);

/*
 * Unloads a driver: calls its unload routines (EvtDriverUnload, DriverUnload, a registered
 * filter's unload callback) and deletes the WDFDRIVER with everything still parented to it.
 * With pool tracking on, leaked allocations are reported and STATUS_MORE_ENTRIES is returned;
 * otherwise STATUS_SUCCESS.
 */
NTSTATUS WdfHostUnloadDriver(_In_ PDRIVER_OBJECT DriverObject);

/*
 * Sets a DWORD value under the service's Parameters\Wdf key, read when the driver loads
 * (VerifierOn, VerifierAllocateFailCount, DbgBreakOnError, TrackHandles, ...). Unknown names
 * are stored and ignored.
 */
NTSTATUS WdfHostSetServiceParameter(_In_z_ const char *ServiceName,
                                    _In_z_ const char *ValueName,
                                    _In_ ULONG Value);

/*
 * From now on the calling thread runs in the emulated process ImageName (created on first use
 * with the given quota limits, in bytes); quota charges go to it. A NULL ImageName returns the
 * thread to the System process, which is never charged.
 */
NTSTATUS WdfHostSetCurrentProcess(_In_opt_z_ const char *ImageName,
                                  _In_ SIZE_T PagedQuotaLimit,
                                  _In_ SIZE_T NonPagedQuotaLimit);

/* Reads the paged and non-paged pool quota currently charged to the process ImageName. */
NTSTATUS WdfHostQueryProcessQuota(_In_z_ const char *ImageName,
                                  _Out_opt_ SIZE_T *PagedUsage,
                                  _Out_opt_ SIZE_T *NonPagedUsage);

/*
 * Plays PnP for a loaded driver: calls its EvtDriverDeviceAdd (from WDF_DRIVER_CONFIG) at
 * PASSIVE_LEVEL with a fresh PWDFDEVICE_INIT; the driver calls WdfDeviceCreate with it. Returns
 * the callback's status; on success *Device receives the device it created (a child of the
 * driver, deleted at unload).
 */
NTSTATUS WdfHostAddDevice(_In_ PDRIVER_OBJECT DriverObject,
                          _Out_ WDFDEVICE *Device);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _WDFHOST_H_ */
