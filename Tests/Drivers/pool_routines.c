/*
 * pool_routines.c - a driver written for the current WDK: NX opt-in, the Zero/Uninitialized
 * allocation forms, priorities, ExAllocatePool3 with extended parameters, the untagged form.
 */
// expect: runtime: NonPagedPool is NonPagedPoolNx 1
// expect: zeroed: 1 1 1
// expect: pool3: priority ok, secure pool refused
// expect: untagged: freed with tag None
#define POOL_NX_OPTIN 1
#include <ntddk.h>
#include <wdfhost.h>

#define POOL_TAG 'lPrD'

static int AllZero(const UCHAR *Bytes, SIZE_T Count)
{
    SIZE_T i;
    for (i = 0; i < Count; i++) {
        if (Bytes[i] != 0) return 0;
    }
    return 1;
}

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PUCHAR a, b, c;
    PVOID d, e, untagged;
    POOL_EXTENDED_PARAMETER parameters[2];
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);

    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);
    DbgPrint("runtime: NonPagedPool is NonPagedPoolNx %d\n", NonPagedPool == NonPagedPoolNx);

    /* Dirty a block and free it, so that a recycled block would show old bytes. */
    a = (PUCHAR)ExAllocatePoolUninitialized(NonPagedPool, 200, POOL_TAG);
    if (a == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    RtlFillMemory(a, 200, 0xAB);
    ExFreePoolWithTag(a, POOL_TAG);

    a = (PUCHAR)ExAllocatePoolZero(NonPagedPool, 200, POOL_TAG);
    b = (PUCHAR)ExAllocatePoolPriorityZero(PagedPool, 300, POOL_TAG, NormalPoolPriority);
    c = (PUCHAR)ExAllocatePoolQuotaZero((POOL_TYPE)(NonPagedPoolNx | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE), 64, POOL_TAG);
    if (a == NULL || b == NULL || c == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    DbgPrint("zeroed: %d %d %d\n", AllZero(a, 200), AllZero(b, 300), AllZero(c, 64));
    ExFreePoolWithTag(a, POOL_TAG);
    ExFreePoolWithTag(b, POOL_TAG);
    ExFreePoolWithTag(c, POOL_TAG);

    RtlZeroMemory(parameters, sizeof(parameters));
    parameters[0].Type = PoolExtendedParameterPriority;
    parameters[0].Priority = HighPoolPriority;
    d = ExAllocatePool3(POOL_FLAG_NON_PAGED, 128, POOL_TAG, parameters, 1);
    parameters[1].Type = PoolExtendedParameterSecurePool;
    e = ExAllocatePool3(POOL_FLAG_NON_PAGED, 128, POOL_TAG, parameters, 2);
    DbgPrint("pool3: priority %s, secure pool %s\n", d != NULL ? "ok" : "failed", e == NULL ? "refused" : "accepted");
    if (d != NULL) ExFreePoolWithTag(d, POOL_TAG);
    if (e != NULL) ExFreePoolWithTag(e, POOL_TAG);

    untagged = ExAllocatePoolPriorityUninitialized(NonPagedPool, 16, POOL_TAG, LowPoolPriority);
    if (untagged != NULL) ExFreePoolWithTag(untagged, POOL_TAG);
    untagged = ExAllocatePool(NonPagedPool, 32);
    if (untagged != NULL) {
        ExFreePoolWithTag(untagged, 'enoN');   /* a different tag would stop with BAD_POOL_CALLER */
        DbgPrint("untagged: freed with tag None\n");
    }
    return STATUS_SUCCESS;
}

int main(void)
{
    PDRIVER_OBJECT driver;
    if (!NT_SUCCESS(WdfHostLoadDriver("PoolRt", DriverEntry, &driver))) return 1;
    return NT_SUCCESS(WdfHostUnloadDriver(driver)) ? 0 : 2;
}
