/*
 * The allocator harness, shaped like glibc's bench-malloc-simple: single allocate+free pairs,
 * batches of 25/100/400/1000 allocated then freed (in allocation order), at 32, 256, 1024 and
 * 4096 bytes, on 1 and 2 threads (each thread on its own list, arena or context), plus a
 * producer/consumer pair (one thread allocates, the other frees, through the same bounded
 * lock-free ring for every allocator), the memory held per live object, and (talloc and the
 * WDF object model) the deletion of a parent with many children.
 *
 * One source, several programs (the Makefile builds them); each peer that replaces malloc runs
 * in its own process:
 *   bench-malloc    nothing extra: glibc malloc/free               allocator "glibc"
 *   bench-jemalloc  -ljemalloc          (malloc replaced)           allocator "jemalloc"
 *   bench-tcmalloc  -ltcmalloc_minimal  (malloc replaced)           allocator "tcmalloc"
 *   bench-mimalloc  -lmimalloc          (malloc replaced)           allocator "mimalloc"
 *   bench-talloc    -DWITH_TALLOC -ltalloc: talloc_size(ctx)/talloc_free   allocator "talloc"
 *   bench-wdf       -DWITH_WDF -lWdf01000: allocators "lookaside" (ExAllocateFromLookasideListEx/
 *                   ExFreeToLookasideListEx), "pool" (ExAllocatePoolWithTag/ExFreePoolWithTag),
 *                   "wdfmemory" (WdfMemoryCreateFromLookaside/WdfObjectDelete), "wdfpool"
 *                   (WdfMemoryCreate/WdfObjectDelete, no attributes), "ecp"
 *                   (FltAllocateExtraCreateParameterFromLookasideList/FltFreeExtraCreateParameter)
 *   bench-floor     -DWITH_FLOOR -lbenchfloor (floor.c): allocator "floor", a bare per-thread cache
 *                   behind a shared-library call, the least such a pair costs on this machine; and
 *                   "calls", two calls into the library that do nothing (the calls alone)
 *
 * Usage: bench-X run  ALLOCATOR [target-ms]    pairs, batches, 2 threads, producer/consumer
 *        bench-X pairs ALLOCATOR [target-ms]   only the single pairs (1 and 2 threads)
 *        bench-X prodcons ALLOCATOR [target-ms]  only the producer/consumer pair
 *        bench-X mem  ALLOCATOR [count]        RSS (and pool accounting) per live 256-byte object
 *        bench-X tree ALLOCATOR [children]     create, then delete a parent with N children
 *        bench-X which                         which library provides malloc in this process
 *        bench-X count ALLOCATOR pairs [size]  exactly that many single pairs (default 256 bytes),
 *                                              untimed: for counting instructions under valgrind
 *                                              (scripts/bench-instructions.sh)
 * Output: CSV lines "allocator,kind,size,batch,threads,pairs,wall_ns,ns_per_pair" on stdout
 * (kind: pair, batch, prodcons, mem-rss, mem-pool, tree-create, tree-delete ...).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifdef WITH_TALLOC
#include <talloc.h>
#endif
#ifdef WITH_FLOOR
#include "floor.h"
#endif
#ifdef WITH_WDF
#define INITGUID
#include <fltkernel.h>
#include <wdf.h>
#include <wdfhost.h>
#endif

#ifndef PEER_NAME
#define PEER_NAME "glibc"
#endif

#define TAG(a, b, c, d) ((ULONG)(a) | ((ULONG)(b) << 8) | ((ULONG)(c) << 16) | ((ULONG)(d) << 24))
/* Keeps a pointer alive (no store to shared memory: threads must not share a cache line). */
#define KEEP(p) __asm__ volatile("" : : "r"(p) : "memory")
#define MAX_BATCH 1000

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void emit(const char *alloc, const char *kind, size_t size, int batch, int threads, double pairs,
                 double wall, double per) {
    printf("%s,%s,%zu,%d,%d,%.0f,%.0f,%.3f\n", alloc, kind, size, batch, threads, pairs, wall, per);
    fflush(stdout);
}

/* ---------------------------------------------------------------------------------------------
 * Per-thread state and the allocators
 * ------------------------------------------------------------------------------------------- */

typedef struct state {
    size_t size;
    void *ctx; /* talloc: the parent context */
#ifdef WITH_WDF
    LOOKASIDE_LIST_EX list; /* lookaside */
    WDFLOOKASIDE wdfList;   /* wdfmemory */
    NPAGED_LOOKASIDE_LIST ecpList; /* ecp */
#endif
#ifdef WITH_FLOOR
    floor_list floorList; /* floor */
#endif
    void *batch[MAX_BATCH];
} __attribute__((aligned(64))) state;

static state *state_new(size_t size) {
    state *s = aligned_alloc(64, (sizeof(state) + 63) / 64 * 64);
    memset(s, 0, sizeof *s);
    s->size = size;
    return s;
}

/* malloc (whichever library provides it in this process) */
__attribute__((unused)) static int malloc_setup(state *s) { (void)s; return 0; }
__attribute__((unused)) static void malloc_teardown(state *s) { (void)s; }
static inline void *malloc_alloc(state *s) { return malloc(s->size); }
static inline void malloc_free(state *s, void *p) { (void)s; free(p); }

#ifdef WITH_TALLOC
static int tal_setup(state *s) { s->ctx = talloc_new(NULL); return s->ctx ? 0 : -1; }
static void tal_teardown(state *s) { talloc_free(s->ctx); }
static inline void *tal_alloc(state *s) { return talloc_size(s->ctx, s->size); }
static inline void tal_free(state *s, void *p) { (void)s; talloc_free(p); }
#endif

#ifdef WITH_FLOOR
static int floor_setup(state *s) { return floor_init(&s->floorList, s->size); }
static void floor_teardown(state *s) { floor_delete(&s->floorList); }
static inline void *floor_alloc(state *s) { return floor_allocate(&s->floorList); }
static inline void floor_release(state *s, void *p) { floor_free(&s->floorList, p); }

/* The calls alone: each thread's one block, handed out and taken back by functions that do
   nothing else (single pairs only: one block is out at a time). */
static int calls_setup(state *s) {
    s->floorList.block = malloc(s->size);
    return s->floorList.block ? 0 : -1;
}
static void calls_teardown(state *s) { free(s->floorList.block); }
static inline void *calls_alloc(state *s) { return floor_calls_allocate(&s->floorList); }
static inline void calls_release(state *s, void *p) { floor_calls_free(&s->floorList, p); }
#endif

#ifdef WITH_WDF
static PFLT_FILTER g_filter;
DEFINE_GUID(GUID_BENCH, 0x5be1c9d4, 0x2222, 0x3333, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb);
#define POOL_TAG TAG('B', 'n', 'c', 'p')

static int lookaside_setup(state *s) {
    return NT_SUCCESS(ExInitializeLookasideListEx(&s->list, NULL, NULL, NonPagedPoolNx, 0, s->size,
                                                  TAG('B', 'n', 'c', 'h'), 0)) ? 0 : -1;
}
static void lookaside_teardown(state *s) { ExDeleteLookasideListEx(&s->list); }
static inline void *lookaside_alloc(state *s) { return ExAllocateFromLookasideListEx(&s->list); }
static inline void lookaside_free(state *s, void *p) { ExFreeToLookasideListEx(&s->list, p); }

static int pool_setup(state *s) { (void)s; return 0; }
static void pool_teardown(state *s) { (void)s; }
static inline void *pool_alloc(state *s) { return ExAllocatePoolWithTag(NonPagedPoolNx, s->size, POOL_TAG); }
static inline void pool_free(state *s, void *p) { (void)s; ExFreePoolWithTag(p, POOL_TAG); }

static int wdfmemory_setup(state *s) {
    return NT_SUCCESS(WdfLookasideListCreate(WDF_NO_OBJECT_ATTRIBUTES, s->size, NonPagedPoolNx,
                                             WDF_NO_OBJECT_ATTRIBUTES, TAG('B', 'n', 'c', 'w'), &s->wdfList)) ? 0 : -1;
}
static void wdfmemory_teardown(state *s) { WdfObjectDelete(s->wdfList); }
static inline void *wdfmemory_alloc(state *s) {
    WDFMEMORY memory;
    return NT_SUCCESS(WdfMemoryCreateFromLookaside(s->wdfList, &memory)) ? (void *)memory : NULL;
}
static inline void wdfmemory_free(state *s, void *p) { (void)s; WdfObjectDelete((WDFMEMORY)p); }

/* WdfMemoryCreate with no attributes (the driver is the parent) and a pool buffer. */
static int wdfpool_setup(state *s) { (void)s; return 0; }
static void wdfpool_teardown(state *s) { (void)s; }
static inline void *wdfpool_alloc(state *s) {
    WDFMEMORY memory;
    return NT_SUCCESS(WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, TAG('B', 'n', 'c', 'm'), s->size, &memory,
                                      NULL)) ? (void *)memory : NULL;
}
static inline void wdfpool_free(state *s, void *p) { (void)s; WdfObjectDelete((WDFMEMORY)p); }

static int ecp_setup(state *s) {
    FltInitExtraCreateParameterLookasideList(g_filter, &s->ecpList, FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL,
                                             s->size, TAG('B', 'n', 'c', 'e'));
    return 0;
}
static void ecp_teardown(state *s) {
    FltDeleteExtraCreateParameterLookasideList(g_filter, &s->ecpList, FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL);
}
static inline void *ecp_alloc(state *s) {
    PVOID context;
    return NT_SUCCESS(FltAllocateExtraCreateParameterFromLookasideList(g_filter, &GUID_BENCH, (ULONG)s->size, 0,
                                                                       NULL, &s->ecpList, &context)) ? context : NULL;
}
static inline void ecp_free(state *s, void *p) { (void)s; FltFreeExtraCreateParameter(g_filter, p); }
#endif

/* ---------------------------------------------------------------------------------------------
 * The kernels, instantiated per allocator so that every call is direct
 * ------------------------------------------------------------------------------------------- */

/* The bounded single-producer single-consumer ring every allocator's producer/consumer uses. */
#define RING_SIZE 1024
typedef struct ring {
    _Alignas(64) _Atomic size_t head; /* written by the producer */
    _Alignas(64) _Atomic size_t tail; /* written by the consumer */
    _Alignas(64) void *slot[RING_SIZE];
} ring;

/* Waiting: spin a little, then yield (the other thread may share this CPU). */
static inline void cpu_relax(unsigned *spins) {
    if (++*spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else {
        *spins = 0;
        sched_yield();
    }
}

typedef struct allocator {
    const char *name;
    int (*setup)(state *);
    void (*teardown)(state *);
    /* Runs n units (pairs, or batches of `batch`); returns 0 on success. */
    int (*pairs)(state *, long n);
    int (*batches)(state *, long n, int batch);
    void (*produce)(state *, ring *, long n);
    void (*consume)(state *, ring *, long n);
    void *(*alloc)(state *);
    void (*free)(state *, void *);
    int threadSafeSharing; /* producer/consumer allowed (one object allocated and freed on two threads) */
} allocator;

#define DEFINE_KERNELS(X, FREE)                                                                  \
    __attribute__((unused)) static int X##_pairs(state *s, long n) {                                                     \
        for (long i = 0; i < n; i++) {                                                           \
            void *p = X##_alloc(s);                                                              \
            if (__builtin_expect(p == NULL, 0)) return -1;                                       \
            KEEP(p);                                                                             \
            FREE(s, p);                                                                          \
        }                                                                                        \
        return 0;                                                                                \
    }                                                                                            \
    __attribute__((unused)) static int X##_batches(state *s, long n, int batch) {                                        \
        void **a = s->batch;                                                                     \
        for (long r = 0; r < n; r++) {                                                           \
            for (int j = 0; j < batch; j++) {                                                    \
                void *p = X##_alloc(s);                                                          \
                if (__builtin_expect(p == NULL, 0)) return -1;                                   \
                a[j] = p;                                                                        \
            }                                                                                    \
            KEEP(a);                                                                             \
            for (int j = 0; j < batch; j++) FREE(s, a[j]);                                       \
        }                                                                                        \
        return 0;                                                                                \
    }                                                                                            \
    __attribute__((unused)) static void X##_produce(state *s, ring *q, long n) {                                         \
        size_t head = 0, tail = 0;                                                               \
        unsigned spins = 0;                                                                      \
        for (long i = 0; i < n; i++) {                                                           \
            void *p = X##_alloc(s);                                                              \
            while (head - tail >= RING_SIZE) {                                                   \
                tail = atomic_load_explicit(&q->tail, memory_order_acquire);                     \
                if (head - tail >= RING_SIZE) cpu_relax(&spins);                                       \
            }                                                                                    \
            q->slot[head % RING_SIZE] = p;                                                       \
            atomic_store_explicit(&q->head, ++head, memory_order_release);                       \
        }                                                                                        \
    }                                                                                            \
    __attribute__((unused)) static void X##_consume(state *s, ring *q, long n) {                                         \
        size_t head = 0, tail = 0;                                                               \
        unsigned spins = 0;                                                                      \
        for (long i = 0; i < n; i++) {                                                           \
            while (tail == head) {                                                               \
                head = atomic_load_explicit(&q->head, memory_order_acquire);                     \
                if (tail == head) cpu_relax(&spins);                                                   \
            }                                                                                    \
            void *p = q->slot[tail % RING_SIZE];                                                 \
            atomic_store_explicit(&q->tail, ++tail, memory_order_release);                       \
            FREE(s, p);                                                                          \
        }                                                                                        \
    }

DEFINE_KERNELS(malloc, malloc_free)
#ifdef WITH_TALLOC
DEFINE_KERNELS(tal, tal_free)
#endif
#ifdef WITH_FLOOR
DEFINE_KERNELS(floor, floor_release)
DEFINE_KERNELS(calls, calls_release)
#endif
#ifdef WITH_WDF
DEFINE_KERNELS(lookaside, lookaside_free)
DEFINE_KERNELS(pool, pool_free)
DEFINE_KERNELS(wdfmemory, wdfmemory_free)
DEFINE_KERNELS(wdfpool, wdfpool_free)
DEFINE_KERNELS(ecp, ecp_free)
#endif

#define ALLOCATOR(NAME, X, FREE, SHARE) \
    {NAME, X##_setup, X##_teardown, X##_pairs, X##_batches, X##_produce, X##_consume, X##_alloc, FREE, SHARE}

static const allocator allocators[] = {
#if defined(WITH_WDF)
    ALLOCATOR("lookaside", lookaside, lookaside_free, 1),
    ALLOCATOR("pool", pool, pool_free, 1),
    ALLOCATOR("wdfmemory", wdfmemory, wdfmemory_free, 1),
    ALLOCATOR("wdfpool", wdfpool, wdfpool_free, 1),
    ALLOCATOR("ecp", ecp, ecp_free, 1),
    ALLOCATOR("glibc-in-wdf", malloc, malloc_free, 1),
#elif defined(WITH_FLOOR)
    ALLOCATOR("floor", floor, floor_release, 1),
    ALLOCATOR("calls", calls, calls_release, 0),
#elif defined(WITH_TALLOC)
    /* talloc is not thread-safe for one context shared by two threads: no producer/consumer. */
    ALLOCATOR("talloc", tal, tal_free, 0),
#else
    ALLOCATOR(PEER_NAME, malloc, malloc_free, 1),
#endif
};

static const allocator *find_allocator(const char *name) {
    for (size_t i = 0; i < sizeof allocators / sizeof allocators[0]; i++)
        if (strcmp(allocators[i].name, name) == 0) return &allocators[i];
    fprintf(stderr, "unknown allocator %s; this program has:", name);
    for (size_t i = 0; i < sizeof allocators / sizeof allocators[0]; i++) fprintf(stderr, " %s", allocators[i].name);
    fprintf(stderr, "\n");
    exit(2);
}

/* ---------------------------------------------------------------------------------------------
 * Running a case on 1 or 2 threads
 * ------------------------------------------------------------------------------------------- */

typedef struct job {
    const allocator *a;
    size_t size;
    int batch; /* 0: single pairs */
    long units;
    long warm;
    pthread_barrier_t *start, *stop;
    double t0, t1;
    int failed;
    int index;
} job;

static int run_units(job *j, state *s, long n) {
    return j->batch ? j->a->batches(s, n, j->batch) : j->a->pairs(s, n);
}

/* Threads are pinned, thread k to CPU k (mod the CPUs this process may use), so two threads never
   share a CPU while another one idles; BENCH_NO_PIN=1 leaves placement to the scheduler. */
static void pin(int k) {
    static int cpus[CPU_SETSIZE], count = -1;
    if (count < 0) {
        cpu_set_t set;
        count = 0;
        if (getenv("BENCH_NO_PIN") == NULL && sched_getaffinity(0, sizeof set, &set) == 0)
            for (int c = 0; c < CPU_SETSIZE; c++)
                if (CPU_ISSET(c, &set)) cpus[count++] = c;
    }
    if (count < 2) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpus[k % count], &one);
    pthread_setaffinity_np(pthread_self(), sizeof one, &one);
}

static void *worker(void *arg) {
    job *j = arg;
    pin(j->index);
    state *s = state_new(j->size);
    if (j->a->setup(s) != 0) j->failed = 1;
    if (!j->failed && run_units(j, s, j->warm) != 0) j->failed = 1;
    pthread_barrier_wait(j->start);
    j->t0 = now_ns();
    if (!j->failed && run_units(j, s, j->units) != 0) j->failed = 1;
    j->t1 = now_ns();
    pthread_barrier_wait(j->stop);
    j->a->teardown(s);
    free(s);
    return NULL;
}

/* Runs `units` on each of `threads` threads at once; returns the wall time (first start to last end). */
static double run_threads(const allocator *a, size_t size, int batch, long units, int threads) {
    pthread_barrier_t start, stop;
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    pthread_barrier_init(&stop, NULL, (unsigned)threads);
    job jobs[2];
    pthread_t tid[2];
    long warm = units / 10 > 0 ? units / 10 : 1;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (job){a, size, batch, units, warm, &start, &stop, 0, 0, 0, t};
        pthread_create(&tid[t], NULL, worker, &jobs[t]);
    }
    double first = 1e300, last = 0;
    int failed = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        if (jobs[t].t0 < first) first = jobs[t].t0;
        if (jobs[t].t1 > last) last = jobs[t].t1;
        failed |= jobs[t].failed;
    }
    pthread_barrier_destroy(&start);
    pthread_barrier_destroy(&stop);
    if (failed) {
        fprintf(stderr, "%s: allocation failed (size %zu, batch %d)\n", a->name, size, batch);
        exit(3);
    }
    return last - first;
}

/* Exactly n single pairs of `size` bytes on this thread, untimed: instruction counts under valgrind
   are repeatable whatever else the machine does, so two builds compare on a loaded machine. */
static void mode_count(const allocator *a, long n, size_t size) {
    state *s = state_new(size);
    a->setup(s);
    if (a->pairs(s, n) != 0) {
        fprintf(stderr, "%s: allocation failed\n", a->name);
        exit(3);
    }
    a->teardown(s);
    free(s);
}

/* Units for about target_ns on one thread, from a growing trial run on this thread. */
static long calibrate(const allocator *a, size_t size, int batch, double target_ns) {
    state *s = state_new(size);
    a->setup(s);
    long n = 1;
    double t = 0;
    for (;;) {
        double t0 = now_ns();
        job j = {a, size, batch, 0, 0, NULL, NULL, 0, 0, 0, 0};
        if (run_units(&j, s, n) != 0) {
            fprintf(stderr, "%s: allocation failed in calibration\n", a->name);
            exit(3);
        }
        t = now_ns() - t0;
        if (t > target_ns / 20 || n > (1L << 40)) break;
        n *= 4;
    }
    a->teardown(s);
    free(s);
    long units = (long)(target_ns * (double)n / t);
    return units < 1 ? 1 : units;
}

typedef struct pc {
    int index;
    const allocator *a;
    state *s;
    ring *q;
    long n;
    pthread_barrier_t *start;
    double t0, t1;
} pc;

static void *producer(void *arg) {
    pc *p = arg;
    pin(p->index);
    pthread_barrier_wait(p->start);
    p->t0 = now_ns();
    p->a->produce(p->s, p->q, p->n);
    p->t1 = now_ns();
    return NULL;
}
static void *consumer(void *arg) {
    pc *p = arg;
    pin(p->index);
    pthread_barrier_wait(p->start);
    p->t0 = now_ns();
    p->a->consume(p->s, p->q, p->n);
    p->t1 = now_ns();
    return NULL;
}

static double run_prodcons(const allocator *a, size_t size, long n) {
    state *s = state_new(size);
    a->setup(s);
    ring *q = aligned_alloc(64, sizeof(ring));
    memset(q, 0, sizeof *q);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    pc p = {0, a, s, q, n, &start, 0, 0}, c = p;
    c.index = 1;
    pthread_t tp, tc;
    pthread_create(&tp, NULL, producer, &p);
    pthread_create(&tc, NULL, consumer, &c);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    pthread_barrier_destroy(&start);
    free(q);
    a->teardown(s);
    free(s);
    double first = p.t0 < c.t0 ? p.t0 : c.t0, last = p.t1 > c.t1 ? p.t1 : c.t1;
    return last - first;
}

static const size_t sizes[] = {32, 256, 1024, 4096};
static const int batches[] = {25, 100, 400, 1000};

static void mode_prodcons(const allocator *a, double target_ms);

/* A fixed CPU-bound loop (a dependent multiply-add chain): its time across processes shows how
   steady the machine was (a busy host slows every process alike). */
static void probe(const allocator *a) {
    const long n = 20000000;
    uint64_t x = 1;
    double t0 = now_ns();
    for (long i = 0; i < n; i++) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    KEEP(x);
    double t = now_ns() - t0;
    emit(a->name, "probe", 0, 1, 1, (double)n, t, t / (double)n);
}

/* Everything (pairs, batches, 2 threads, producer/consumer), or with `pairs_only` the single
   pairs alone (the floor, a reference for the pairs only). */
static void mode_run(const allocator *a, double target_ms, int pairs_only) {
    double target = target_ms * 1e6;
    probe(a);
    /* Process warm-up, not reported: first use of every size on 2 threads at once (thread slots,
       lazily built per-thread and per-size structures, page faults of fresh memory). */
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        long units = calibrate(a, sizes[si], 0, 2e6);
        run_threads(a, sizes[si], 0, units, 2);
        run_threads(a, sizes[si], 100, units / 100 + 1, 2);
    }
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t size = sizes[si];
        for (int bi = -1; bi < (pairs_only ? 0 : (int)(sizeof batches / sizeof batches[0])); bi++) {
            int batch = bi < 0 ? 0 : batches[bi];
            int per = batch ? batch : 1;
            long units = calibrate(a, size, batch, target);
            for (int threads = 1; threads <= 2; threads++) {
                double wall = run_threads(a, size, batch, units, threads);
                double pairs = (double)units * per * threads;
                emit(a->name, batch ? "batch" : "pair", size, per, threads, pairs, wall, wall / pairs);
            }
        }
    }
    if (!pairs_only) mode_prodcons(a, target_ms);
}

static void mode_prodcons(const allocator *a, double target_ms) {
    double target = target_ms * 1e6;
    if (a->threadSafeSharing) {
        /* calibrate the producer/consumer on a short run, then measure */
        long n = 20000;
        double t = run_prodcons(a, 256, n);
        n = (long)(target * (double)n / t);
        if (n < 1000) n = 1000;
        double wall = run_prodcons(a, 256, n);
        emit(a->name, "prodcons", 256, 1, 2, (double)n, wall, wall / (double)n);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Memory per live object
 * ------------------------------------------------------------------------------------------- */

static double rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

#ifdef WITH_WDF
/* Bytes of pool in use, all tags, from ZwQuerySystemInformation (what poolmon reads). */
static double pool_bytes(void) {
    ULONG length = 0;
    ZwQuerySystemInformation(SystemPoolTagInformation, NULL, 0, &length);
    length += 64 * sizeof(SYSTEM_POOLTAG);
    PSYSTEM_POOLTAG_INFORMATION info = malloc(length);
    double total = 0;
    if (NT_SUCCESS(ZwQuerySystemInformation(SystemPoolTagInformation, info, length, &length))) {
        for (ULONG i = 0; i < info->Count; i++) total += (double)info->TagInfo[i].NonPagedUsed + (double)info->TagInfo[i].PagedUsed;
    }
    free(info);
    return total;
}
/* The buffer of an object as the allocator hands it out. */
static void *buffer_of(const allocator *a, void *object) {
    if (strcmp(a->name, "wdfmemory") == 0 || strcmp(a->name, "wdfpool") == 0)
        return WdfMemoryGetBuffer((WDFMEMORY)object, NULL);
    return object;
}
#else
static double pool_bytes(void) { return 0; }
static void *buffer_of(const allocator *a, void *object) { (void)a; return object; }
#endif

static void mode_mem(const allocator *a, long count) {
    const size_t size = 256;
    /* The pointer array is mapped and touched before the first reading. */
    void **objects = mmap(NULL, (size_t)count * sizeof(void *), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(objects, 0, (size_t)count * sizeof(void *));
    state *s = state_new(size);
    a->setup(s);
    /* Warm: one object in and out, so one-time structures are not counted. */
    void *first = a->alloc(s);
    a->free(s, first);
    double rss0 = rss_bytes(), pool0 = pool_bytes();
    for (long i = 0; i < count; i++) {
        void *o = a->alloc(s);
        if (!o) { fprintf(stderr, "%s: allocation %ld failed\n", a->name, i); exit(3); }
        memset(buffer_of(a, o), 0x5a, size); /* every page of every buffer resident */
        objects[i] = o;
    }
    double rss1 = rss_bytes(), pool1 = pool_bytes();
    double perRss = (rss1 - rss0) / (double)count;
    emit(a->name, "mem-rss", size, 1, 1, (double)count, rss1 - rss0, perRss - (double)size);
#ifdef WITH_WDF
    emit(a->name, "mem-pool", size, 1, 1, (double)count, pool1 - pool0, (pool1 - pool0) / (double)count - (double)size);
#else
    (void)pool0; (void)pool1;
#endif
    for (long i = 0; i < count; i++) a->free(s, objects[i]);
    a->teardown(s);
    free(s);
    munmap(objects, (size_t)count * sizeof(void *));
}

/* ---------------------------------------------------------------------------------------------
 * Deleting a parent with N children
 * ------------------------------------------------------------------------------------------- */

static void mode_tree(const char *name, long n) {
    const size_t size = 256;
    (void)size;
    (void)n;
#ifdef WITH_TALLOC
    if (strcmp(name, "talloc") == 0 || strcmp(name, "talloc-new") == 0) {
        int generic = strcmp(name, "talloc-new") == 0;
        void *parent = talloc_new(NULL);
        double t0 = now_ns();
        for (long i = 0; i < n; i++) {
            void *child = generic ? talloc_new(parent) : talloc_size(parent, size);
            if (!child) { fprintf(stderr, "talloc failed\n"); exit(3); }
        }
        double t1 = now_ns();
        talloc_free(parent);
        double t2 = now_ns();
        emit(name, "tree-create", generic ? 0 : size, 1, 1, (double)n, t1 - t0, (t1 - t0) / (double)n);
        emit(name, "tree-delete", generic ? 0 : size, 1, 1, (double)n, t2 - t1, (t2 - t1) / (double)n);
        return;
    }
#endif
#ifdef WITH_WDF
    if (strcmp(name, "wdfmemory") == 0 || strcmp(name, "wdfobject") == 0) {
        int generic = strcmp(name, "wdfobject") == 0;
        WDFOBJECT parent;
        if (!NT_SUCCESS(WdfObjectCreate(WDF_NO_OBJECT_ATTRIBUTES, &parent))) exit(3);
        WDF_OBJECT_ATTRIBUTES attributes;
        WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
        attributes.ParentObject = parent;
        double t0 = now_ns();
        for (long i = 0; i < n; i++) {
            NTSTATUS status;
            if (generic) {
                WDFOBJECT child;
                status = WdfObjectCreate(&attributes, &child);
            } else {
                WDFMEMORY child;
                status = WdfMemoryCreate(&attributes, NonPagedPoolNx, TAG('B', 'n', 'c', 't'), size, &child, NULL);
            }
            if (!NT_SUCCESS(status)) { fprintf(stderr, "%s: create %ld failed 0x%08x\n", name, i, (unsigned)status); exit(3); }
        }
        double t1 = now_ns();
        WdfObjectDelete(parent);
        double t2 = now_ns();
        emit(name, "tree-create", generic ? 0 : size, 1, 1, (double)n, t1 - t0, (t1 - t0) / (double)n);
        emit(name, "tree-delete", generic ? 0 : size, 1, 1, (double)n, t2 - t1, (t2 - t1) / (double)n);
        return;
    }
#endif
    fprintf(stderr, "no tree test for %s in this program\n", name);
    exit(2);
}

/* ---------------------------------------------------------------------------------------------
 * main
 * ------------------------------------------------------------------------------------------- */

#ifdef WITH_WDF
static const FLT_REGISTRATION registration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};

static NTSTATUS BenchDriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING path) {
    (void)path;
    return FltRegisterFilter(driver, &registration, &g_filter);
}
#endif

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s run|pairs|prodcons|mem|tree|count|which [allocator] [argument]\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    if (strcmp(mode, "which") == 0) {
        Dl_info info;
        void *m = dlsym(RTLD_DEFAULT, "malloc");
        printf("malloc from %s\n", m && dladdr(m, &info) && info.dli_fname ? info.dli_fname : "?");
        return 0;
    }
    if (argc < 3) return 2;
    const char *name = argv[2];
#ifdef WITH_WDF
    PDRIVER_OBJECT driver;
    if (!NT_SUCCESS(WdfHostLoadDriver("WdfBench", BenchDriverEntry, &driver))) return 1;
#endif
    if (strcmp(mode, "run") == 0 || strcmp(mode, "pairs") == 0) {
        mode_run(find_allocator(name), argc > 3 ? atof(argv[3]) : 40.0, strcmp(mode, "pairs") == 0);
    } else if (strcmp(mode, "prodcons") == 0) {
        mode_prodcons(find_allocator(name), argc > 3 ? atof(argv[3]) : 40.0);
    } else if (strcmp(mode, "mem") == 0) {
        mode_mem(find_allocator(name), argc > 3 ? atol(argv[3]) : 1000000);
    } else if (strcmp(mode, "count") == 0) {
        mode_count(find_allocator(name), argc > 3 ? atol(argv[3]) : 100000, argc > 4 ? (size_t)atol(argv[4]) : 256);
    } else if (strcmp(mode, "tree") == 0) {
        mode_tree(name, argc > 3 ? atol(argv[3]) : 1000000);
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
#ifdef WITH_WDF
    FltUnregisterFilter(g_filter);
    WdfHostUnloadDriver(driver);
#endif
    return 0;
}
