#define _POSIX_C_SOURCE 200809L
/*
 * Single allocate+free pairs, side by side in one process: ExAllocateFromLookasideListEx +
 * ExFreeToLookasideListEx, ExAllocatePoolWithTag + ExFreePoolWithTag, and malloc + free.
 * Usage: pair [iterations] [size]. Prints ns per pair and the ratios to malloc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <wdm.h>

#define TAG(a, b, c, d) ((ULONG)(a) | ((ULONG)(b) << 8) | ((ULONG)(c) << 16) | ((ULONG)(d) << 24))

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *volatile sink;

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 20000000;
    size_t size = argc > 2 ? (size_t)atol(argv[2]) : 256;
    static LOOKASIDE_LIST_EX list;
    ExInitializeLookasideListEx(&list, NULL, NULL, NonPagedPoolNx, 0, size, TAG('B', 'n', 'c', 'h'), 0);
    double best[3] = {1e30, 1e30, 1e30};
    for (int round = 0; round < 5; round++) {
        double t0 = now();
        for (long i = 0; i < n; i++) { void *p = ExAllocateFromLookasideListEx(&list); sink = p; ExFreeToLookasideListEx(&list, p); }
        double t1 = now();
        for (long i = 0; i < n; i++) { void *p = ExAllocatePoolWithTag(NonPagedPoolNx, size, TAG('B', 'n', 'c', 'p')); sink = p; ExFreePoolWithTag(p, TAG('B', 'n', 'c', 'p')); }
        double t2 = now();
        for (long i = 0; i < n; i++) { void *p = malloc(size); sink = p; free(p); }
        double t3 = now();
        double r[3] = {(t1 - t0) / n, (t2 - t1) / n, (t3 - t2) / n};
        for (int k = 0; k < 3; k++) if (r[k] < best[k]) best[k] = r[k];
    }
    printf("size %zu: lookaside %.2f ns, pool %.2f ns, malloc %.2f ns per pair; lookaside/malloc %.2f, pool/malloc %.2f\n",
           size, best[0], best[1], best[2], best[0] / best[2], best[1] / best[2]);
    ExDeleteLookasideListEx(&list);
    return 0;
}
