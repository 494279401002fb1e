import CRuntimeShims
import Synchronization

/// Fast mutexes (`FAST_MUTEX`) in caller memory: a 32-bit Count word (1 free, 0 held, -1 held
/// with waiters) that contended threads sleep on, the owner's identity, and the IRQL to return
/// to.
///
/// Corresponds to `ExInitializeFastMutex`, `ExAcquireFastMutex`, `ExReleaseFastMutex`,
/// `ExTryToAcquireFastMutex` and the `Unsafe` forms. Acquiring raises the thread to APC_LEVEL
/// (callers above APC_LEVEL stop with `IRQL_NOT_LESS_OR_EQUAL`); releasing returns to the IRQL
/// the acquire saw. Acquiring a mutex the thread holds stops with 0xC4/0x1000 (self-deadlock);
/// releasing one it does not hold stops with 0xC4 parameter 1 0x1002 naming the mutex.
package enum FastMutex {
    static let free: UInt32 = 1
    static let held: UInt32 = 0
    static let contended: UInt32 = 0xFFFF_FFFF

    @inline(__always)
    static func count(_ mutex: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<UInt32>> {
        UnsafeMutablePointer<Atomic<UInt32>>(OpaquePointer(mutex))
    }

    @inline(__always)
    static func owner(_ mutex: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<UInt>> {
        UnsafeMutablePointer<Atomic<UInt>>(OpaquePointer(mutex + 8))
    }

    /// `ExInitializeFastMutex`.
    package static func initialize(_ mutex: UnsafeMutableRawPointer) {
        mutex.initializeMemory(as: UInt8.self, repeating: 0, count: 56)
        count(mutex).pointee.store(free, ordering: .releasing)
        KernelEvent.initialize(mutex + 24, type: KernelEvent.synchronization, signaled: false)
    }

    /// `ExAcquireFastMutex` (raising: true) and `ExAcquireFastMutexUnsafe`.
    package static func acquire(_ mutex: UnsafeMutableRawPointer, raising: Bool, routine: StaticString) {
        let old = raising ? raiseToApc(routine) : Irql.current
        let me = SpinLock.currentOwner
        if owner(mutex).pointee.load(ordering: .relaxed) == me {
            BugCheck.raise(
                .driverVerifierDetectedViolation, 0x1000, UInt(bitPattern: mutex), 0, 0,
                "\(routine): this thread already holds the fast mutex at 0x\(String(UInt(bitPattern: mutex), radix: 16)) (self-deadlock)")
        }
        if DeadlockDetection.isActive { DeadlockDetection.acquiring(mutex, kind: "fast mutex", routine: routine) }
        let word = count(mutex)
        if !word.pointee.compareExchange(expected: free, desired: held, ordering: .acquiring).exchanged {
            while word.pointee.exchange(contended, ordering: .acquiring) != free {
                _ = nt_futex_wait(UnsafeMutablePointer(OpaquePointer(word)), contended, -1)
            }
        }
        owner(mutex).pointee.store(me, ordering: .relaxed)
        if raising { (mutex + 48).storeBytes(of: UInt32(old.rawValue), as: UInt32.self) }
    }

    /// `ExTryToAcquireFastMutex`.
    package static func tryAcquire(_ mutex: UnsafeMutableRawPointer, routine: StaticString) -> Bool {
        let old = raiseToApc(routine)
        if count(mutex).pointee.compareExchange(expected: free, desired: held, ordering: .acquiring).exchanged {
            owner(mutex).pointee.store(SpinLock.currentOwner, ordering: .relaxed)
            (mutex + 48).storeBytes(of: UInt32(old.rawValue), as: UInt32.self)
            if DeadlockDetection.isActive { DeadlockDetection.acquired(mutex, kind: "fast mutex") }
            return true
        }
        Irql.lower(to: old)
        return false
    }

    /// `ExReleaseFastMutex` (lowering: true) and `ExReleaseFastMutexUnsafe`.
    package static func release(_ mutex: UnsafeMutableRawPointer, lowering: Bool, routine: StaticString) {
        if owner(mutex).pointee.load(ordering: .relaxed) != SpinLock.currentOwner {
            BugCheck.raise(
                .driverVerifierDetectedViolation, 0x1002, UInt(bitPattern: mutex), 0, 0,
                "\(routine): the fast mutex at 0x\(String(UInt(bitPattern: mutex), radix: 16)) is not held by this thread")
        }
        let old = Irql(rawValue: UInt8(truncatingIfNeeded: (mutex + 48).load(as: UInt32.self)))
        owner(mutex).pointee.store(0, ordering: .relaxed)
        if DeadlockDetection.isActive { DeadlockDetection.released(mutex) }
        let word = count(mutex)
        if word.pointee.exchange(free, ordering: .releasing) == contended {
            nt_futex_wake(UnsafeMutablePointer(OpaquePointer(word)), 1)
        }
        if lowering { Irql.lower(to: old) }
    }

    static func raiseToApc(_ routine: StaticString) -> Irql {
        let current = Irql.current
        if current > .apc { BugCheck.irqlTooHigh("\(routine)", limit: .apc, current: current) }
        return Irql.raise(to: .apc)
    }
}
