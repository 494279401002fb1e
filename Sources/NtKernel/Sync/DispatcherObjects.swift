internal import CRuntimeShims
import Synchronization

/// Kernel mutexes (`KMUTEX`) and semaphores (`KSEMAPHORE`) in caller memory, the dispatcher
/// objects `KeWaitForSingleObject` waits on besides events. The header's SignalState word (offset
/// 4) is what waiters sleep on.
///
/// Mutex (Type 2): SignalState 1 when free, 1 - n when its owner holds it n times; the owner
/// (offset 40) may acquire again. Holding one disables normal kernel APCs as on Windows (the
/// thread's critical-region count, so `KeAreApcsDisabled` is TRUE). `KeReleaseMutex` by a thread
/// that does not own it raises `STATUS_MUTANT_NOT_OWNED` as Windows does (unhandled here:
/// `KMODE_EXCEPTION_NOT_HANDLED`, p1 0xC0000046).
///
/// Semaphore (Type 5): SignalState is the count, Limit (offset 24) its maximum; a wait takes one.
/// `KeReleaseSemaphore` past the limit raises `STATUS_SEMAPHORE_LIMIT_EXCEEDED` (0xC0000047)
/// as Windows does, before changing the count.
package enum DispatcherObjects {
    package static let mutantType: UInt8 = 2
    package static let semaphoreType: UInt8 = 5

    @inline(__always)
    static func state(_ object: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<Int32>> {
        UnsafeMutablePointer<Atomic<Int32>>(OpaquePointer(object + 4))
    }

    @inline(__always)
    static func word(_ object: UnsafeMutableRawPointer) -> UnsafeMutablePointer<UInt32> {
        UnsafeMutablePointer<UInt32>(OpaquePointer(object + 4))
    }

    @inline(__always)
    static func owner(_ mutex: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<UInt>> {
        UnsafeMutablePointer<Atomic<UInt>>(OpaquePointer(mutex + 40))
    }

    static func header(_ object: UnsafeMutableRawPointer, type: UInt8, size: Int, signal: Int32) {
        object.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        object.storeBytes(of: type, as: UInt8.self)
        object.storeBytes(of: UInt8(size / 4), toByteOffset: 2, as: UInt8.self)
        state(object).pointee.store(signal, ordering: .releasing)
        let head = UInt(bitPattern: object + 8)
        object.storeBytes(of: head, toByteOffset: 8, as: UInt.self)
        object.storeBytes(of: head, toByteOffset: 16, as: UInt.self)
    }

    /// `KeInitializeMutex`: free.
    package static func initializeMutex(_ mutex: UnsafeMutableRawPointer) {
        header(mutex, type: mutantType, size: 56, signal: 1)
        let entry = UInt(bitPattern: mutex + 24)
        mutex.storeBytes(of: entry, toByteOffset: 24, as: UInt.self)
        mutex.storeBytes(of: entry, toByteOffset: 32, as: UInt.self)
    }

    /// `KeInitializeSemaphore`.
    package static func initializeSemaphore(_ semaphore: UnsafeMutableRawPointer, count: Int32, limit: Int32) {
        header(semaphore, type: semaphoreType, size: 32, signal: count)
        semaphore.storeBytes(of: limit, toByteOffset: 24, as: Int32.self)
    }

    /// `KeReadStateMutex`, `KeReadStateSemaphore`.
    package static func read(_ object: UnsafeMutableRawPointer) -> Int32 { state(object).pointee.load(ordering: .acquiring) }

    /// `KeWaitForSingleObject` on a mutex: whether it was acquired before the timeout.
    package static func waitMutex(_ mutex: UnsafeMutableRawPointer, timeoutNanoseconds: Int64?) -> Bool {
        let me = SpinLock.currentOwner
        let signal = state(mutex)
        if owner(mutex).pointee.load(ordering: .relaxed) == me {
            signal.pointee.subtract(1, ordering: .relaxed)
            return true
        }
        let deadline = timeoutNanoseconds.map { nt_monotonic_nanoseconds() &+ max($0, 0) }
        while true {
            if signal.pointee.compareExchange(expected: 1, desired: 0, ordering: .acquiringAndReleasing).exchanged {
                owner(mutex).pointee.store(me, ordering: .relaxed)
                ThreadContext.current.pointee.criticalRegionDepth &+= 1
                return true
            }
            let seen = signal.pointee.load(ordering: .relaxed)
            if seen == 1 { continue }
            var remaining: Int64 = -1
            if let deadline {
                remaining = deadline - nt_monotonic_nanoseconds()
                if remaining <= 0 { return false }
            }
            _ = nt_futex_wait(word(mutex), UInt32(bitPattern: seen), remaining)
        }
    }

    /// `KeReleaseMutex`: returns the previous state.
    package static func releaseMutex(_ mutex: UnsafeMutableRawPointer, routine: StaticString) -> Int32 {
        let current = Irql.current
        if current > .dispatch { BugCheck.irqlTooHigh("\(routine)", limit: .dispatch, current: current) }
        if owner(mutex).pointee.load(ordering: .relaxed) != SpinLock.currentOwner {
            BugCheck.raiseStatus(NTStatus(code: 0xC000_0046), in: "\(routine) (the KMUTEX at 0x\(String(UInt(bitPattern: mutex), radix: 16)) is not owned by this thread)")
        }
        let signal = state(mutex)
        let previous = signal.pointee.load(ordering: .relaxed)
        if previous < 0 {
            signal.pointee.store(previous + 1, ordering: .relaxed)
            return previous
        }
        owner(mutex).pointee.store(0, ordering: .relaxed)
        signal.pointee.store(1, ordering: .releasing)
        nt_futex_wake(word(mutex), 1)
        ThreadContext.current.pointee.criticalRegionDepth &-= 1
        return previous
    }

    /// `KeWaitForSingleObject` on a semaphore: whether a count was taken before the timeout.
    package static func waitSemaphore(_ semaphore: UnsafeMutableRawPointer, timeoutNanoseconds: Int64?) -> Bool {
        let signal = state(semaphore)
        let deadline = timeoutNanoseconds.map { nt_monotonic_nanoseconds() &+ max($0, 0) }
        while true {
            let count = signal.pointee.load(ordering: .relaxed)
            if count > 0 {
                if signal.pointee.compareExchange(expected: count, desired: count - 1, ordering: .acquiringAndReleasing).exchanged {
                    return true
                }
                continue
            }
            var remaining: Int64 = -1
            if let deadline {
                remaining = deadline - nt_monotonic_nanoseconds()
                if remaining <= 0 { return false }
            }
            _ = nt_futex_wait(word(semaphore), UInt32(bitPattern: count), remaining)
        }
    }

    /// `KeReleaseSemaphore`: adds `adjustment`; returns the previous count.
    package static func releaseSemaphore(_ semaphore: UnsafeMutableRawPointer, adjustment: Int32, routine: StaticString) -> Int32 {
        let current = Irql.current
        if current > .dispatch { BugCheck.irqlTooHigh("\(routine)", limit: .dispatch, current: current) }
        let limit = semaphore.load(fromByteOffset: 24, as: Int32.self)
        let signal = state(semaphore)
        while true {
            let count = signal.pointee.load(ordering: .relaxed)
            let (sum, overflow) = count.addingReportingOverflow(adjustment)
            if adjustment < 0 || overflow || sum > limit {
                BugCheck.raiseStatus(NTStatus(code: 0xC000_0047), in: "\(routine) (count \(count) + \(adjustment) exceeds the limit \(limit))")
            }
            if signal.pointee.compareExchange(expected: count, desired: sum, ordering: .acquiringAndReleasing).exchanged {
                nt_futex_wake(word(semaphore), adjustment)
                return count
            }
        }
    }
}
