/*
 * A driver with the classic bugs, one per run: `verifier-client <bug>`. Run it with Driver
 * Verifier's settings in the environment (WDF_VERIFIER_SETTINGS), as an unmodified program is:
 * each bug stops with Windows' code and a report naming the function and line below.
 *
 *   clean              every allocation freed: runs clean with every setting on
 *   leak-pool          a pool block never freed                       (0x8: 0xC4/0x62)
 *   leak-lookaside     a lookaside entry taken and never returned     (0x8: 0xC4/0x62)
 *   init-forgets       DriverEntry's error path forgets its first block (0x8: 0xC4/0x62)
 *   overrun            one byte written past a block's end            (0x1: 0xCD)
 *   overrun-slack      one byte into the alignment slack, found at free (0x1: 0xC1)
 *   write-after-free   a write to a freed block                       (0x1: 0xCC)
 *   paged-at-dispatch  paged pool at DISPATCH_LEVEL                   (0xC2/0x08)
 *   lookaside-reuse    a lookaside entry written after it was freed   (0x1 or 0x8: 0xC1)
 *   not-ours           a fault that is not special pool's: the program's own SIGSEGV handler
 *                      gets it (exit 42)
 *   low-resources      allocates 1000 blocks, prints how many failed
 *   wdf-at-dispatch    WdfMemoryCreate of paged memory at DISPATCH_LEVEL (0x2: 0xC4/0x91001, KmdfIrql)
 *   driver-create-late WdfDriverCreate after DriverEntry returned    (VerifierOn: 0xC4/0x91002)
 *   reference-leak     a tagged reference on a framework object never released (TrackHandles:
 *                      the unload's report lists it with this file's line; unload says MORE_ENTRIES)
 *   low-resources-wdf  creates 1000 framework objects, prints how many failed (0x4)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wdm.h>
#include <wdfhost.h>
#include <wdf.h>

#define TAG(a, b, c, d) ((ULONG)(a) | ((ULONG)(b) << 8) | ((ULONG)(c) << 16) | ((ULONG)(d) << 24))
#define TEST_TAG TAG('T', 's', 't', '1')

static const char *g_Bug;
static LOOKASIDE_LIST_EX g_List;
static int g_ListMade;

static VOID DriverUnload(PDRIVER_OBJECT DriverObject) {
    UNREFERENCED_PARAMETER(DriverObject);
    if (g_ListMade) ExDeleteLookasideListEx(&g_List);
}

static PVOID LeakABlock(void) {
    return ExAllocatePoolWithTag(NonPagedPoolNx, 40, TEST_TAG);
}

static NTSTATUS InitTwoBuffers(void) {
    PVOID first = ExAllocatePoolWithTag(NonPagedPoolNx, 24, TEST_TAG);
    if (first == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    PVOID second = ExAllocatePoolWithTag(NonPagedPoolNx, (SIZE_T)1 << 40, TEST_TAG);
    if (second == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES; /* the bug: `first` is not freed */
    }
    ExFreePoolWithTag(second, TEST_TAG);
    ExFreePoolWithTag(first, TEST_TAG);
    return STATUS_SUCCESS;
}

static void OverrunByOne(void) {
    unsigned char *block = ExAllocatePoolWithTag(NonPagedPoolNx, 32, TEST_TAG);
    memset(block, 0, 33);
    ExFreePoolWithTag(block, TEST_TAG);
}

static void OverrunIntoSlack(void) {
    unsigned char *block = ExAllocatePoolWithTag(NonPagedPoolNx, 30, TEST_TAG);
    block[30] = 1;
    ExFreePoolWithTag(block, TEST_TAG);
}

static void WriteAfterFree(void) {
    unsigned char *block = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TEST_TAG);
    ExFreePoolWithTag(block, TEST_TAG);
    block[8] = 7;
}

static void PagedAtDispatch(void) {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    PVOID block = ExAllocatePoolWithTag(PagedPool, 64, TEST_TAG);
    KeLowerIrql(old);
    ExFreePoolWithTag(block, TEST_TAG);
}

static void LookasideReuse(void) {
    unsigned char *entry = ExAllocateFromLookasideListEx(&g_List);
    ExFreeToLookasideListEx(&g_List, entry);
    entry[4] = 0x11;
    entry = ExAllocateFromLookasideListEx(&g_List);
    ExFreeToLookasideListEx(&g_List, entry);
}

static void OwnHandler(int signal) {
    (void)signal;
    static const char text[] = "own handler got the fault\n";
    (void)!write(1, text, sizeof text - 1);
    _exit(42);
}

static void FaultNotOurs(void) {
    /* Read through a volatile so gcc -O2 cannot see the constant (-Warray-bounds). */
    static volatile uintptr_t address = 16;
    volatile char *nowhere = (volatile char *)address;
    *nowhere = 1;
}

static WDFOBJECT g_Referenced;

static NTSTATUS CreateTheDriver(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, NULL);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

static void PagedMemoryAtDispatch(void) {
    KIRQL old;
    WDFMEMORY memory = NULL;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    NTSTATUS status = WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, PagedPool, TEST_TAG, 16, &memory, NULL);
    KeLowerIrql(old);
    if (NT_SUCCESS(status)) WdfObjectDelete(memory);
}

static void KeepAReference(void) {
    if (!NT_SUCCESS(WdfObjectCreate(WDF_NO_OBJECT_ATTRIBUTES, &g_Referenced))) return;
    WdfObjectReferenceWithTag(g_Referenced, (PVOID)0x1234);
    WdfObjectReferenceWithTag(g_Referenced, (PVOID)0x5678);
    WdfObjectDereferenceWithTag(g_Referenced, (PVOID)0x5678);
}

static void CreateFrameworkObjects(void) {
    int failed = 0;
    for (int i = 0; i < 1000; i++) {
        WDFOBJECT object;
        if (NT_SUCCESS(WdfObjectCreate(WDF_NO_OBJECT_ATTRIBUTES, &object))) WdfObjectDelete(object); else failed++;
    }
    printf("low-resources-wdf failed %d of 1000\n", failed);
}

/* DriverEntry's registry path, kept for driver-create-late. */
static WCHAR g_PathBuffer[256];
static UNICODE_STRING g_Path;

static void CreateDriverLate(PDRIVER_OBJECT DriverObject) {
    NTSTATUS status = CreateTheDriver(DriverObject, &g_Path);
    printf("late WdfDriverCreate: 0x%08X\n", (unsigned)status);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    if (RegistryPath->Length <= sizeof(g_PathBuffer)) {
        memcpy(g_PathBuffer, RegistryPath->Buffer, RegistryPath->Length);
        g_Path.Buffer = g_PathBuffer;
        g_Path.Length = RegistryPath->Length;
        g_Path.MaximumLength = sizeof(g_PathBuffer);
    }
    if (strncmp(g_Bug, "wdf-", 4) == 0 || strcmp(g_Bug, "reference-leak") == 0 || strcmp(g_Bug, "low-resources-wdf") == 0) {
        NTSTATUS created = CreateTheDriver(DriverObject, RegistryPath);
        if (!NT_SUCCESS(created)) return created;
    }
    DriverObject->DriverUnload = DriverUnload;
    NTSTATUS status = ExInitializeLookasideListEx(&g_List, NULL, NULL, NonPagedPoolNx, 0, 48, TAG('T', 's', 't', 'L'), 0);
    if (!NT_SUCCESS(status)) return status;
    g_ListMade = 1;
    if (strcmp(g_Bug, "init-forgets") == 0) {
        status = InitTwoBuffers();
        if (!NT_SUCCESS(status)) {
            ExDeleteLookasideListEx(&g_List);
            g_ListMade = 0;
        }
        return status;
    }
    if (strcmp(g_Bug, "clean") == 0) {
        for (int i = 0; i < 100; i++) {
            PVOID block = ExAllocatePoolWithTag(i % 2 ? PagedPool : NonPagedPoolNx, (SIZE_T)(1 + i * 37), TEST_TAG);
            PVOID entry = ExAllocateFromLookasideListEx(&g_List);
            if (block) ExFreePoolWithTag(block, TEST_TAG);
            if (entry) ExFreeToLookasideListEx(&g_List, entry);
        }
    } else if (strcmp(g_Bug, "leak-pool") == 0) {
        (void)LeakABlock();
    } else if (strcmp(g_Bug, "leak-lookaside") == 0) {
        (void)ExAllocateFromLookasideListEx(&g_List);
    } else if (strcmp(g_Bug, "overrun") == 0) {
        OverrunByOne();
    } else if (strcmp(g_Bug, "overrun-slack") == 0) {
        OverrunIntoSlack();
    } else if (strcmp(g_Bug, "write-after-free") == 0) {
        WriteAfterFree();
    } else if (strcmp(g_Bug, "paged-at-dispatch") == 0) {
        PagedAtDispatch();
    } else if (strcmp(g_Bug, "lookaside-reuse") == 0) {
        LookasideReuse();
    } else if (strcmp(g_Bug, "not-ours") == 0) {
        PVOID block = ExAllocatePoolWithTag(NonPagedPoolNx, 16, TEST_TAG); /* special pool is in use */
        ExFreePoolWithTag(block, TEST_TAG);
        FaultNotOurs();
    } else if (strcmp(g_Bug, "low-resources") == 0) {
        int failed = 0;
        for (int i = 0; i < 1000; i++) {
            PVOID block = ExAllocatePoolWithTag(NonPagedPoolNx, 32, TEST_TAG);
            if (block == NULL) failed++; else ExFreePoolWithTag(block, TEST_TAG);
        }
        printf("low-resources failed %d of 1000\n", failed);
    } else if (strcmp(g_Bug, "wdf-at-dispatch") == 0) {
        PagedMemoryAtDispatch();
    } else if (strcmp(g_Bug, "reference-leak") == 0) {
        KeepAReference();
    } else if (strcmp(g_Bug, "low-resources-wdf") == 0) {
        CreateFrameworkObjects();
    }
    return STATUS_SUCCESS;
}

int main(int argc, char **argv) {
    g_Bug = argc > 1 ? argv[1] : "clean";
    if (strcmp(g_Bug, "not-ours") == 0) {
        /* Installed before the library's handler, which must pass this fault on to it. */
        signal(SIGSEGV, OwnHandler);
    }
    setvbuf(stdout, NULL, _IOFBF, 4096);
    printf("verifier-client %s: loading\n", g_Bug);
    PDRIVER_OBJECT driver = NULL;
    NTSTATUS status = WdfHostLoadDriver("VerifierTest", DriverEntry, &driver);
    printf("load: 0x%08X\n", (unsigned)status);
    if (!NT_SUCCESS(status)) return 1;
    if (strcmp(g_Bug, "driver-create-late") == 0) CreateDriverLate(driver);
    status = WdfHostUnloadDriver(driver);
    printf("unload: 0x%08X\n", (unsigned)status);
    return status == STATUS_SUCCESS ? 0 : 1;
}
