internal import CRuntimeShims

/// The runtime's two calls into wdfmon's snapshot publishing (the WdfMonitor module), which
/// installs its routines at load time when `WDFMON_PUBLISH=1` is in the environment. Without it
/// both calls are a load and a branch, made on cold paths only.
enum MonitorHook {
    /// A thread attached to the runtime: publishing starts with the first one.
    @inline(__always)
    static func threadAttached() { nt_monitor_thread_attached() }

    /// A bug check begins: the publisher writes its final snapshot before the report.
    @inline(__always)
    static func bugCheckBegins() { nt_monitor_bug_check() }
}
