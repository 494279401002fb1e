/*
 * wdfmon's clean test program: a driver that allocates and frees pool under two tags and uses a
 * lookaside list, then unloads with nothing outstanding. The optional argument N (default 1)
 * scales the number of blocks made under the tag 'Grow' (N x 10), so two runs differ in one tag
 * only (wdfmon diff). Exit status 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <wdm.h>
#include <wdfhost.h>

#define TAG(a, b, c, d) ((ULONG)(a) | ((ULONG)(b) << 8) | ((ULONG)(c) << 16) | ((ULONG)(d) << 24))

static LOOKASIDE_LIST_EX g_List;
static int g_Scale = 1;

static VOID DriverUnload(PDRIVER_OBJECT DriverObject) {
    UNREFERENCED_PARAMETER(DriverObject);
    ExDeleteLookasideListEx(&g_List);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = DriverUnload;
    NTSTATUS status = ExInitializeLookasideListEx(&g_List, NULL, NULL, NonPagedPoolNx, 0, 256, TAG('C', 'l', 'L', 'k'), 0);
    if (!NT_SUCCESS(status)) return status;
    for (int i = 0; i < 20; i++) {
        PVOID entry = ExAllocateFromLookasideListEx(&g_List);
        if (entry != NULL) ExFreeToLookasideListEx(&g_List, entry);
    }
    for (int i = 0; i < 10; i++) {
        PVOID block = ExAllocatePoolWithTag(PagedPool, 48, TAG('S', 'a', 'm', 'e'));
        if (block != NULL) ExFreePoolWithTag(block, TAG('S', 'a', 'm', 'e'));
    }
    for (int i = 0; i < 10 * g_Scale; i++) {
        PVOID block = ExAllocatePoolWithTag(NonPagedPoolNx, 200, TAG('G', 'r', 'o', 'w'));
        if (block != NULL) ExFreePoolWithTag(block, TAG('G', 'r', 'o', 'w'));
    }
    return STATUS_SUCCESS;
}

int main(int argc, char **argv) {
    if (argc > 1) g_Scale = atoi(argv[1]);
    PDRIVER_OBJECT driver;
    NTSTATUS status = WdfHostLoadDriver("CleanDrv", DriverEntry, &driver);
    if (!NT_SUCCESS(status)) { printf("load failed 0x%08X\n", (unsigned)status); return 1; }
    status = WdfHostUnloadDriver(driver);
    printf("monitor-clean: unloaded (0x%08X)\n", (unsigned)status);
    return NT_SUCCESS(status) ? 0 : 2;
}
