/*
 * wdfmon's leaking test program: a driver whose DriverEntry allocates one 100-byte block of
 * non-paged pool under the tag 'Leak' (in LeakOneBlock) and never frees it; every other block is
 * freed. Loaded and unloaded through the host. Exit status 0 unless loading fails: the leak is
 * for wdfmon (or the verifier, with pool tracking on) to find. With the argument "bugcheck" it
 * also frees a block twice (a bug check).
 */
#include <stdio.h>
#include <string.h>
#include <wdm.h>
#include <wdfhost.h>

#define TAG(a, b, c, d) ((ULONG)(a) | ((ULONG)(b) << 8) | ((ULONG)(c) << 16) | ((ULONG)(d) << 24))

static PVOID g_Leaked;

__attribute__((noinline)) static NTSTATUS LeakOneBlock(void) {
    g_Leaked = ExAllocatePoolWithTag(NonPagedPoolNx, 100, TAG('L', 'e', 'a', 'k'));
    return g_Leaked != NULL ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

static VOID DriverUnload(PDRIVER_OBJECT DriverObject) { UNREFERENCED_PARAMETER(DriverObject); }

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = DriverUnload;
    for (int i = 0; i < 10; i++) {
        PVOID block = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG('O', 'k', 'a', 'y'));
        if (block == NULL) return STATUS_INSUFFICIENT_RESOURCES;
        ExFreePoolWithTag(block, TAG('O', 'k', 'a', 'y'));
    }
    return LeakOneBlock();
}

/* With the argument "bugcheck": frees a block twice (BAD_POOL_CALLER 0x07) after loading. */
int main(int argc, char **argv) {
    PDRIVER_OBJECT driver;
    NTSTATUS status = WdfHostLoadDriver("LeakDrv", DriverEntry, &driver);
    if (!NT_SUCCESS(status)) { printf("load failed 0x%08X\n", (unsigned)status); return 1; }
    if (argc > 1 && strcmp(argv[1], "bugcheck") == 0) {
        PVOID block = ExAllocatePoolWithTag(NonPagedPoolNx, 40, TAG('T', 'w', 'i', 'c'));
        ExFreePoolWithTag(block, TAG('T', 'w', 'i', 'c'));
        ExFreePoolWithTag(block, TAG('T', 'w', 'i', 'c'));
    }
    status = WdfHostUnloadDriver(driver);
    printf("monitor-leak: unloaded (0x%08X)\n", (unsigned)status);
    return 0;
}
