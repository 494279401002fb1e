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

/* Describes the code that called into the runtime: the first stack frame that is not the runtime
 * itself (Swift symbols of NtKernel/Wdf/FltMgr, these helpers, or a symbol starting with
 * `routine`), as "symbol+0xoffset (module)", or "module+0xoffset" when the frame has no dynamic
 * symbol (in a statically linked executable that can also be a frame of the runtime itself). Returns the length written. */
int nt_describe_caller(const char *routine, char *buffer, int capacity);

/* Futex wait on a 32-bit word while it holds `expected`, for at most timeout_nanoseconds (< 0:
 * no limit). Returns 1 when the time ran out, 0 otherwise (woken, value changed, interrupted). */
#include <stdint.h>
int nt_futex_wait(uint32_t *address, uint32_t expected, int64_t timeout_nanoseconds);
/* Wakes up to `count` threads waiting on the word. */
void nt_futex_wake(uint32_t *address, int count);
/* CLOCK_MONOTONIC and CLOCK_REALTIME in nanoseconds. */
int64_t nt_monotonic_nanoseconds(void);
int64_t nt_realtime_nanoseconds(void);
/* A spin-wait hint (pause). */
void nt_cpu_relax(void);

#endif
#include "MonitorHooks.h"
