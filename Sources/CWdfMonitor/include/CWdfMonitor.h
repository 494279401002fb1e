/* wdfmon's snapshot publishing: the load-time check of WDFMON_PUBLISH (internal). */
#ifndef CWDFMONITOR_H
#define CWDFMONITOR_H

/* 1 when WDFMON_PUBLISH=1 was in the environment at load time, else 0. */
int wdf_monitor_requested(void);

#endif
