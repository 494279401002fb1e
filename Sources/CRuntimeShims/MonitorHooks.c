// wdfmon's snapshot publishing hooks (see MonitorHooks.h).
#include "MonitorHooks.h"
#include <stddef.h>

static void (*monitor_start)(void) = NULL;
static void (*monitor_bug_check)(void) = NULL;
static int monitor_started = 0;

void nt_monitor_set_hooks(void (*start)(void), void (*bugCheck)(void)) {
    __atomic_store_n(&monitor_bug_check, bugCheck, __ATOMIC_RELEASE);
    __atomic_store_n(&monitor_start, start, __ATOMIC_RELEASE);
}

void nt_monitor_thread_attached(void) {
    void (*start)(void) = __atomic_load_n(&monitor_start, __ATOMIC_ACQUIRE);
    if (__builtin_expect(start == NULL, 1)) return;
    if (__atomic_exchange_n(&monitor_started, 1, __ATOMIC_ACQ_REL) == 0) start();
}

void nt_monitor_bug_check(void) {
    void (*bugCheck)(void) = __atomic_load_n(&monitor_bug_check, __ATOMIC_ACQUIRE);
    if (bugCheck != NULL) bugCheck();
}
