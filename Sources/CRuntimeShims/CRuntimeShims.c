#define _GNU_SOURCE
#include "CRuntimeShims.h"

_Thread_local void *nt_thread_context_storage __attribute__((tls_model("initial-exec")));
_Thread_local void *nt_wdf_slot_cache_storage __attribute__((tls_model("initial-exec")));

#include <linux/membarrier.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int nt_asymmetric_fences;

/* Registers the process for expedited private membarriers when the library loads, before any
 * thread of ours runs. */
__attribute__((constructor)) static void nt_register_asymmetric_fences(void) {
    long commands = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (commands > 0 && (commands & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0
        && syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0) {
        nt_asymmetric_fences = 1;
    }
}

void nt_heavy_fence(void) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!nt_asymmetric_fences) return;
    if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) {
        /* Registered, so this cannot fail; if it did, the light fences would order nothing. */
        fputs("nt_heavy_fence: membarrier failed after registration\n", stderr);
        abort();
    }
}

/* Futex wait/wake on a 32-bit word in any (process-private) memory: the kernel synchronization
 * objects that live in driver memory (FAST_MUTEX, KEVENT) block on their own words. */
#include <errno.h>
#include <linux/futex.h>
#include <time.h>

int nt_futex_wait(uint32_t *address, uint32_t expected, int64_t timeout_nanoseconds) {
    struct timespec timeout;
    struct timespec *limit = NULL;
    if (timeout_nanoseconds >= 0) {
        timeout.tv_sec = (time_t)(timeout_nanoseconds / 1000000000);
        timeout.tv_nsec = (long)(timeout_nanoseconds % 1000000000);
        limit = &timeout;
    }
    long result = syscall(SYS_futex, address, FUTEX_WAIT_PRIVATE, expected, limit, NULL, 0);
    if (result == 0) return 0;
    return errno == ETIMEDOUT ? 1 : 0;
}

void nt_futex_wake(uint32_t *address, int count) {
    syscall(SYS_futex, address, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

int64_t nt_monotonic_nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

int64_t nt_realtime_nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

int64_t nt_thread_id(void) { return (int64_t)syscall(SYS_gettid); }

uint32_t nt_current_processor(void) {
    int cpu = sched_getcpu();
    return cpu < 0 ? 0 : (uint32_t)cpu;
}

uint32_t nt_online_processors(void) {
    long count = sysconf(_SC_NPROCESSORS_ONLN);
    return count < 1 ? 1 : (uint32_t)count;
}

void nt_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* ---- KernelLock tokens ---- */

#include <pthread.h>

enum { nt_token_chunk_count = 512 };
struct nt_token_chunk {
    struct nt_token_chunk *next;
    void *tokens[nt_token_chunk_count];
};
static pthread_mutex_t nt_tokens_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nt_token_chunk *nt_token_chunks; /* every chunk made, kept for the process */
static void **nt_free_tokens;                  /* free tokens, linked through their first word */

void *nt_lock_token_take(void) {
    pthread_mutex_lock(&nt_tokens_lock);
    if (nt_free_tokens == NULL) {
        struct nt_token_chunk *chunk = calloc(1, sizeof *chunk);
        if (chunk == NULL) abort();
        chunk->next = nt_token_chunks;
        nt_token_chunks = chunk;
        for (int i = 0; i < nt_token_chunk_count; i++) {
            chunk->tokens[i] = nt_free_tokens;
            nt_free_tokens = &chunk->tokens[i];
        }
    }
    void **token = nt_free_tokens;
    nt_free_tokens = *token;
    *token = NULL;
    pthread_mutex_unlock(&nt_tokens_lock);
    return token;
}

void nt_lock_token_give(void *token) {
    pthread_mutex_lock(&nt_tokens_lock);
    *(void **)token = nt_free_tokens;
    nt_free_tokens = token;
    pthread_mutex_unlock(&nt_tokens_lock);
}
