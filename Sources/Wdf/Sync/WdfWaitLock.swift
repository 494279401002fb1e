package import NtKernel
import Synchronization

/// A framework wait lock: a lock that a thread waits for asleep, at PASSIVE_LEVEL. Corresponds
/// to `WDFWAITLOCK`.
///
/// It is a synchronization event that starts signaled (as in KMDF) and the thread that holds
/// it. Waiting for it (no timeout, or a non-zero one) is allowed at PASSIVE_LEVEL only; trying
/// it (a zero timeout) up to DISPATCH_LEVEL; above that, `IRQL_NOT_LESS_OR_EQUAL` (0x0A), as a
/// wait at raised IRQL ends on Windows. Holding it does not change the IRQL. Acquiring it again
/// without a timeout on the thread that holds it, or releasing it on a thread that does not,
/// is bug check `WDF_VIOLATION` (0x10D): parameter 1 0x2 (`WDF_RECURSIVE_LOCK`)
/// for the first, 0xB (`WDF_INVALID_LOCK_OPERATION`) with parameter 3 0x1 for the second,
/// parameter 2 the lock's handle; acquiring it again with a timeout waits that
/// long and times out, as on Windows.
package struct WdfWaitLock: Hashable, Sendable {
    package let object: WdfObject
    package init(_ object: WdfObject) { self.object = object }

    /// Byte offset of the owner's identity in the lock block (after the `KEVENT`).
    static let ownerOffset = 24

    /// Creates a wait lock (parented to the driver unless the attributes say otherwise).
    /// Corresponds to `WdfWaitLockCreate`.
    package static func create(attributes: WdfAttributes = WdfAttributes()) throws(NTStatus) -> WdfWaitLock {
        WdfWaitLock(
            try FrameworkLocks.create(kind: .waitLock, attributes: attributes, routine: "WdfWaitLockCreate") { block in
                KernelEvent.initialize(block, type: KernelEvent.synchronization, signaled: true)
            })
    }

    /// Takes the lock, waiting as long as it takes. Corresponds to `WdfWaitLockAcquire(Lock, NULL)`.
    package func acquire() { _ = acquire(timeoutNanoseconds: nil, routine: "WdfWaitLockAcquire") }

    /// Takes the lock if it becomes free within `timeout` (zero: only if it is free now).
    /// Returns whether it was taken. Corresponds to `WdfWaitLockAcquire(Lock, &Timeout)`.
    package func acquire(timeout: Duration) -> Bool {
        let (seconds, attoseconds) = timeout.components
        let nanoseconds: Int64
        if seconds < 0 {
            nanoseconds = 0
        } else if seconds >= Int64.max / 1_000_000_000 - 1 {
            nanoseconds = .max
        } else {
            nanoseconds = max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }
        return acquire(timeoutNanoseconds: nanoseconds, routine: "WdfWaitLockAcquire") == .success
    }

    /// `WdfWaitLockAcquire`: `timeoutNanoseconds` nil waits forever. Returns `.success` or
    /// `.timeout`.
    package func acquire(timeoutNanoseconds: Int64?, routine: StaticString) -> NTStatus {
        let block = FrameworkLocks.block(object, kinds: .waitLock, routine: routine)
        let zeroTimeout = timeoutNanoseconds == 0
        let current = Irql.current
        let limit: Irql = zeroTimeout ? .dispatch : .passive
        if current > limit { BugCheck.irqlTooHigh("\(routine)", limit: limit, current: current) }
        let owner = ownerWord(block)
        let me = SpinLock.currentThreadIdentity
        if timeoutNanoseconds == nil, owner.pointee.load(ordering: .relaxed) == me {
            FrameworkLocks.recursiveAcquire(object, routine: routine)
        }
        guard KernelEvent.wait(block, timeoutNanoseconds: timeoutNanoseconds) else { return .timeout }
        owner.pointee.store(me, ordering: .relaxed)
        return .success
    }

    /// Releases the lock (a waiting thread takes it). Corresponds to `WdfWaitLockRelease`.
    package func release() {
        let routine: StaticString = "WdfWaitLockRelease"
        let block = FrameworkLocks.block(object, kinds: .waitLock, routine: routine)
        let current = Irql.current
        if current > .dispatch { BugCheck.irqlTooHigh("\(routine)", limit: .dispatch, current: current) }
        let owner = ownerWord(block)
        if owner.pointee.load(ordering: .relaxed) != SpinLock.currentThreadIdentity {
            FrameworkLocks.releaseNotHeld(object, routine: routine)
        }
        owner.pointee.store(0, ordering: .relaxed)
        _ = KernelEvent.set(block)
    }

    /// Runs `body` with the lock held.
    package func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        acquire()
        defer { release() }
        return try body()
    }

    /// Deletes the lock object. Corresponds to `WdfObjectDelete`.
    package func delete() { object.delete() }

    /// The owner field: written by the thread that takes or gives the lock, read by any thread
    /// to compare with its own identity (which only that thread ever stores there).
    private func ownerWord(_ block: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<UInt>> {
        UnsafeMutablePointer<Atomic<UInt>>(OpaquePointer(block + Self.ownerOffset))
    }
}
