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
#include "fltkernel.h"

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

/* ============================================================================================
 * The host's file system: one volume, \Device\HarddiskVolume1 (also \??\C:), an in-memory
 * namespace. Names are full names (\??\C:\dir\file, \Device\HarddiskVolume1\dir\file) in
 * UTF-8 and compare case-insensitively. FILE_OPEN_IF / FILE_CREATE make an empty file; FILE_OPEN
 * of a missing name is STATUS_OBJECT_NAME_NOT_FOUND.
 * ============================================================================================ */

/* Adds an existing (empty) file. STATUS_OBJECT_PATH_NOT_FOUND for a name outside the volume. */
NTSTATUS WdfHostAddFile(_In_z_ const char *Name);

/* Makes every create of Name that reaches the file system fail with Status (a success status removes it). */
NTSTATUS WdfHostFailFile(_In_z_ const char *Name, _In_ NTSTATUS Status);

/* Forgets every name and failure (open files stay open). */
VOID WdfHostResetFileSystem(VOID);

/*
 * Issues a create as the I/O manager does for a caller: through every filter attached to the
 * volume, from the top. RequestorMode is KernelMode or UserMode (a user-mode create: its ECPs are
 * marked as coming from user mode, FltIsEcpFromUserMode). EcpList (optional) is the creator's:
 * free it after this returns. Returns the create's status; on success *FileHandle is open
 * (close it with ZwClose). IoStatusBlock (optional) receives the status and FILE_OPENED,
 * FILE_CREATED, ... Called at PASSIVE_LEVEL.
 */
NTSTATUS WdfHostCreateFile(_In_z_ const char *Name,
                           _In_ ACCESS_MASK DesiredAccess,
                           _In_ ULONG ShareAccess,
                           _In_ ULONG CreateDisposition,
                           _In_ ULONG CreateOptions,
                           _In_ KPROCESSOR_MODE RequestorMode,
                           _In_opt_ PECP_LIST EcpList,
                           _Out_ PHANDLE FileHandle,
                           _Out_opt_ PIO_STATUS_BLOCK IoStatusBlock);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _WDFHOST_H_ */
