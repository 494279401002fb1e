/*
 * WdfMemoryCreateFromLookaside + WdfObjectDelete against malloc + free of the same size, side by
 * side in one process. Usage: wdfpair [iterations] [size]. Prints ns per pair and the ratio.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <wdf.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *volatile sink;

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    size_t size = argc > 2 ? (size_t)atol(argv[2]) : 256;
    WDFLOOKASIDE list;
    if (!NT_SUCCESS(WdfLookasideListCreate(WDF_NO_OBJECT_ATTRIBUTES, size, NonPagedPoolNx, WDF_NO_OBJECT_ATTRIBUTES, 0, &list))) return 1;
    double best[2] = {1e30, 1e30};
    for (int round = 0; round < 5; round++) {
        double t0 = now();
        for (long i = 0; i < n; i++) {
            WDFMEMORY memory;
            WdfMemoryCreateFromLookaside(list, &memory);
            sink = memory;
            WdfObjectDelete(memory);
        }
        double t1 = now();
        for (long i = 0; i < n; i++) { void *p = malloc(size); sink = p; free(p); }
        double t2 = now();
        double r[2] = {(t1 - t0) / n, (t2 - t1) / n};
        for (int k = 0; k < 2; k++) if (r[k] < best[k]) best[k] = r[k];
    }
    printf("size %zu: WdfMemoryCreateFromLookaside+WdfObjectDelete %.1f ns, malloc+free %.1f ns; ratio %.1f\n",
           size, best[0], best[1], best[0] / best[1]);
    WdfObjectDelete(list);
    return 0;
}
