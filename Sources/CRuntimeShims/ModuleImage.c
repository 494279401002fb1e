/*
 * The loaded image (executable or shared object) that holds an address: its load base and the
 * extent of its loadable segments, as the dynamic loader mapped them. The host fills a driver
 * object's DriverStart and DriverSize from the image that holds DriverEntry.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <stddef.h>

#include "CRuntimeShims.h"

struct nt_image_query {
    uintptr_t address;
    uintptr_t start;
    uintptr_t end;
    int found;
};

static int nt_image_visit(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct nt_image_query *query = data;
    uintptr_t low = UINTPTR_MAX, high = 0;
    int holds = 0;
    for (int index = 0; index < info->dlpi_phnum; index++) {
        const ElfW(Phdr) *header = &info->dlpi_phdr[index];
        if (header->p_type != PT_LOAD) continue;
        uintptr_t start = info->dlpi_addr + header->p_vaddr;
        uintptr_t end = start + header->p_memsz;
        if (start < low) low = start;
        if (end > high) high = end;
        if (query->address >= start && query->address < end) holds = 1;
    }
    if (!holds) return 0;
    query->start = low;
    query->end = high;
    query->found = 1;
    return 1;
}

int nt_image_containing(const void *address, void **start, unsigned long *size) {
    struct nt_image_query query = { (uintptr_t)address, 0, 0, 0 };
    dl_iterate_phdr(nt_image_visit, &query);
    if (!query.found) return 0;
    *start = (void *)query.start;
    *size = (unsigned long)(query.end - query.start);
    return 1;
}
