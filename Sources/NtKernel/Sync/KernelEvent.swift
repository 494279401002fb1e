import CRuntimeShims
import Synchronization

/// Kernel events (`KEVENT`) in caller memory: the signal state is a 32-bit word that waiters
/// block on (a futex), so a wait really sleeps until another thread sets the event.
///
/// Corresponds to `KeInitializeEvent`, `KeSetEvent`, `KeClearEvent`, `KeResetEvent`,
/// `KeReadStateEvent` and `KeWaitForSingleObject` on an event. A notification event stays
/// signaled until cleared and releases every waiter; a synchronization event releases one waiter
/// and resets itself. Waiting with a non-zero timeout (or none) is allowed at IRQL <= APC_LEVEL,
/// polling (zero timeout) at <= DISPATCH_LEVEL; above that, `IRQL_NOT_LESS_OR_EQUAL`.
package enum KernelEvent {
    package static let notification: UInt8 = 0
    package static let synchronization: UInt8 = 1

    @inline(__always)
    static func state(_ event: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<UInt32>> {
        UnsafeMutablePointer<Atomic<UInt32>>(OpaquePointer(event + 4))
    }

    /// `KeInitializeEvent`: the header's Type (0 notification, 1 synchronization), Size (in
    /// 4-byte units, as Windows) and signal state.
    package static func initialize(_ event: UnsafeMutableRawPointer, type: UInt8, signaled: Bool) {
        event.initializeMemory(as: UInt8.self, repeating: 0, count: 24)
        event.storeBytes(of: type, as: UInt8.self)
        event.storeBytes(of: 6, toByteOffset: 2, as: UInt8.self)
        state(event).pointee.store(signaled ? 1 : 0, ordering: .releasing)
        // An empty wait list (Flink = Blink = the list head), as on Windows.
        let head = UInt(bitPattern: event + 8)
        event.storeBytes(of: head, toByteOffset: 8, as: UInt.self)
        event.storeBytes(of: head, toByteOffset: 16, as: UInt.self)
    }

    /// `KeSetEvent`: signals the event and wakes its waiters; returns the previous state.
    package static func set(_ event: UnsafeMutableRawPointer) -> Int32 {
        let word = state(event)
        let previous = word.pointee.exchange(1, ordering: .acquiringAndReleasing)
        nt_futex_wake(UnsafeMutablePointer(OpaquePointer(word)), Int32.max)
        return Int32(bitPattern: previous)
    }

    /// `KeResetEvent` (returns the previous state) and `KeClearEvent`.
    package static func reset(_ event: UnsafeMutableRawPointer) -> Int32 {
        Int32(bitPattern: state(event).pointee.exchange(0, ordering: .acquiringAndReleasing))
    }

    /// `KeReadStateEvent`.
    package static func read(_ event: UnsafeMutableRawPointer) -> Int32 {
        Int32(bitPattern: state(event).pointee.load(ordering: .acquiring))
    }

    /// Whether the object looks like an event this library made (its Type byte).
    package static func isEvent(_ object: UnsafeMutableRawPointer) -> Bool {
        object.load(as: UInt8.self) <= synchronization
    }

    /// `KeWaitForSingleObject` on an event: waits until it is signaled (consuming the signal of
    /// a synchronization event) or `timeout` (nanoseconds, nil = forever) has passed. Returns
    /// whether it was signaled.
    package static func wait(_ event: UnsafeMutableRawPointer, timeoutNanoseconds: Int64?) -> Bool {
        let word = state(event)
        let raw = UnsafeMutablePointer<UInt32>(OpaquePointer(word))
        let synchronizing = event.load(as: UInt8.self) == synchronization
        let deadline = timeoutNanoseconds.map { nt_monotonic_nanoseconds() &+ max($0, 0) }
        while true {
            if synchronizing {
                if word.pointee.compareExchange(expected: 1, desired: 0, ordering: .acquiringAndReleasing).exchanged { return true }
            } else if word.pointee.load(ordering: .acquiring) != 0 {
                return true
            }
            var remaining: Int64 = -1
            if let deadline {
                remaining = deadline - nt_monotonic_nanoseconds()
                if remaining <= 0 { return false }
            }
            _ = nt_futex_wait(raw, 0, remaining)
        }
    }

    /// The IRQL rule of a wait: at most APC_LEVEL, or DISPATCH_LEVEL for a zero timeout.
    package static func requireWaitIrql(zeroTimeout: Bool, routine: StaticString) {
        let current = Irql.current
        let limit: Irql = zeroTimeout ? .dispatch : .apc
        if current > limit { BugCheck.irqlTooHigh("\(routine)", limit: limit, current: current) }
    }

    /// A Windows timeout (100-ns units; negative relative, positive absolute system time since
    /// 1601) as nanoseconds from now.
    package static func nanoseconds(fromWindowsTimeout value: Int64) -> Int64 {
        if value <= 0 { return value == Int64.min ? Int64.max : (0 - value).multipliedReportingOverflow(by: 100).partialValue }
        let unix = (value - 116_444_736_000_000_000).multipliedReportingOverflow(by: 100).partialValue
        return max(0, unix - nt_realtime_nanoseconds())
    }
}
