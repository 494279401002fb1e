internal import CRuntimeShims

/// The kernel's clocks, all in Windows' units.
///
/// Corresponds to `KeQuerySystemTime` (and `KeQuerySystemTimePrecise`), `KeQueryInterruptTime`,
/// `KeQueryPerformanceCounter`, `KeQueryTickCount`, `KeQueryTimeIncrement` and
/// `KeStallExecutionProcessor`. System time is `CLOCK_REALTIME` as 100-ns intervals since
/// 1601-01-01 UTC. Interrupt time is `CLOCK_MONOTONIC` in 100-ns units. The performance counter
/// counts the same clock at 10 MHz (the frequency Windows reports on current hardware), and
/// the tick count is interrupt time divided by the time increment (156,250 100-ns units, the
/// 15.625 ms clock tick of Windows' default timer resolution), so
/// `tick count * KeQueryTimeIncrement()` never runs ahead of interrupt time and trails it by
/// less than one increment. All may be called at any IRQL.
package enum KernelTime {
    /// 100-ns intervals from 1601-01-01 to 1970-01-01.
    package static let unixEpochAsSystemTime: Int64 = 116_444_736_000_000_000
    /// `KeQueryTimeIncrement`: 100-ns units per clock tick.
    package static let timeIncrement: UInt32 = 156_250
    /// `KeQueryPerformanceCounter`'s frequency, in counts per second.
    package static let performanceFrequency: Int64 = 10_000_000

    /// `KeQuerySystemTime`/`KeQuerySystemTimePrecise`.
    package static var systemTime: Int64 { nt_realtime_nanoseconds() / 100 + unixEpochAsSystemTime }

    /// `KeQueryInterruptTime`.
    package static var interruptTime: UInt64 { UInt64(nt_monotonic_nanoseconds() / 100) }

    /// `KeQueryPerformanceCounter` (the frequency is ``performanceFrequency``).
    package static var performanceCounter: Int64 { nt_monotonic_nanoseconds() / 100 }

    /// `KeQueryTickCount`.
    package static var tickCount: Int64 { Int64(interruptTime / UInt64(timeIncrement)) }

    /// `KeStallExecutionProcessor`: spins (does not sleep) for `microseconds`.
    package static func stall(microseconds: UInt32) {
        let end = nt_monotonic_nanoseconds() + Int64(microseconds) * 1000
        while nt_monotonic_nanoseconds() < end { nt_cpu_relax() }
    }
}

/// The calling thread and process as the kernel names them, and its critical regions.
///
/// Corresponds to `PsGetCurrentProcessId`, `PsGetCurrentThreadId`, `PsGetCurrentProcess`,
/// `IoGetCurrentProcess`, `PsGetCurrentThread`, `KeGetCurrentThread`,
/// `KeQueryActiveProcessorCount`, `KeGetCurrentProcessorNumber`, `KeEnterCriticalRegion`,
/// `KeLeaveCriticalRegion` and `KeAreApcsDisabled`.
///
/// - Process ids: the emulated process the thread runs in (``EmulatedProcess``): System is 4,
///   as on Windows; the process with index n is 4 * (n + 1). Thread ids are the Linux thread id
///   times 4 (Windows' ids are multiples of 4), distinct among live threads.
/// - The process and thread objects are opaque addresses, stable for the life of the process
///   or thread and never dereferenced by a driver: a thread's is its runtime context, a
///   process's its quota record. `PsGetCurrentThread` and `KeGetCurrentThread` return the same
///   address (as Windows, where the KTHREAD begins the ETHREAD).
/// - Critical regions nest as a per-thread count. Entering and leaving is allowed at IRQL <=
///   APC_LEVEL (above: `IRQL_NOT_LESS_OR_EQUAL`); a leave without an enter stops with
///   `APC_INDEX_MISMATCH` (0x01), Windows' stop for unbalanced APC disabling: parameter 1 0,
///   parameter 2 0 (the APC state index), parameter 3 the count before the leave (0),
///   parameter 4 0.
package enum KernelThread {
    /// `PsGetCurrentProcessId`.
    package static var currentProcessId: UInt {
        UInt(ThreadContext.current.pointee.processIndex) &* 4 &+ 4
    }

    /// `PsGetCurrentThreadId`.
    package static var currentThreadId: UInt { UInt(truncatingIfNeeded: nt_thread_id()) &* 4 }

    /// `PsGetCurrentProcess`, `IoGetCurrentProcess`: the process's quota record.
    package static var currentProcess: UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(ProcessTable.records.pointer + Int(ThreadContext.current.pointee.processIndex))
    }

    /// `PsGetCurrentThread`, `KeGetCurrentThread`, and `ExGetCurrentResourceThread` as a number.
    package static var currentThread: UnsafeMutableRawPointer { UnsafeMutableRawPointer(ThreadContext.current) }

    /// `KeQueryActiveProcessorCount`.
    package static var activeProcessorCount: UInt32 { nt_online_processors() }

    /// `KeGetCurrentProcessorNumber`: the host processor, kept below ``activeProcessorCount``.
    package static var currentProcessorNumber: UInt32 { nt_current_processor() % nt_online_processors() }

    /// `KeEnterCriticalRegion`.
    package static func enterCriticalRegion(routine: StaticString = "KeEnterCriticalRegion") {
        let context = ThreadContext.current
        Irql.require(atMost: .apc, current: context.pointee.irql, routine: routine)
        context.pointee.criticalRegionDepth &+= 1
    }

    /// `KeLeaveCriticalRegion`.
    package static func leaveCriticalRegion(routine: StaticString = "KeLeaveCriticalRegion") {
        let context = ThreadContext.current
        Irql.require(atMost: .apc, current: context.pointee.irql, routine: routine)
        if context.pointee.criticalRegionDepth == 0 {
            BugCheck.raise(
                .apcIndexMismatch, 0, 0, 0, 0,
                "\(routine) without a matching KeEnterCriticalRegion: this thread is not in a critical region")
        }
        context.pointee.criticalRegionDepth -= 1
    }

    /// `KeAreApcsDisabled`: whether the thread is in a critical region.
    package static var areApcsDisabled: Bool { ThreadContext.current.pointee.criticalRegionDepth != 0 }

    /// The thread's critical-region depth.
    package static var criticalRegionDepth: UInt32 { ThreadContext.current.pointee.criticalRegionDepth }
}
