/*
 * A KMDF driver written in C++17 the way driver code is written (multi-character pool tags,
 * a context type, memory objects parented to a request, a lookaside list, the pool), built against
 * the installed SDK (pkg-config or CMake flags) with -Wall -Werror and run with the framework
 * verifier on. scripts/ci/sdk.sh builds and runs it; it prints one "check <name>: ok|FAIL" line per
 * check and a summary, and exits with the number of failures.
 */
#include <cstdio>
#include <cstring>
#include <wdm.h>
#include <wdf.h>
#include <wdfhost.h>

namespace {

constexpr ULONG kPoolTag = 'pxCS';    /* "SCxp" in poolmon */
constexpr ULONG kListTag = 'lxCS';

struct DEVICE_CONTEXT {
    WDFLOOKASIDE Lookaside;
    ULONG Requests;
};
using PDEVICE_CONTEXT = DEVICE_CONTEXT *;

int failures = 0;
int passes = 0;

void Check(const char *name, bool ok) {
    std::printf("check %s: %s\n", name, ok ? "ok" : "FAIL");
    (ok ? passes : failures)++;
}

/* Bytes in use under a tag (paged + non-paged), as poolmon reads them; ULONG_PTR(-1) on failure. */
ULONG_PTR BytesInUse(ULONG tag) {
    static UCHAR buffer[1 << 16];
    ULONG needed = 0;
    if (!NT_SUCCESS(ZwQuerySystemInformation(SystemPoolTagInformation, buffer, sizeof buffer, &needed))) {
        return static_cast<ULONG_PTR>(-1);
    }
    auto *info = reinterpret_cast<PSYSTEM_POOLTAG_INFORMATION>(buffer);
    for (ULONG i = 0; i < info->Count; i++) {
        if (info->TagInfo[i].TagUlong == tag) return info->TagInfo[i].PagedUsed + info->TagInfo[i].NonPagedUsed;
    }
    return 0;
}

}  // namespace

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, DeviceGetContext)

namespace {

WDFDEVICE g_Device = nullptr;
int g_Cleanups = 0;
int g_Unloads = 0;

VOID MemoryCleanup(WDFOBJECT Object) {
    UNREFERENCED_PARAMETER(Object);
    g_Cleanups++;
}

VOID EvtDriverUnload(WDFDRIVER Driver) {
    UNREFERENCED_PARAMETER(Driver);
    g_Unloads++;
}

NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit) {
    UNREFERENCED_PARAMETER(Driver);
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, DEVICE_CONTEXT);
    NTSTATUS status = WdfDeviceCreate(&DeviceInit, &attributes, &g_Device);
    if (!NT_SUCCESS(status)) return status;
    PDEVICE_CONTEXT context = DeviceGetContext(g_Device);
    WDF_OBJECT_ATTRIBUTES listAttributes;
    WDF_OBJECT_ATTRIBUTES_INIT(&listAttributes);
    listAttributes.ParentObject = g_Device;
    return WdfLookasideListCreate(&listAttributes, 512, NonPagedPoolNx, WDF_NO_OBJECT_ATTRIBUTES, kListTag,
                                  &context->Lookaside);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    config.EvtDriverUnload = EvtDriverUnload;
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

/* One request's work: a memory object from the device's lookaside list and one from the pool,
 * both parented to the request, and a scratch block from the pool. */
bool HandleRequest(PDEVICE_CONTEXT context) {
    WDF_OBJECT_ATTRIBUTES requestAttributes;
    WDF_OBJECT_ATTRIBUTES_INIT(&requestAttributes);
    WDFREQUEST request;
    if (!NT_SUCCESS(WdfRequestCreate(&requestAttributes, nullptr, &request))) return false;

    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = request;
    attributes.EvtCleanupCallback = MemoryCleanup;
    WDFMEMORY fromList;
    WDFMEMORY fromPool;
    PVOID buffer = nullptr;
    bool ok = NT_SUCCESS(WdfMemoryCreateFromLookaside(context->Lookaside, &fromList)) &&
              NT_SUCCESS(WdfMemoryCreate(&attributes, NonPagedPoolNx, kPoolTag, 100, &fromPool, &buffer));
    if (ok) {
        std::memset(buffer, 0xA5, 100);
        UCHAR last = 0;
        ok = NT_SUCCESS(WdfMemoryCopyToBuffer(fromPool, 99, &last, 1)) && last == 0xA5;
        WdfObjectDelete(fromList);
    }
    auto *scratch = static_cast<PUCHAR>(ExAllocatePool2(POOL_FLAG_PAGED, 64, kPoolTag));
    ok = ok && scratch != nullptr;
    if (scratch != nullptr) ExFreePoolWithTag(scratch, kPoolTag);
    WdfObjectDelete(request);
    context->Requests++;
    return ok;
}

}  // namespace

int main() {
    Check("verifier on", NT_SUCCESS(WdfHostSetServiceParameter("SdkCxx", "VerifierOn", 1)));
    Check("pool tracking on", NT_SUCCESS(WdfHostSetServiceParameter("SdkCxx", "VerifyDriverLevel", 0x8)));
    PDRIVER_OBJECT driverObject = nullptr;
    Check("load", WdfHostLoadDriver("SdkCxx", DriverEntry, &driverObject) == STATUS_SUCCESS);
    Check("add device", WdfHostAddDevice(driverObject, &g_Device) == STATUS_SUCCESS && g_Device != nullptr);
    PDEVICE_CONTEXT context = DeviceGetContext(g_Device);
    Check("device context", context != nullptr && context->Lookaside != nullptr && context->Requests == 0);
    bool all = true;
    for (int i = 0; i < 1000; i++) all = HandleRequest(context) && all;
    Check("1000 requests", all && context->Requests == 1000);
    Check("cleanup callbacks ran with their parent", g_Cleanups == 1000);
    Check("the pool tag is back to zero", BytesInUse(kPoolTag) == 0);
    Check("the list's tag is in use", BytesInUse(kListTag) > 0 && BytesInUse(kListTag) != static_cast<ULONG_PTR>(-1));
    Check("unload", WdfHostUnloadDriver(driverObject) == STATUS_SUCCESS && g_Unloads == 1);
    Check("the device's list went with the driver", BytesInUse(kListTag) == 0);
    std::printf("summary: %d checks ok, %d failed\n", passes, failures);
    return failures;
}
