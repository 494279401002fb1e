import CRuntimeShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Executive spin locks on a `KSPIN_LOCK` word in caller memory.
///
/// Corresponds to `KeAcquireSpinLock` (`KeAcquireSpinLockRaiseToDpc`), `KeReleaseSpinLock`,
/// `KeAcquireSpinLockAtDpcLevel`, `KeReleaseSpinLockFromDpcLevel`,
/// `KeTryToAcquireSpinLockAtDpcLevel` and the in-stack queued forms. The word holds 0 when the
/// lock is free and its owner's thread identity when held, so the lock really excludes other
/// threads (they spin, then yield the processor), and a thread that acquires a lock it already
/// holds is told at once: on Windows it would spin forever; here it is Driver Verifier's
/// deadlock-detection stop for a self-deadlock, `DRIVER_VERIFIER_DETECTED_VIOLATION` (0xC4) with
/// parameter 1 0x1000 and parameter 2 the lock. Releasing a lock the thread does not hold is `SPIN_LOCK_NOT_OWNED`
/// (0x10), parameter 1 the lock.
///
/// Acquiring raises the thread's IRQL to `DISPATCH_LEVEL` (the `AtDpcLevel` forms require it
/// already), so what may not run at `DISPATCH_LEVEL` while the lock is held (paged pool, waits)
/// is caught by the IRQL rules.
package enum SpinLock {
    /// The identity the lock word records: the thread's context (never 0).
    @inline(__always)
    static var currentOwner: UInt { UInt(bitPattern: ThreadContext.current) }

    @inline(__always)
    static func word(_ lock: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<UInt>> {
        UnsafeMutablePointer<Atomic<UInt>>(OpaquePointer(lock))
    }

    /// `KeAcquireSpinLock`: raises to `DISPATCH_LEVEL` (from above it: `IRQL_NOT_GREATER_OR_EQUAL`),
    /// takes the lock, returns the previous IRQL.
    package static func acquireRaisingIrql(_ lock: UnsafeMutableRawPointer, routine: StaticString) -> Irql {
        let old = Irql.raise(to: .dispatch)
        take(lock, routine: routine)
        return old
    }

    /// `KeReleaseSpinLock`: releases the lock and lowers the IRQL to `newIrql`.
    package static func releaseLoweringIrql(_ lock: UnsafeMutableRawPointer, to newIrql: Irql, routine: StaticString) {
        give(lock, routine: routine)
        Irql.lower(to: newIrql)
    }

    /// `KeAcquireSpinLockAtDpcLevel`: the caller runs at `DISPATCH_LEVEL` already (below it:
    /// `IRQL_NOT_GREATER_OR_EQUAL`, parameter 1 the current IRQL).
    package static func acquireAtDispatch(_ lock: UnsafeMutableRawPointer, routine: StaticString) {
        requireDispatch(routine)
        take(lock, routine: routine)
    }

    /// `KeReleaseSpinLockFromDpcLevel`.
    package static func releaseAtDispatch(_ lock: UnsafeMutableRawPointer, routine: StaticString) {
        give(lock, routine: routine)
    }

    /// `KeTryToAcquireSpinLockAtDpcLevel`: takes the lock if it is free.
    package static func tryAcquireAtDispatch(_ lock: UnsafeMutableRawPointer, routine: StaticString) -> Bool {
        requireDispatch(routine)
        let owner = currentOwner
        let (exchanged, holder) = word(lock).pointee.compareExchange(expected: 0, desired: owner, ordering: .acquiring)
        if !exchanged && holder == owner { selfDeadlock(lock, routine) }
        if exchanged, DeadlockDetection.isActive { DeadlockDetection.acquired(lock, kind: "spin lock") }
        return exchanged
    }

    /// Whether the calling thread holds the lock (the framework's locks check this before they
    /// take or give the lock, to stop with their own codes).
    @inline(__always)
    package static func isHeldByCurrentThread(_ lock: UnsafeMutableRawPointer) -> Bool {
        word(lock).pointee.load(ordering: .relaxed) == currentOwner
    }

    /// The identity of the calling thread as lock words and owner fields record it (never 0).
    @inline(__always)
    package static var currentThreadIdentity: UInt { currentOwner }

    /// Whether the lock is held by some thread (`KeTestSpinLock` answers the opposite).
    package static func isHeld(_ lock: UnsafeMutableRawPointer) -> Bool { word(lock).pointee.load(ordering: .relaxed) != 0 }

    static func requireDispatch(_ routine: StaticString) {
        let current = Irql.current
        if current < .dispatch {
            BugCheck.raise(
                .irqlNotGreaterOrEqual, UInt(current.rawValue), UInt(Irql.dispatch.rawValue), 0, 0,
                "\(routine) called at IRQL \(current.rawValue); it must be called at DISPATCH_LEVEL")
        }
    }

    static func take(_ lock: UnsafeMutableRawPointer, routine: StaticString) {
        if DeadlockDetection.isActive { DeadlockDetection.acquiring(lock, kind: "spin lock", routine: routine) }
        let owner = currentOwner
        let atomic = word(lock)
        var spins = 0
        while true {
            let (exchanged, holder) = atomic.pointee.compareExchange(expected: 0, desired: owner, ordering: .acquiring)
            if exchanged { return }
            if holder == owner { selfDeadlock(lock, routine) }
            // Wait for it to look free before trying again; a preempted holder needs the processor.
            while atomic.pointee.load(ordering: .relaxed) != 0 {
                spins += 1
                if spins < 64 { nt_cpu_relax() } else { sched_yield() }
            }
        }
    }

    static func give(_ lock: UnsafeMutableRawPointer, routine: StaticString) {
        let atomic = word(lock)
        if atomic.pointee.load(ordering: .relaxed) != currentOwner {
            BugCheck.raise(
                .spinLockNotOwned, UInt(bitPattern: lock), 0, 0, 0,
                "\(routine): the spin lock at 0x\(String(UInt(bitPattern: lock), radix: 16)) is not held by this thread")
        }
        atomic.pointee.store(0, ordering: .releasing)
        if DeadlockDetection.isActive { DeadlockDetection.released(lock) }
    }

    static func selfDeadlock(_ lock: UnsafeMutableRawPointer, _ routine: StaticString) -> Never {
        BugCheck.raise(
            .driverVerifierDetectedViolation, 0x1000, UInt(bitPattern: lock), 0, 0,
            "\(routine): this thread already holds the lock at 0x\(String(UInt(bitPattern: lock), radix: 16)) (self-deadlock)")
    }
}
