/*
 * wdfmon's long-running test program: a KMDF driver that, for the number of seconds given
 * (default 5), allocates one block under the tag 'Busy' every 10 ms and keeps them, and holds a
 * memory object with a context under its driver (the object tree). Prints "monitor-busy: ready"
 * once loaded, frees everything and unloads at the end. Exit status 0.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep under -std=c11 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <wdf.h>
#include <wdfhost.h>

#define TAG(a, b, c, d) ((ULONG)(a) | ((ULONG)(b) << 8) | ((ULONG)(c) << 16) | ((ULONG)(d) << 24))

typedef struct _BUSY_CONTEXT { ULONG Count; } BUSY_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(BUSY_CONTEXT, GetBusyContext)

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit) {
    UNREFERENCED_PARAMETER(Driver);
    UNREFERENCED_PARAMETER(DeviceInit);
    return STATUS_SUCCESS;
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

int main(int argc, char **argv) {
    int seconds = argc > 1 ? atoi(argv[1]) : 5;
    PDRIVER_OBJECT driver;
    NTSTATUS status = WdfHostLoadDriver("BusyDrv", DriverEntry, &driver);
    if (!NT_SUCCESS(status)) { printf("load failed 0x%08X\n", (unsigned)status); return 1; }

    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, BUSY_CONTEXT);
    WDFMEMORY memory;
    PVOID buffer;
    status = WdfMemoryCreate(&attributes, NonPagedPoolNx, TAG('B', 'u', 'M', 'o'), 512, &memory, &buffer);
    if (!NT_SUCCESS(status)) { printf("memory failed 0x%08X\n", (unsigned)status); return 1; }
    GetBusyContext(memory)->Count = 1;
    printf("monitor-busy: ready\n");
    fflush(stdout);

    int capacity = seconds * 100 + 16, count = 0;
    PVOID *blocks = calloc((size_t)capacity, sizeof(PVOID));
    struct timespec start, now, pause = {0, 10 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        if (count < capacity) {
            blocks[count] = ExAllocatePoolWithTag(NonPagedPoolNx, 32, TAG('B', 'u', 's', 'y'));
            if (blocks[count] != NULL) count++;
        }
        nanosleep(&pause, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec - start.tv_sec < seconds);

    for (int i = 0; i < count; i++) ExFreePoolWithTag(blocks[i], TAG('B', 'u', 's', 'y'));
    free(blocks);
    WdfObjectDelete(memory);
    status = WdfHostUnloadDriver(driver);
    printf("monitor-busy: %d blocks, unloaded (0x%08X)\n", count, (unsigned)status);
    return 0;
}
