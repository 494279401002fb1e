/*
 * kmdf_glue.c - what a KMDF driver's DriverEntry and EvtDriverDeviceAdd commonly call around
 * WdfDriverCreate: the WDM driver object and registry path back from the framework, the current
 * driver, the driver of a device, the version check, and context types declared cache-aligned
 * (DECLSPEC_ALIGN(64) / DECLSPEC_CACHEALIGN), which must get contexts so aligned.
 */
// expect: wdm object matches: 1, WdfGetDriver matches: 1
// expect: registry path: \Registry\Machine\System\CurrentControlSet\Services\KmdfGlue
// expect: version 1.0: 1, 1.33: 1, 2.0: 0
// expect: second WdfDriverCreate: 0xc0000183
// expect: device's driver matches: 1
// expect: aligned contexts: 64-byte 0, cache-aligned 0, 32-byte 0 (of 200 objects)
// expect: legacy driver with EvtDriverDeviceAdd: 0xc000000d
// expect: unload status: 0x0
#include <ntddk.h>
#include <wdf.h>
#include <wdfhost.h>

typedef struct DECLSPEC_ALIGN(64) _RING_CONTEXT {
    ULONG Head;
    ULONG Tail;
} RING_CONTEXT, *PRING_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE(RING_CONTEXT)

typedef struct DECLSPEC_CACHEALIGN _STATS_CONTEXT {
    LONG64 Count;
} STATS_CONTEXT, *PSTATS_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(STATS_CONTEXT, GetStats)

typedef struct DECLSPEC_ALIGN(32) _SMALL_CONTEXT {
    UCHAR Byte;
} SMALL_CONTEXT, *PSMALL_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(SMALL_CONTEXT, GetSmall)

static WDFDEVICE g_Device;
static WDFDRIVER g_DeviceDriver;

EVT_WDF_DRIVER_DEVICE_ADD GlueDeviceAdd;
DRIVER_INITIALIZE DriverEntry;
DRIVER_INITIALIZE LegacyDriverEntry;

_Use_decl_annotations_
NTSTATUS GlueDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    NTSTATUS status = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &g_Device);
    if (NT_SUCCESS(status)) g_DeviceDriver = WdfDeviceGetDriver(g_Device);
    return g_DeviceDriver == Driver ? status : STATUS_UNSUCCESSFUL;
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_VERSION_AVAILABLE_PARAMS version;
    WDFDRIVER driver, second;
    NTSTATUS status;
    BOOLEAN v10, v133, v20;

    WDF_DRIVER_CONFIG_INIT(&config, GlueDeviceAdd);
    status = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, &driver);
    if (!NT_SUCCESS(status)) return status;

    DbgPrint("wdm object matches: %d, WdfGetDriver matches: %d\n",
             WdfDriverWdmGetDriverObject(driver) == DriverObject, WdfGetDriver() == driver);
    DbgPrint("registry path: %ws\n", WdfDriverGetRegistryPath(driver));

    WDF_DRIVER_VERSION_AVAILABLE_PARAMS_INIT(&version, 1, 0);
    v10 = WdfDriverIsVersionAvailable(driver, &version);
    WDF_DRIVER_VERSION_AVAILABLE_PARAMS_INIT(&version, 1, 33);
    v133 = WdfDriverIsVersionAvailable(driver, &version);
    WDF_DRIVER_VERSION_AVAILABLE_PARAMS_INIT(&version, 2, 0);
    v20 = WdfDriverIsVersionAvailable(driver, &version);
    DbgPrint("version 1.0: %d, 1.33: %d, 2.0: %d\n", v10, v133, v20);

    status = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, &second);
    DbgPrint("second WdfDriverCreate: 0x%x\n", (unsigned)status);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS LegacyDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, GlueDeviceAdd);
    config.DriverInitFlags = WdfDriverInitNonPnpDriver;
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static int AlignedContexts(void)
{
    ULONG misaligned64 = 0, misalignedCache = 0, misaligned32 = 0, i;
    WDFOBJECT objects[200];
    for (i = 0; i < RTL_NUMBER_OF(objects); i++) {
        WDF_OBJECT_ATTRIBUTES attributes;
        PRING_CONTEXT ring;
        PVOID stats, small;
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, RING_CONTEXT);
        if (!NT_SUCCESS(WdfObjectCreate(&attributes, &objects[i]))) return 0;
        ring = WdfObjectGet_RING_CONTEXT(objects[i]);
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, STATS_CONTEXT);
        if (!NT_SUCCESS(WdfObjectAllocateContext(objects[i], &attributes, &stats))) return 0;
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, SMALL_CONTEXT);
        if (!NT_SUCCESS(WdfObjectAllocateContext(objects[i], &attributes, &small))) return 0;
        misaligned64 += ((ULONG_PTR)ring % 64) != 0;
        misalignedCache += ((ULONG_PTR)GetStats(objects[i]) % 64) != 0 || stats != GetStats(objects[i]);
        misaligned32 += ((ULONG_PTR)GetSmall(objects[i]) % 32) != 0 || small != GetSmall(objects[i]);
        ring->Head = i;
        GetStats(objects[i])->Count = i;
        GetSmall(objects[i])->Byte = (UCHAR)i;
        if (WdfObjectContextGetObject(ring) != objects[i] || WdfObjectContextGetObject(small) != objects[i]) return 0;
    }
    DbgPrint("aligned contexts: 64-byte %lu, cache-aligned %lu, 32-byte %lu (of %u objects)\n", misaligned64,
             misalignedCache, misaligned32, (unsigned)RTL_NUMBER_OF(objects));
    for (i = 0; i < RTL_NUMBER_OF(objects); i++) WdfObjectDelete(objects[i]);
    return 1;
}

int main(void)
{
    PDRIVER_OBJECT driverObject, legacy;
    WDFDEVICE device;
    NTSTATUS status;
    if (!NT_SUCCESS(WdfHostLoadDriver("KmdfGlue", DriverEntry, &driverObject))) return 1;
    if (!NT_SUCCESS(WdfHostAddDevice(driverObject, &device)) || device != g_Device) return 2;
    DbgPrint("device's driver matches: %d\n", g_DeviceDriver == WdfGetDriver());
    if (!AlignedContexts()) return 3;

    status = WdfHostLoadDriver("KmdfLegacy", LegacyDriverEntry, &legacy);
    DbgPrint("legacy driver with EvtDriverDeviceAdd: 0x%x\n", (unsigned)status);

    status = WdfHostUnloadDriver(driverObject);
    DbgPrint("unload status: 0x%x\n", (unsigned)status);
    return NT_SUCCESS(status) ? 0 : 4;
}
