/*
 * Reads SystemPoolTagInformation the way poolmon does: first with a buffer too small
 * (STATUS_INFO_LENGTH_MISMATCH and the needed length), then with one large enough.
 * Prints "tag <name> <type> allocs frees bytes" for the tags it made and exits 0 on success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <wdm.h>

#define TAG(a, b, c, d) ((ULONG)(a) | ((ULONG)(b) << 8) | ((ULONG)(c) << 16) | ((ULONG)(d) << 24))

int main(void) {
    PVOID blocks[6];
    for (int i = 0; i < 5; i++) blocks[i] = ExAllocatePoolWithTag(NonPagedPoolNx, 48, TAG('R', 'd', 'N', 'p'));
    blocks[5] = ExAllocatePoolWithTag(PagedPool, 5000, TAG('R', 'd', 'P', 'g') | 0x80000000u);
    ExFreePoolWithTag(blocks[0], TAG('R', 'd', 'N', 'p'));

    ULONG needed = 0;
    SYSTEM_POOLTAG_INFORMATION tiny;
    NTSTATUS status = ZwQuerySystemInformation(SystemPoolTagInformation, &tiny, 4, &needed);
    if (status != STATUS_INFO_LENGTH_MISMATCH) { printf("expected STATUS_INFO_LENGTH_MISMATCH, got 0x%08X\n", (unsigned)status); return 1; }
    printf("needed %u\n", (unsigned)needed);
    if (needed < sizeof(ULONG) * 2 + 2 * sizeof(SYSTEM_POOLTAG)) { printf("needed length too small\n"); return 1; }

    PSYSTEM_POOLTAG_INFORMATION info = malloc(needed);
    ULONG returned = 0;
    status = ZwQuerySystemInformation(SystemPoolTagInformation, info, needed, &returned);
    if (status != STATUS_SUCCESS) { printf("query failed 0x%08X\n", (unsigned)status); return 1; }
    for (ULONG i = 0; i < info->Count; i++) {
        SYSTEM_POOLTAG *t = &info->TagInfo[i];
        if (t->TagUlong != TAG('R', 'd', 'N', 'p') && t->TagUlong != TAG('R', 'd', 'P', 'g')) continue;
        printf("tag %.4s paged %u %u %zu nonpaged %u %u %zu\n", (const char *)t->Tag, (unsigned)t->PagedAllocs,
               (unsigned)t->PagedFrees, (size_t)t->PagedUsed, (unsigned)t->NonPagedAllocs,
               (unsigned)t->NonPagedFrees, (size_t)t->NonPagedUsed);
    }
    free(info);
    for (int i = 1; i < 5; i++) ExFreePoolWithTag(blocks[i], TAG('R', 'd', 'N', 'p'));
    ExFreePoolWithTag(blocks[5], TAG('R', 'd', 'P', 'g'));
    return 0;
}
