package import NtKernel

/// A framework spin lock. Corresponds to `WDFSPINLOCK`.
///
/// Acquiring raises the thread's IRQL to DISPATCH_LEVEL (from above it:
/// `IRQL_NOT_GREATER_OR_EQUAL`) and really excludes other threads; releasing returns to the IRQL
/// the acquire saw. While it is held, what may not run at DISPATCH_LEVEL (paged pool, waits) is
/// caught by the IRQL rules. Acquiring it again on the thread that holds it, or releasing it on
/// a thread that does not, is bug check `WDF_VIOLATION` (0x10D): parameter 1 0x2 (`WDF_RECURSIVE_LOCK`)
/// for the first, 0xB (`WDF_INVALID_LOCK_OPERATION`) with parameter 3 0x1 for the second;
/// parameter 2 is the lock's handle.
package struct WdfSpinLock: Hashable, Sendable {
    package let object: WdfObject
    package init(_ object: WdfObject) { self.object = object }

    /// Creates a spin lock (parented to the driver unless the attributes say otherwise).
    /// Corresponds to `WdfSpinLockCreate`.
    package static func create(attributes: WdfAttributes = WdfAttributes()) throws(NTStatus) -> WdfSpinLock {
        WdfSpinLock(
            try FrameworkLocks.create(kind: .spinLock, attributes: attributes, routine: "WdfSpinLockCreate") { _ in })
    }

    /// Takes the lock, raising the IRQL to DISPATCH_LEVEL. Corresponds to `WdfSpinLockAcquire`.
    package func acquire() {
        let routine: StaticString = "WdfSpinLockAcquire"
        let block = FrameworkLocks.block(object, kinds: .spinLock, routine: routine)
        if SpinLock.isHeldByCurrentThread(block) { FrameworkLocks.recursiveAcquire(object, routine: routine) }
        let old = SpinLock.acquireRaisingIrql(block, routine: routine)
        (block + 8).storeBytes(of: old.rawValue, as: UInt8.self)
    }

    /// Releases the lock and returns to the IRQL its acquire saw. Corresponds to
    /// `WdfSpinLockRelease`.
    package func release() {
        let routine: StaticString = "WdfSpinLockRelease"
        let block = FrameworkLocks.block(object, kinds: .spinLock, routine: routine)
        if !SpinLock.isHeldByCurrentThread(block) { FrameworkLocks.releaseNotHeld(object, routine: routine) }
        let old = Irql(rawValue: (block + 8).load(as: UInt8.self))
        SpinLock.releaseLoweringIrql(block, to: old, routine: routine)
    }

    /// Runs `body` with the lock held (at DISPATCH_LEVEL).
    package func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        acquire()
        defer { release() }
        return try body()
    }

    /// Deletes the lock object. Corresponds to `WdfObjectDelete`.
    package func delete() { object.delete() }
}
