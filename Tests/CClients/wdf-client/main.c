/*
 * A KMDF driver loaded through the host that runs the examples of the WdfMemoryCreate and
 * WdfMemoryCreateFromLookaside reference pages verbatim, with checks around them.
 * Prints one "check <name>: ok|FAIL" line per check; exits with the number of failures.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wdf.h>
#include <wdfhost.h>

#define TAG(a, b, c, d) ((ULONG)(a) | ((ULONG)(b) << 8) | ((ULONG)(c) << 16) | ((ULONG)(d) << 24))
#define MY_POOL_TAG TAG('M', 'y', 'L', 'k')
#define WRITE_BUFFER_SIZE 1000

typedef struct _MY_LOOKASIDE_BUFFER { UCHAR Data[200]; } MY_LOOKASIDE_BUFFER;

typedef struct _DRIVER_CONTEXT {
    WDFLOOKASIDE LookasideListHandle;
} DRIVER_CONTEXT, *PDRIVER_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DRIVER_CONTEXT, GetDriverContext)

static int failures, passes;
static void check(const char *name, int ok) {
    printf("check %s: %s\n", name, ok ? "ok" : "FAIL");
    if (ok) passes++; else failures++;
}

static WDFDRIVER driver;
static WDFDEVICE g_Device;
static int g_MemoryCleanups, g_RequestCleanups, g_CleanupOrderOk = 1, g_ListDestroyed, g_EvtUnload;

static VOID MemoryCleanup(WDFOBJECT Object) { (void)Object; g_MemoryCleanups++; }
static VOID RequestCleanup(WDFOBJECT Object) {
    (void)Object;
    if (g_MemoryCleanups == 0) g_CleanupOrderOk = 0;  /* children clean up before their parent */
    g_RequestCleanups++;
}
static VOID ListDestroy(WDFOBJECT Object) { (void)Object; g_ListDestroyed++; }
static VOID EvtUnload(WDFDRIVER Driver) { (void)Driver; g_EvtUnload++; }

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit) {
    (void)Driver;
    return WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &g_Device);
}

static ULONG_PTR NonPagedUsed(ULONG tag) {
    static unsigned char buffer[1 << 16];
    ULONG needed;
    if (!NT_SUCCESS(ZwQuerySystemInformation(SystemPoolTagInformation, buffer, sizeof buffer, &needed))) return (ULONG_PTR)-1;
    PSYSTEM_POOLTAG_INFORMATION info = (PSYSTEM_POOLTAG_INFORMATION)buffer;
    for (ULONG i = 0; i < info->Count; i++) if (info->TagInfo[i].TagUlong == tag) return info->TagInfo[i].NonPagedUsed;
    return 0;
}

/* The example of the WdfMemoryCreate page, verbatim inside a function. */
static NTSTATUS MemoryCreateExample(WDFREQUEST requestHandle, WDFMEMORY *out, PVOID *outBuffer) {
NTSTATUS  status;
WDF_OBJECT_ATTRIBUTES  attributes;
WDFMEMORY  writeBufferMemHandle;
PVOID  writeBufferPointer;

WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
attributes.ParentObject = requestHandle;
status = WdfMemoryCreate(
                         &attributes,
                         NonPagedPool,
                         0,
                         WRITE_BUFFER_SIZE,
                         &writeBufferMemHandle,
                         &writeBufferPointer
                         );
    *out = writeBufferMemHandle;
    *outBuffer = writeBufferPointer;
    return status;
}

/* The example of the WdfMemoryCreateFromLookaside page, verbatim inside a function. */
static NTSTATUS LookasideExample(WDFMEMORY *out) {
NTSTATUS status;
PDRIVER_CONTEXT  driverContext;
WDFMEMORY  memHandle;

driverContext = GetDriverContext(driver);

status = WdfLookasideListCreate(
                                WDF_NO_OBJECT_ATTRIBUTES,
                                sizeof(MY_LOOKASIDE_BUFFER),
                                NonPagedPool,
                                WDF_NO_OBJECT_ATTRIBUTES,
                                MY_POOL_TAG,
                                &driverContext->LookasideListHandle
                                );
if (!NT_SUCCESS(status)) return status;
status = WdfMemoryCreateFromLookaside(
                                      driverContext->LookasideListHandle,
                                      &memHandle
                                      );
    *out = memHandle;
    return status;
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    WDF_DRIVER_CONFIG config;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    config.EvtDriverUnload = EvtUnload;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, DRIVER_CONTEXT);
    NTSTATUS status = WdfDriverCreate(DriverObject, RegistryPath, &attributes, &config, &driver);
    check("WdfDriverCreate", status == STATUS_SUCCESS && driver != NULL);
    check("driver context zeroed", GetDriverContext(driver) != NULL && GetDriverContext(driver)->LookasideListHandle == NULL);
    check("WdfObjectContextGetObject", WdfObjectContextGetObject(GetDriverContext(driver)) == (WDFOBJECT)driver);
    return status;
}

/* Bug-check modes: each ends the process with a stop line the Swift test checks. */
static int RunBugCheckMode(const char *mode) {
    WDFMEMORY memory;
    if (strcmp(mode, "null-out") == 0) {
        (void)WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPool, 0, 16, NULL, NULL);
    } else if (strcmp(mode, "garbage-handle") == 0) {
        WdfObjectDelete((WDFOBJECT)(uintptr_t)0xDEADBEE0);
    } else if (strcmp(mode, "stale-handle") == 0) {
        (void)WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPool, 0, 16, &memory, NULL);
        WdfObjectDelete(memory);
        (void)WdfMemoryGetBuffer(memory, NULL);
    } else if (strcmp(mode, "wrong-type") == 0) {
        WDFOBJECT object;
        (void)WdfObjectCreate(WDF_NO_OBJECT_ATTRIBUTES, &object);
        (void)WdfMemoryCreateFromLookaside((WDFLOOKASIDE)object, &memory);
    } else if (strcmp(mode, "bad-parent") == 0) {
        WDF_OBJECT_ATTRIBUTES attributes;
        WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
        attributes.ParentObject = (WDFOBJECT)(uintptr_t)0x5744000000001230;
        (void)WdfMemoryCreate(&attributes, NonPagedPool, 0, 0, &memory, NULL);
    }
    printf("no bug check\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1) return RunBugCheckMode(argv[1]);
    PDRIVER_OBJECT driverObject;
    NTSTATUS status = WdfHostLoadDriver("WdfSampleDrv", DriverEntry, &driverObject);
    check("load", status == STATUS_SUCCESS);
    status = WdfHostAddDevice(driverObject, &g_Device);
    check("WdfHostAddDevice", status == STATUS_SUCCESS && g_Device != NULL);

    /* A request with a cleanup callback, parent of the memory of the first example. */
    WDF_OBJECT_ATTRIBUTES requestAttributes;
    WDF_OBJECT_ATTRIBUTES_INIT(&requestAttributes);
    requestAttributes.EvtCleanupCallback = RequestCleanup;
    WDFREQUEST request;
    check("WdfRequestCreate", WdfRequestCreate(&requestAttributes, NULL, &request) == STATUS_SUCCESS);

    WDFMEMORY memory;
    PVOID buffer;
    ULONG driverTag = TAG('S', 'a', 'm', 'p');  /* "WdfSampleDrv" -> "Samp" */
    ULONG_PTR before = NonPagedUsed(driverTag);
    status = MemoryCreateExample(request, &memory, &buffer);
    check("WdfMemoryCreate example", status == STATUS_SUCCESS && memory != NULL && buffer != NULL);
    size_t size = 0;
    check("buffer and size", WdfMemoryGetBuffer(memory, &size) == buffer && size == WRITE_BUFFER_SIZE);
    check("16-byte aligned", ((uintptr_t)buffer % 16) == 0);
    check("accounted under the driver's tag", NonPagedUsed(driverTag) == before + 1024);
    memset(buffer, 0x5A, WRITE_BUFFER_SIZE);
    UCHAR copy[10];
    check("WdfMemoryCopyToBuffer", WdfMemoryCopyToBuffer(memory, 990, copy, 10) == STATUS_SUCCESS && copy[9] == 0x5A);
    check("WdfMemoryCopyToBuffer past the end", WdfMemoryCopyToBuffer(memory, 991, copy, 10) == STATUS_BUFFER_TOO_SMALL);
    check("WdfMemoryCopyFromBuffer past the end", WdfMemoryCopyFromBuffer(memory, 1000, copy, 1) == STATUS_INVALID_BUFFER_SIZE);
    check("zero-size WdfMemoryCreate", WdfMemoryCreate(NULL, NonPagedPool, 0, 0, &memory, NULL) == STATUS_INVALID_PARAMETER);

    /* A second memory object under the request, with a cleanup callback. */
    WDF_OBJECT_ATTRIBUTES memoryAttributes;
    WDF_OBJECT_ATTRIBUTES_INIT(&memoryAttributes);
    memoryAttributes.ParentObject = request;
    memoryAttributes.EvtCleanupCallback = MemoryCleanup;
    WDFMEMORY second;
    check("page-sized memory", WdfMemoryCreate(&memoryAttributes, PagedPool, 'x', PAGE_SIZE, &second, &buffer) == STATUS_SUCCESS &&
                                   ((uintptr_t)buffer % PAGE_SIZE) == 0);
    WdfObjectDelete(request);
    check("deleting the parent takes the memory with it", NonPagedUsed(driverTag) == before);
    check("children clean up first", g_MemoryCleanups == 1 && g_RequestCleanups == 1 && g_CleanupOrderOk);

    /* The lookaside example, then: deleting the list leaves its memory valid. */
    WDFMEMORY fromList = NULL;
    status = LookasideExample(&fromList);
    check("WdfMemoryCreateFromLookaside example", status == STATUS_SUCCESS && fromList != NULL);
    PVOID listBuffer = WdfMemoryGetBuffer(fromList, &size);
    check("lookaside buffer", listBuffer != NULL && size == sizeof(MY_LOOKASIDE_BUFFER));
    int zeroed = 1;
    for (size_t i = 0; i < size; i++) zeroed &= ((UCHAR *)listBuffer)[i] == 0;
    check("non-paged lookaside buffers are zeroed", zeroed);
    check("accounted under the list's tag", NonPagedUsed(MY_POOL_TAG) > 0);
    WdfObjectDelete(GetDriverContext(driver)->LookasideListHandle);
    memset(listBuffer, 1, size);
    check("memory from a deleted list stays valid", WdfMemoryGetBuffer(fromList, NULL) == listBuffer);
    WdfObjectDelete(fromList);
    check("the list's entries are freed after its last memory object", NonPagedUsed(MY_POOL_TAG) == 0);

    /* A list with a destroy callback: destroyed only after its last memory object. */
    WDF_OBJECT_ATTRIBUTES listAttributes;
    WDF_OBJECT_ATTRIBUTES_INIT(&listAttributes);
    listAttributes.EvtDestroyCallback = ListDestroy;
    WDFLOOKASIDE list;
    check("WdfLookasideListCreate", WdfLookasideListCreate(&listAttributes, 64, NonPagedPoolNx, NULL, 0, &list) == STATUS_SUCCESS);
    WDFMEMORY a, b;
    WdfMemoryCreateFromLookaside(list, &a);
    WdfMemoryCreateFromLookaside(list, &b);
    WdfObjectDelete(list);
    check("list not destroyed while memory remains", g_ListDestroyed == 0);
    WdfObjectDelete(a);
    WdfObjectDelete(b);
    check("list destroyed after its last memory object", g_ListDestroyed == 1);

    /* References keep a deleted object readable until the last one goes. */
    WDFOBJECT generic;
    check("WdfObjectCreate", WdfObjectCreate(WDF_NO_OBJECT_ATTRIBUTES, &generic) == STATUS_SUCCESS);
    WdfObjectReference(generic);
    WdfObjectDelete(generic);
    WdfObjectDelete(generic); /* already torn down: nothing happens */
    WdfObjectDereference(generic);

    status = WdfHostUnloadDriver(driverObject);
    check("unload", status == STATUS_SUCCESS && g_EvtUnload == 1);
    printf("summary: %d checks ok, %d failed\n", passes, failures);
    return failures;
}
