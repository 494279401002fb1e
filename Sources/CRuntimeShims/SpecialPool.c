/* Special pool: blocks on their own pages next to an inaccessible guard page, freed blocks kept
 * inaccessible for a while, and the fault handler that turns an access to those pages into a
 * report. Kept in C so that the handler reads only plain memory (no locks, no allocation). */
#define _GNU_SOURCE
#include "CRuntimeShims.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

int nt_driver_verifier_gate;
int nt_force_irql_gate;
int nt_deadlock_detection_gate;
_Thread_local void *nt_current_driver_storage __attribute__((tls_model("initial-exec")));

enum { nt_special_capacity = 16384, nt_quarantine_capacity = 1024 };
static const unsigned char nt_slack_pattern = 0xB9;

static pthread_mutex_t nt_special_lock = PTHREAD_MUTEX_INITIALIZER;
static nt_special_block *nt_special_table;   /* nt_special_capacity entries, mmap'd on first use */
static int nt_special_high_water;              /* entries [0, high water) may be in use */
static int nt_special_free_list[nt_special_capacity];
static int nt_special_free_count;
static int nt_quarantine[nt_quarantine_capacity];
static int nt_quarantine_next, nt_quarantine_count;

static unsigned long nt_page_size(void) {
    static unsigned long size;
    if (size == 0) size = (unsigned long)sysconf(_SC_PAGESIZE);
    return size;
}

nt_special_block *nt_special_entry(int index) { return &nt_special_table[index]; }

static int nt_special_take_index(void) {
    if (nt_special_table == NULL) {
        void *table = mmap(NULL, sizeof(nt_special_block) * nt_special_capacity, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (table == MAP_FAILED) return -1;
        nt_special_table = table;
    }
    if (nt_special_free_count > 0) return nt_special_free_list[--nt_special_free_count];
    if (nt_special_high_water < nt_special_capacity) return nt_special_high_water++;
    /* Full: give back the oldest quarantined block and reuse its entry. */
    if (nt_quarantine_count == 0) return -1;
    int oldest = nt_quarantine[(nt_quarantine_next - nt_quarantine_count + nt_quarantine_capacity) % nt_quarantine_capacity];
    nt_quarantine_count--;
    nt_special_block *entry = &nt_special_table[oldest];
    __atomic_store_n(&entry->state, 0, __ATOMIC_RELEASE);
    munmap((void *)entry->mapping, entry->mappingSize);
    return oldest;
}

int nt_special_allocate(unsigned long size, int overruns, unsigned int tag, unsigned int poolType,
                        void *const *frames, int frameCount, double now) {
    unsigned long page = nt_page_size();
    if (size == 0 || size > (1UL << 40)) return -1;
    unsigned long dataPages = (size + page - 1) / page;
    unsigned long mappingSize = (dataPages + 1) * page;
    void *mapping = mmap(NULL, mappingSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) return -1;
    unsigned long start = (unsigned long)mapping;
    unsigned long dataStart, dataEnd, block;
    if (overruns) {
        dataStart = start;
        dataEnd = start + dataPages * page;
        mprotect((void *)dataEnd, page, PROT_NONE);
        block = (dataEnd - size) & ~15UL;
    } else {
        mprotect(mapping, page, PROT_NONE);
        dataStart = start + page;
        dataEnd = dataStart + dataPages * page;
        block = dataStart;
    }
    memset((void *)dataStart, nt_slack_pattern, block - dataStart);
    memset((void *)(block + size), nt_slack_pattern, dataEnd - (block + size));
    pthread_mutex_lock(&nt_special_lock);
    int index = nt_special_take_index();
    if (index < 0) {
        pthread_mutex_unlock(&nt_special_lock);
        munmap(mapping, mappingSize);
        return -1;
    }
    nt_special_block *entry = &nt_special_table[index];
    entry->mapping = start;
    entry->mappingSize = mappingSize;
    entry->block = block;
    entry->size = size;
    entry->dataStart = dataStart;
    entry->dataEnd = dataEnd;
    entry->tag = tag;
    entry->poolType = poolType;
    entry->allocCount = frameCount > 16 ? 16 : frameCount;
    memcpy(entry->allocFrames, frames, sizeof(void *) * (size_t)entry->allocCount);
    entry->freeCount = 0;
    entry->allocTime = now;
    __atomic_store_n(&entry->state, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&nt_special_lock);
    return index;
}

int nt_special_find(const void *address) {
    if (nt_special_table == NULL) return -1;
    pthread_mutex_lock(&nt_special_lock);
    int found = -1;
    for (int i = 0; i < nt_special_high_water; i++) {
        nt_special_block *entry = &nt_special_table[i];
        if (entry->state == 0 || entry->block != (unsigned long)address) continue;
        found = entry->state == 1 ? i : -2 - i;
        if (entry->state == 1) break;
    }
    pthread_mutex_unlock(&nt_special_lock);
    return found;
}

long nt_special_check_slack(int index) {
    nt_special_block *entry = &nt_special_table[index];
    const unsigned char *bytes = (const unsigned char *)entry->dataStart;
    for (unsigned long at = entry->dataStart; at < entry->block; at++, bytes++) {
        if (*bytes != nt_slack_pattern) return (long)(at - entry->block);
    }
    bytes = (const unsigned char *)(entry->block + entry->size);
    for (unsigned long at = entry->block + entry->size; at < entry->dataEnd; at++, bytes++) {
        if (*bytes != nt_slack_pattern) return (long)(at - entry->block);
    }
    return -1;
}

void nt_special_free(int index, void *const *frames, int frameCount) {
    nt_special_block *entry = &nt_special_table[index];
    mprotect((void *)entry->mapping, entry->mappingSize, PROT_NONE);
    pthread_mutex_lock(&nt_special_lock);
    entry->freeCount = frameCount > 16 ? 16 : frameCount;
    memcpy(entry->freeFrames, frames, sizeof(void *) * (size_t)entry->freeCount);
    __atomic_store_n(&entry->state, 2, __ATOMIC_RELEASE);
    if (nt_quarantine_count == nt_quarantine_capacity) {
        /* The oldest quarantined block leaves: unmapped, its entry free again. */
        int oldest = nt_quarantine[nt_quarantine_next];
        nt_special_block *old = &nt_special_table[oldest];
        __atomic_store_n(&old->state, 0, __ATOMIC_RELEASE);
        munmap((void *)old->mapping, old->mappingSize);
        nt_special_free_list[nt_special_free_count++] = oldest;
        nt_quarantine_count--;
    }
    nt_quarantine[nt_quarantine_next] = index;
    nt_quarantine_next = (nt_quarantine_next + 1) % nt_quarantine_capacity;
    nt_quarantine_count++;
    pthread_mutex_unlock(&nt_special_lock);
}

/* ---- the fault handler ---- */

static struct sigaction nt_previous_segv, nt_previous_bus;
static nt_special_fault_report nt_fault_report;
static pthread_once_t nt_handler_once = PTHREAD_ONCE_INIT;

static int nt_special_owner(unsigned long address) {
    if (nt_special_table == NULL) return -1;
    int high = __atomic_load_n(&nt_special_high_water, __ATOMIC_ACQUIRE);
    for (int i = 0; i < high; i++) {
        nt_special_block *entry = &nt_special_table[i];
        if (__atomic_load_n(&entry->state, __ATOMIC_ACQUIRE) == 0) continue;
        if (address >= entry->mapping && address < entry->mapping + entry->mappingSize) return i;
    }
    return -1;
}

static void nt_special_fault(int signal, siginfo_t *info, void *context) {
    int index = nt_special_owner((unsigned long)info->si_addr);
    if (index >= 0 && nt_fault_report != NULL) {
        void *pc = NULL;
        int isWrite = 0;
#if defined(__x86_64__)
        ucontext_t *uc = context;
        pc = (void *)uc->uc_mcontext.gregs[REG_RIP];
        isWrite = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
#elif defined(__aarch64__)
        ucontext_t *uc = context;
        pc = (void *)uc->uc_mcontext.pc;
#endif
        nt_fault_report(index, info->si_addr, pc, isWrite);
        _exit(134); /* not reached: the report stops the process */
    }
    /* Not ours: to whoever handled the signal before. */
    struct sigaction *previous = signal == SIGBUS ? &nt_previous_bus : &nt_previous_segv;
    if ((previous->sa_flags & SA_SIGINFO) && previous->sa_sigaction != NULL) {
        previous->sa_sigaction(signal, info, context);
        return;
    }
    if (previous->sa_handler == SIG_DFL || previous->sa_handler == SIG_IGN) {
        /* The default action: reinstate it and return; the instruction faults again. */
        struct sigaction standard;
        memset(&standard, 0, sizeof standard);
        standard.sa_handler = SIG_DFL;
        sigaction(signal, &standard, NULL);
        return;
    }
    previous->sa_handler(signal);
}

static void nt_install_handler_once(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = nt_special_fault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &nt_previous_segv);
    sigaction(SIGBUS, &action, &nt_previous_bus);
}

static _Thread_local int nt_has_alternate_stack;

void nt_special_ensure_alternate_stack(void) {
    if (nt_has_alternate_stack) return;
    nt_has_alternate_stack = 1;
    stack_t current;
    if (sigaltstack(NULL, &current) == 0 && !(current.ss_flags & SS_DISABLE) && current.ss_size >= 256 * 1024) return;
    /* The report runs on this stack (it formats text and may run a symbolizer). Never freed:
     * one per thread that used special pool. */
    size_t size = 512 * 1024;
    void *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return;
    stack_t stack = {.ss_sp = memory, .ss_size = size, .ss_flags = 0};
    sigaltstack(&stack, NULL);
}

void nt_special_install_handler(nt_special_fault_report report) {
    nt_fault_report = report;
    pthread_once(&nt_handler_once, nt_install_handler_once);
    nt_special_ensure_alternate_stack();
}

void nt_stop_process(const char *text, unsigned long length) {
    fflush(stdout);
    unsigned long written = 0;
    while (written < length) {
        ssize_t result = write(2, text + written, length - written);
        if (result <= 0) break;
        written += (unsigned long)result;
    }
    /* SIGABRT's default action: the process ends as abort(3) says, without the Swift runtime's
     * backtracer (which, in a terminal, may wait at a prompt). */
    struct sigaction standard;
    memset(&standard, 0, sizeof standard);
    standard.sa_handler = SIG_DFL;
    sigaction(SIGABRT, &standard, NULL);
    sigset_t abortOnly;
    sigemptyset(&abortOnly);
    sigaddset(&abortOnly, SIGABRT);
    pthread_sigmask(SIG_UNBLOCK, &abortOnly, NULL);
    abort();
}

/* The systematic low resources mode sees every allocation of the process: open the gate at
 * load when it is asked for. */
__attribute__((constructor)) static void nt_open_gate_for_sites(void) {
    const char *sites = getenv("WDF_LOW_RESOURCES_SITES_FILE");
    const char *fail = getenv("WDF_LOW_RESOURCES_FAIL_SITE");
    if ((sites && sites[0]) || (fail && fail[0])) nt_driver_verifier_gate |= 2;
}
