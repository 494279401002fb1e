// Tiny C helpers for the Swift runtime. Internal: not part of the public C API.
#ifndef CRUNTIMESHIMS_H
#define CRUNTIMESHIMS_H

/// The calling thread's kernel context (IRQL, process, caches), or NULL before first use.
/// A C `_Thread_local` read through an inline accessor costs about a nanosecond, less than
/// pthread_getspecific; initial-exec keeps it a single segment-relative load inside the .so.
extern _Thread_local void *nt_thread_context_storage __attribute__((tls_model("initial-exec")));

static inline void *nt_thread_context_get(void) { return nt_thread_context_storage; }
static inline void nt_thread_context_set(void *context) { nt_thread_context_storage = context; }


/* The framework's per-thread object-slot cache (the Wdf module's), read on every object
 * creation and deletion: a TLS load instead of a call into the runtime. */
extern _Thread_local void *nt_wdf_slot_cache_storage __attribute__((tls_model("initial-exec")));
static inline void *nt_wdf_slot_cache_get(void) { return nt_wdf_slot_cache_storage; }
static inline void nt_wdf_slot_cache_set(void *cache) { nt_wdf_slot_cache_storage = cache; }

/* Asymmetric fences (membarrier(2)). A hot path that must order a store before a later load
 * against a rare path uses the light fence, a compiler barrier only; the rare path uses the
 * heavy fence, which makes every thread of the process execute a full barrier. Where the kernel
 * lacks MEMBARRIER_CMD_PRIVATE_EXPEDITED both are full fences. */
extern int nt_asymmetric_fences;
static inline void nt_light_fence(void) {
    if (__builtin_expect(nt_asymmetric_fences, 1)) __asm__ volatile("" ::: "memory");
    else __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
void nt_heavy_fence(void);

/* Asks for the cache line holding `address` ahead of its use (a hint: never faults). */
static inline void nt_prefetch(const void *address) { __builtin_prefetch(address, 1, 3); }

/* ThreadSanitizer annotations. Synchronization.Mutex is built without instrumentation, so
 * ThreadSanitizer cannot see the order it imposes; KernelLock tells it with these. The symbols
 * exist only when the ThreadSanitizer runtime is linked (weak: NULL otherwise). */
void __tsan_acquire(void *address) __attribute__((weak));
void __tsan_release(void *address) __attribute__((weak));

static inline void nt_tsan_acquire(void *address) { if (__tsan_acquire) __tsan_acquire(address); }
static inline void nt_tsan_release(void *address) { if (__tsan_release) __tsan_release(address); }

/* A private address naming one KernelLock to ThreadSanitizer, from chunks the process keeps
 * (reachable from a global, so a lock whose destructor never runs leaks nothing); given back
 * for reuse when the lock goes away. */
void *nt_lock_token_take(void);
void nt_lock_token_give(void *token);

/* ---- Call sites (CallSites.c) ---- */

/* Up to `capacity` return addresses of the calling thread, innermost first (backtrace(3)). */
int nt_capture_stack(void **frames, int capacity);

/* Names the driver's frame among `frames`: the first one outside the library (libWdf01000.so,
 * the library's Swift modules and sources, the Swift runtime). Writes the site as
 * "function (file:line)", else "function+0xOFF (module)", else "module+0xOFF", and its id
 * "module+0xOFF" (stable across runs). `exact`: frames[0] is a faulting instruction, not a return
 * address. Costly (may run a symbolizer): only when a report is written. */
int nt_describe_site(void *const *frames, int count, int exact, char *site, int siteCapacity, char *siteID, int idCapacity);

/* Only the id "module+0xOFF" of the driver's frame (cached per address after the first time). */
int nt_describe_site_id(void *const *frames, int count, char *siteID, int idCapacity);

/* ---- Driver Verifier gate ---- */

/* Non-zero while some loaded driver has a Driver Verifier setting that needs to see every pool
 * allocation (special pool, low resources, pool tracking) or call sites are being collected:
 * the pool's inline paths then decline to the checked path. A relaxed load: one instruction. */
extern int nt_driver_verifier_gate __attribute__((visibility("hidden")));
static inline int nt_driver_verifier_active(void) { return __atomic_load_n(&nt_driver_verifier_gate, __ATOMIC_RELAXED); }
static inline void nt_driver_verifier_set_active(int on) { __atomic_store_n(&nt_driver_verifier_gate, on, __ATOMIC_RELAXED); }

/* Non-zero while some loaded driver has Driver Verifier's force IRQL checking (VerifyDriverLevel
 * 0x2): routines whose IRQL limit is checked only then read it once per call. */
extern int nt_force_irql_gate __attribute__((visibility("hidden")));
static inline int nt_force_irql_active(void) { return __atomic_load_n(&nt_force_irql_gate, __ATOMIC_RELAXED); }
static inline void nt_force_irql_set_active(int on) { __atomic_store_n(&nt_force_irql_gate, on, __ATOMIC_RELAXED); }

/* Non-zero while some loaded driver has deadlock detection (VerifyDriverLevel 0x20): spin lock
 * and fast mutex acquires and releases then record the lock order. */
extern int nt_deadlock_detection_gate __attribute__((visibility("hidden")));
static inline int nt_deadlock_detection_active(void) { return __atomic_load_n(&nt_deadlock_detection_gate, __ATOMIC_RELAXED); }
static inline void nt_deadlock_detection_set_active(int on) { __atomic_store_n(&nt_deadlock_detection_gate, on, __ATOMIC_RELAXED); }

/* The driver whose code the calling thread runs (set by the host around DriverEntry, unload
 * and callbacks), or NULL. */
extern _Thread_local void *nt_current_driver_storage __attribute__((tls_model("initial-exec")));
static inline void *nt_current_driver_get(void) { return nt_current_driver_storage; }
static inline void nt_current_driver_set(void *driver) { nt_current_driver_storage = driver; }

/* ---- Special pool (SpecialPool.c) ---- */

/* A special-pool block's facts, kept in C so that the fault handler can read them. */
typedef struct nt_special_block {
    unsigned long mapping;      /* start of the whole mapping (guard pages included) */
    unsigned long mappingSize;
    unsigned long block;        /* the caller's buffer */
    unsigned long size;         /* bytes asked for */
    unsigned long dataStart;    /* first accessible byte */
    unsigned long dataEnd;      /* one past the last accessible byte */
    unsigned int tag;
    unsigned int poolType;
    int state;                  /* 0 unused, 1 allocated, 2 freed (quarantined) */
    int allocCount, freeCount;
    void *allocFrames[16];
    void *freeFrames[16];
    double allocTime;
} nt_special_block;

/* Maps a block of `size` bytes on its own pages with a PROT_NONE guard page after it
 * (`overruns` non-zero: the block ends against it, 16-byte alignment allowing; the slack
 * before... after it filled with a pattern) or before it (`overruns` zero: the block starts
 * against it). Returns the block's index (>= 0), or -1 when the table is full or mmap failed. */
int nt_special_allocate(unsigned long size, int overruns, unsigned int tag, unsigned int poolType,
                        void *const *frames, int frameCount, double now);

/* The block entry for an index (stable while the block is allocated or quarantined). */
nt_special_block *nt_special_entry(int index);

/* The index of the allocated block whose buffer is `address`, -1 if none; -2 - index when
 * `address` is a quarantined (freed) block's buffer. */
int nt_special_find(const void *address);

/* Checks the slack pattern of an allocated block: the offset (from the buffer) of the first
 * corrupted slack byte, or -1 when intact. */
long nt_special_check_slack(int index);

/* Frees a block: its pages become PROT_NONE and stay in a bounded quarantine (the oldest are
 * unmapped as new ones arrive). */
void nt_special_free(int index, void *const *frames, int frameCount);

/* Installs the SIGSEGV/SIGBUS handler (once; SA_SIGINFO|SA_ONSTACK) and gives the calling
 * thread an alternate signal stack if it has none. A fault on a special-pool page calls
 * `report(index, address, pc, isWrite)` (which does not return); every other fault goes to
 * the handler that was installed before. */
typedef void (*nt_special_fault_report)(int index, void *address, void *pc, int isWrite);
void nt_special_install_handler(nt_special_fault_report report);
void nt_special_ensure_alternate_stack(void);

/* Stops: flushes stdout, writes `text` to stderr and aborts without the Swift backtracer's
 * interactive prompt (SIGABRT's default action). */
__attribute__((noreturn)) void nt_stop_process(const char *text, unsigned long length);

/* Futex wait on a 32-bit word while it holds `expected`, for at most timeout_nanoseconds (< 0:
 * no limit). Returns 1 when the time ran out, 0 otherwise (woken, value changed, interrupted). */
#include <stdint.h>
int nt_futex_wait(uint32_t *address, uint32_t expected, int64_t timeout_nanoseconds);
/* Wakes up to `count` threads waiting on the word. */
void nt_futex_wake(uint32_t *address, int count);
/* CLOCK_MONOTONIC and CLOCK_REALTIME in nanoseconds. */
int64_t nt_monotonic_nanoseconds(void);
int64_t nt_realtime_nanoseconds(void);
/* The calling thread's kernel thread id (gettid). */
int64_t nt_thread_id(void);
/* The processor the calling thread runs on now (sched_getcpu; 0 when unknown). */
uint32_t nt_current_processor(void);
/* The processors online (at least 1). */
uint32_t nt_online_processors(void);
/* The loaded image that holds address: its lowest mapped address and the extent of its loadable
   segments. Returns 0 when no loaded image holds it. */
int nt_image_containing(const void *address, void **start, unsigned long *size);

/* A spin-wait hint (pause). */
void nt_cpu_relax(void);

#endif
#include "MonitorHooks.h"
