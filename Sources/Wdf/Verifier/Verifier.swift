import Synchronization
package import NtKernel
import Dispatch

/// The framework verifier: messages, pool tracking, and the leak report at unload.
package enum Verifier {
    /// Called for each verifier message of a driver with `DbgBreakOnError` (the host's
    /// debugger hook). By default the message is only logged.
    package static let breakHandler = KernelLock<(@Sendable (String) -> Void)?>(nil)

    /// Reports a verifier message for the driver in slot `driver` and continues.
    static func message(driver: UInt32, _ text: String) {
        VerifierLog.report(text)
        let breaks = driver != 0 && DriverState.of(ObjectTable.slot(driver))?.settings.breakOnError == true
        if breaks, let handler = breakHandler.withLock({ $0 }) { handler(text) }
    }

    /// Starts tracking an allocation of a driver with pool tracking on.
    static func track(_ index: UInt32, driver: DriverState, kind: ObjectKind, tag: PoolTag, size: Int, creator: StaticString) {
        guard driver.settings.tracksPool else { return }
        ObjectTable.slot(index).flagsByte.pointee |= ObjectFlags.tracked
        let stack = CallStack.capture()
        driver.tracked.withLock { $0[index] = DriverState.Tracked(kind: kind, tag: tag, size: size, creator: creator, stack: stack) }
    }

    static func untrack(_ slot: UnsafeMutablePointer<ObjectSlot>, index: UInt32) {
        guard let driver = DriverState.of(slot), driver.settings.tracksPool else { return }
        driver.tracked.withLock { _ = $0.removeValue(forKey: index) }
    }

    /// Reports every allocation still tracked for a driver (tag, size, kind, creator); returns
    /// how many. Nothing is freed for them.
    /// With handle tracking, each leaked object's line is followed by the references still held
    /// on it, and objects kept alive only by references are reported too
    /// (`reportHeldReferences`).
    static func reportLeaks(of driver: DriverState) -> Int {
        let leaks = driver.settings.tracksPool ? driver.tracked.withLock { $0 } : [:]
        for (index, leak) in leaks.sorted(by: { $0.key < $1.key }) {
            VerifierLog.report(
                "\(driver.serviceName): leaked \(leak.kind) \(ObjectTable.handle(of: index)): tag '\(leak.tag)', \(leak.size) bytes, created by \(leak.creator) called from \(leak.stack.site)")
            if driver.settings.trackHandles {
                for line in heldReferenceLines(of: ObjectTable.slot(index)) { VerifierLog.report(line) }
            }
        }
        return leaks.count + reportHeldReferences(of: driver, skipping: Set(leaks.keys))
    }
}

/// Objects that must be disposed at PASSIVE_LEVEL but were deleted above it: disposed later on a
/// worker thread (which runs at PASSIVE_LEVEL).
package enum DisposeList {
    private static let queue = DispatchQueue(label: "wdf.dispose-list")

    static func enqueue(_ handle: WdfObject) {
        queue.async {
            guard let slot = ObjectTable.lookup(handle), slot.pointee.state.load(ordering: .acquiring) == SlotState.live
            else { return }
            ObjectLifetime.dispose(handle.index!)
        }
    }

    /// Disposes an object whose delete already claimed it (live to disposing), at PASSIVE_LEVEL.
    static func disposeClaimedLater(_ index: UInt32) {
        queue.async { ObjectLifetime.disposeClaimed(index) }
    }

    /// Destroys an object whose last reference went above PASSIVE_LEVEL, at PASSIVE_LEVEL.
    static func destroyLater(_ index: UInt32) {
        queue.async { ObjectLifetime.destroy(index) }
    }

    /// Waits until every deferred disposal queued so far has run.
    package static func drain() { queue.sync {} }
}
