/* The references of floor.c: a bare per-thread cache behind a shared-library call (the floor),
   and two calls into a shared library that do nothing (the calls alone). */
#ifndef BENCH_FLOOR_H
#define BENCH_FLOOR_H
#include <stddef.h>

typedef struct floor_list {
    size_t size;
    long id;
    void *block; /* the calls alone: the one block they hand out (the caller's) */
} floor_list;

int floor_init(floor_list *list, size_t size);
void *floor_allocate(floor_list *list);
void floor_free(floor_list *list, void *block);
void floor_delete(floor_list *list);
void *floor_calls_allocate(floor_list *list);
void floor_calls_free(floor_list *list, void *block);
#endif
