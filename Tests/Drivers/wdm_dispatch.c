/*
 * wdm_dispatch.c - a pure WDM driver (no framework): DriverEntry fills the dispatch table, the
 * driver extension's AddDevice and DriverUnload, keeps pool for its lifetime, and reads the
 * driver object the I/O manager made (name, extension, image, defaults). The host calls its
 * DriverUnload at unload, which frees the pool (pool tracking is on: a leak would stop).
 */
// expect: driver name: \Driver\WdmDisp
// expect: service key: WdmDisp
// expect: registry path: \Registry\Machine\System\CurrentControlSet\Services\WdmDisp
// expect: extension back link: 1, image holds DriverEntry: 1, DriverInit: 1, type 4, size 336
// expect: hardware database: \REGISTRY\MACHINE\HARDWARE\DESCRIPTION\SYSTEM
// expect: default dispatch: 0xc0000010
// expect: create: 0x0, device control: 0x0, read: 0xc0000010, calls 2
// expect: unload called once, pool freed: 1
// expect: unload status: 0x0
#include <ntddk.h>
#include <wdfhost.h>

#define WDM_TAG 'mdWS'

typedef struct _WDM_STATE {
    ULONG Opens;
    ULONG Controls;
} WDM_STATE, *PWDM_STATE;

static PWDM_STATE g_State;
static ULONG g_Unloads;
static ULONG g_Calls;

DRIVER_INITIALIZE DriverEntry;
DRIVER_ADD_DEVICE WdmAddDevice;
DRIVER_UNLOAD WdmUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH WdmCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH WdmDeviceControl;

_Use_decl_annotations_
NTSTATUS WdmAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(PhysicalDeviceObject);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS WdmCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    g_State->Opens++;
    g_Calls++;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS WdmDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    g_State->Controls++;
    g_Calls++;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
VOID WdmUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);   /* used by the checked build's assertion only */
    PAGED_CODE();
    NT_ASSERT(DriverObject->DriverUnload == WdmUnload);
    g_Unloads++;
    ExFreePoolWithTag(g_State, WDM_TAG);
    g_State = NULL;
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PDRIVER_EXTENSION driverExtension = DriverObject->DriverExtension;
    ULONG_PTR entry = (ULONG_PTR)DriverEntry;
    ULONG_PTR start = (ULONG_PTR)DriverObject->DriverStart;
    NTSTATUS status;

    DbgPrint("driver name: %wZ\n", &DriverObject->DriverName);
    DbgPrint("service key: %wZ\n", &driverExtension->ServiceKeyName);
    DbgPrint("registry path: %wZ\n", RegistryPath);
    DbgPrint("extension back link: %d, image holds DriverEntry: %d, DriverInit: %d, type %d, size %d\n",
             driverExtension->DriverObject == DriverObject,
             entry >= start && entry < start + DriverObject->DriverSize,
             DriverObject->DriverInit == DriverEntry, DriverObject->Type, DriverObject->Size);
    DbgPrint("hardware database: %wZ\n", DriverObject->HardwareDatabase);
    /* What the I/O manager put in every entry before DriverEntry. */
    status = DriverObject->MajorFunction[IRP_MJ_READ](NULL, NULL);
    DbgPrint("default dispatch: 0x%x\n", (unsigned)status);

    g_State = (PWDM_STATE)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(WDM_STATE), WDM_TAG);
    if (g_State == NULL) return STATUS_INSUFFICIENT_RESOURCES;

    DriverObject->MajorFunction[IRP_MJ_CREATE] = WdmCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = WdmCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = WdmDeviceControl;
    DriverObject->DriverExtension->AddDevice = WdmAddDevice;
    DriverObject->DriverUnload = WdmUnload;
    return STATUS_SUCCESS;
}

int main(void)
{
    PDRIVER_OBJECT driver;
    NTSTATUS create, control, read, status;
    if (!NT_SUCCESS(WdfHostLoadDriver("WdmDisp", DriverEntry, &driver))) return 1;
    if (driver->DriverExtension->AddDevice != WdmAddDevice) return 2;

    /* The host sends no IRPs; the test calls the table as the I/O manager would. */
    create = driver->MajorFunction[IRP_MJ_CREATE](NULL, NULL);
    control = driver->MajorFunction[IRP_MJ_DEVICE_CONTROL](NULL, NULL);
    read = driver->MajorFunction[IRP_MJ_READ](NULL, NULL);
    DbgPrint("create: 0x%x, device control: 0x%x, read: 0x%x, calls %lu\n", (unsigned)create,
             (unsigned)control, (unsigned)read, g_Calls);

    status = WdfHostUnloadDriver(driver);
    DbgPrint("unload called %s, pool freed: %d\n", g_Unloads == 1 ? "once" : "not once", g_State == NULL);
    DbgPrint("unload status: 0x%x\n", (unsigned)status);
    return NT_SUCCESS(status) ? 0 : 3;
}
