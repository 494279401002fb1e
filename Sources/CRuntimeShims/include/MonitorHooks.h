/* Hooks for wdfmon's snapshot publishing (the WdfMonitor module). Internal: not public C API.
 *
 * Nothing here runs unless WDFMON_PUBLISH=1 was in the environment when the library was loaded:
 * the WdfMonitor module's load-time constructor then stores its two routines here; otherwise
 * both stay NULL, and the two calls below are a load and a not-taken branch on cold paths only
 * (a thread's first use of the runtime, a bug check). */
#ifndef NT_MONITOR_HOOKS_H
#define NT_MONITOR_HOOKS_H

/* Stores the routines: `start` runs once, on the first thread that attaches to the runtime
 * (after the constructor, so the Swift runtime is up); `bugCheck` runs when a bug check begins,
 * before its report is written. */
void nt_monitor_set_hooks(void (*start)(void), void (*bugCheck)(void));

/* Called by the runtime after a thread attached (ThreadRegistry.attachCurrentThread). */
void nt_monitor_thread_attached(void);

/* Called by the runtime when a bug check begins (BugCheck.raise). */
void nt_monitor_bug_check(void);

#endif
