/*
 * Two references for the allocate+free pairs, measured so that the lookaside figures have them
 * beside them:
 *
 * - The floor: the least a per-thread cache behind a shared-library call costs on this machine.
 *   A per-thread stack of up to 32 cached blocks per list plus the block freed last kept apart
 *   (as libWdf01000.so's magazines keep it), in initial-exec thread-local storage (as
 *   libWdf01000.so and the malloc replacements use), behind an exported function each way, with
 *   malloc and free behind that. It checks nothing: no storage check, no IRQL, no counters, no
 *   flush, no depth.
 * - The calls alone: two exported functions that do nothing but hand out the caller's one block
 *   and take it back, the cost of calling into a shared library twice.
 *
 * Built as libbenchfloor.so; bench-floor (bench.c with -DWITH_FLOOR) calls it through the PLT,
 * as the other programs call their allocators.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "floor.h"

#define FLOOR_DEPTH 32
#define FLOOR_CACHES 16

typedef struct floor_cache {
    long list; /* the list whose blocks these are (0: none) */
    long count; /* in entries, not counting last */
    void *last; /* the block freed last (NULL: none) */
    void *entries[FLOOR_DEPTH];
} floor_cache;

static __thread floor_cache caches[FLOOR_CACHES] __attribute__((tls_model("initial-exec")));
static _Atomic long next_list = 1;

int floor_init(floor_list *list, size_t size) {
    list->size = size;
    list->id = atomic_fetch_add(&next_list, 1);
    return 0;
}

/* Frees the blocks a cache slot holds and gives the slot to `list` (0: none). */
static void reset(floor_cache *cache, long list) {
    for (long i = 0; i < cache->count; i++) free(cache->entries[i]);
    free(cache->last);
    cache->list = list;
    cache->count = 0;
    cache->last = NULL;
}

/* The calling thread's cache slot for the list, taken over if it held another list's. */
static floor_cache *claim(floor_list *list) {
    floor_cache *cache = &caches[list->id % FLOOR_CACHES];
    if (cache->list != list->id) reset(cache, list->id);
    return cache;
}

__attribute__((noinline)) static void *allocate_slow(floor_list *list) {
    floor_cache *cache = claim(list);
    if (cache->last) {
        void *block = cache->last;
        cache->last = NULL;
        return block;
    }
    if (cache->count > 0) return cache->entries[--cache->count];
    return malloc(list->size);
}

__attribute__((noinline)) static void free_slow(floor_list *list, void *block) {
    floor_cache *cache = claim(list);
    if (cache->last && cache->count < FLOOR_DEPTH) cache->entries[cache->count++] = cache->last, cache->last = NULL;
    if (!cache->last) cache->last = block;
    else free(block);
}

void *floor_allocate(floor_list *list) {
    floor_cache *cache = &caches[list->id % FLOOR_CACHES];
    void *last = cache->last;
    if (__builtin_expect(cache->list == list->id && last != NULL, 1)) {
        cache->last = NULL;
        return last;
    }
    return allocate_slow(list);
}

void floor_free(floor_list *list, void *block) {
    floor_cache *cache = &caches[list->id % FLOOR_CACHES];
    if (__builtin_expect(cache->list == list->id && cache->last == NULL, 1)) {
        cache->last = block;
        return;
    }
    free_slow(list, block);
}

void floor_delete(floor_list *list) {
    floor_cache *cache = &caches[list->id % FLOOR_CACHES];
    if (cache->list == list->id) reset(cache, 0);
}

void *floor_calls_allocate(floor_list *list) { return list->block; }

void floor_calls_free(floor_list *list, void *block) { (void)list, (void)block; }
