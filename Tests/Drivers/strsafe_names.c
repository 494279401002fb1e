/*
 * strsafe_names.c - a driver builds device names and messages the WDK way: ntstrsafe.h into
 * WCHAR and char buffers and UNICODE_STRINGs, ntintsafe.h for sizes, DbgPrint with %wZ and %ws.
 */
// expect: name: \Device\StrSafe7 (32 bytes)
// expect: narrow: port 7 of 8, id 0x0000BEEF, 64-bit 12345678901
// expect: truncated: \Device\S (0x80000005)
// expect: overflow: 0xC0000095 4294967295
// expect: unicode: Instance-0042 / cut: Inst
// expect: checks passed
#include <ntddk.h>
#include <ntstrsafe.h>
#include <ntintsafe.h>
#include <initguid.h>
#include <wdfhost.h>

#define NAME_TAG 'maNS'

static ULONG Failures;

#define CHECK(x) do { if (!(x)) { DbgPrint("check failed: %s (line %d)\n", #x, __LINE__); Failures++; } } while (0)

_IRQL_requires_max_(PASSIVE_LEVEL)
static NTSTATUS BuildNames(_In_ ULONG Port)
{
    WCHAR nameBuffer[64];
    CHAR narrow[96];
    WCHAR small[10];
    UNICODE_STRING name;
    UNICODE_STRING instance;
    WCHAR instanceBuffer[4];
    DECLARE_UNICODE_STRING_SIZE(full, 32);
    size_t length = 0, remaining = 0;
    PWSTR end = NULL;
    ULONG bytes = 0;
    SIZE_T total = 0;
    NTSTATUS status;

    PAGED_CODE();
    status = RtlStringCbPrintfW(nameBuffer, sizeof(nameBuffer), L"\\Device\\StrSafe%u", Port);
    CHECK(NT_SUCCESS(status));
    status = RtlStringCchLengthW(nameBuffer, RTL_NUMBER_OF(nameBuffer), &length);
    CHECK(NT_SUCCESS(status) && length == 16);
    status = RtlUnicodeStringInit(&name, nameBuffer);
    CHECK(NT_SUCCESS(status));
    DbgPrint("name: %wZ (%u bytes)\n", &name, (unsigned)name.Length);

    status = RtlStringCbPrintfA(narrow, sizeof(narrow), "port %lu of %d, id 0x%08lX, 64-bit %I64u", (ULONG)Port, 8,
                                (ULONG)0xBEEF, (ULONGLONG)12345678901ULL);
    CHECK(NT_SUCCESS(status));
    DbgPrint("narrow: %s\n", narrow);

    status = RtlStringCchCopyW(small, RTL_NUMBER_OF(small), nameBuffer);
    CHECK(status == STATUS_BUFFER_OVERFLOW && small[9] == UNICODE_NULL);
    DbgPrint("truncated: %ws (0x%08X)\n", small, (unsigned)status);
    status = RtlStringCchCopyExW(small, RTL_NUMBER_OF(small), L"ab", &end, &remaining, STRSAFE_FILL_BEHIND_NULL);
    CHECK(NT_SUCCESS(status) && end == &small[2] && remaining == 8);
    status = RtlStringCchCatW(small, RTL_NUMBER_OF(small), L"cd");
    CHECK(NT_SUCCESS(status) && small[3] == L'd' && small[4] == 0);
    status = RtlStringCchCopyExW(small, RTL_NUMBER_OF(small), L"0123456789abc", NULL, NULL, STRSAFE_NO_TRUNCATION);
    CHECK(status == STATUS_BUFFER_OVERFLOW && small[0] == 0);
    status = RtlStringCbCatA(narrow, 4, "x");
    CHECK(status == STATUS_INVALID_PARAMETER);

    status = RtlULongMult(0x10000, 0x10000, &bytes);
    DbgPrint("overflow: 0x%08X %lu\n", (unsigned)status, bytes);
    CHECK(status == STATUS_INTEGER_OVERFLOW && bytes == ULONG_ERROR);
    CHECK(NT_SUCCESS(RtlSizeTAdd(sizeof(nameBuffer), 16, &total)) && total == 144);
    CHECK(RtlULongLongToULong(0x100000000ULL, &bytes) == STATUS_INTEGER_OVERFLOW);
    CHECK(NT_SUCCESS(RtlLongToULong(5, &bytes)) && bytes == 5);
    CHECK(RtlLongToULong(-1, &bytes) == STATUS_INTEGER_OVERFLOW);

    status = RtlUnicodeStringPrintf(&full, L"Instance-%04u", 42U);
    CHECK(NT_SUCCESS(status) && full.Length == 13 * sizeof(WCHAR));
    RtlInitEmptyUnicodeString(&instance, instanceBuffer, sizeof(instanceBuffer));
    status = RtlUnicodeStringCopy(&instance, &full);
    CHECK(status == STATUS_BUFFER_OVERFLOW && instance.Length == sizeof(instanceBuffer));
    DbgPrint("unicode: %wZ / cut: %wZ\n", &full, &instance);
    return STATUS_SUCCESS;
}

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    return BuildNames(7);
}

int main(void)
{
    PDRIVER_OBJECT driver;
    if (!NT_SUCCESS(WdfHostLoadDriver("StrSafe", DriverEntry, &driver))) return 1;
    if (!NT_SUCCESS(WdfHostUnloadDriver(driver))) return 2;
    if (Failures != 0) return 3;
    DbgPrint("checks passed\n");
    return 0;
}
