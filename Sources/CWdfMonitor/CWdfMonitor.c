// Reads WDFMON_PUBLISH once, when the library (or a program linking it statically) is loaded.
// With WDFMON_PUBLISH=1 it hands the runtime the publisher's two entry points (Swift routines of
// the WdfMonitor module, called later: on the first thread that uses the runtime, and when a bug
// check begins). Without it nothing else happens: no thread, no hook, nothing on any path.
#include "CWdfMonitor.h"
#include "MonitorHooks.h"
#include <stdlib.h>
#include <string.h>

void wdf_monitor_start(void);
void wdf_monitor_bug_check(void);

static int requested = 0;

int wdf_monitor_requested(void) { return requested; }

__attribute__((constructor)) static void wdf_monitor_load(void) {
    const char *value = getenv("WDFMON_PUBLISH");
    if (value == NULL || strcmp(value, "1") != 0) return;
    requested = 1;
    nt_monitor_set_hooks(wdf_monitor_start, wdf_monitor_bug_check);
}
