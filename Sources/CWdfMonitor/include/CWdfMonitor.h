/* wdfmon's snapshot publishing: the load-time check of WDFMON_PUBLISH (internal). */
#ifndef CWDFMONITOR_H
#define CWDFMONITOR_H

/* 1 when WDFMON_PUBLISH=1 was in the environment at load time, else 0. */
int wdf_monitor_requested(void);

/* ThreadSanitizer: a snapshot reads the runtime's counters and object slots while other threads
 * change them, on purpose and without locks (a monitoring read, documented as approximate while
 * threads run). These tell ThreadSanitizer to ignore the calling thread's reads meanwhile; the
 * symbols exist only when its runtime is linked (weak: NULL otherwise). */
void AnnotateIgnoreReadsBegin(const char *file, int line) __attribute__((weak));
void AnnotateIgnoreReadsEnd(const char *file, int line) __attribute__((weak));

static inline void wdf_monitor_ignore_reads_begin(void) {
    if (AnnotateIgnoreReadsBegin) AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
}
static inline void wdf_monitor_ignore_reads_end(void) {
    if (AnnotateIgnoreReadsEnd) AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
}

#endif
