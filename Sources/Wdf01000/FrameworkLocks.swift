// C exports: the framework's lock objects (WDFSPINLOCK, WDFWAITLOCK). Each converts its
// arguments and calls the Swift layer (Wdf's WdfSpinLock and WdfWaitLock), which does the work.
public import CWdf
import NtKernel
import Wdf

@c @implementation
public func WdfSpinLockCreate(_ SpinLockAttributes: PWDF_OBJECT_ATTRIBUTES?, _ SpinLock: UnsafeMutablePointer<WDFSPINLOCK?>?) -> NTSTATUS {
    let raw = rawAttributes(SpinLockAttributes)
    _ = earlyOwner(raw, "WdfSpinLockCreate")
    let out = require(SpinLock, "SpinLock", "WdfSpinLockCreate")
    out.pointee = nil
    do {
        out.pointee = opaque(try WdfSpinLock.create(attributes: validated(raw, forMemory: false)).object)
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfSpinLockAcquire(_ SpinLock: WDFSPINLOCK?) { WdfSpinLock(handle(SpinLock)).acquire() }

@c @implementation
public func WdfSpinLockRelease(_ SpinLock: WDFSPINLOCK?) { WdfSpinLock(handle(SpinLock)).release() }

@c @implementation
public func WdfWaitLockCreate(_ LockAttributes: PWDF_OBJECT_ATTRIBUTES?, _ Lock: UnsafeMutablePointer<WDFWAITLOCK?>?) -> NTSTATUS {
    let raw = rawAttributes(LockAttributes)
    _ = earlyOwner(raw, "WdfWaitLockCreate")
    let out = require(Lock, "Lock", "WdfWaitLockCreate")
    out.pointee = nil
    do {
        out.pointee = opaque(try WdfWaitLock.create(attributes: validated(raw, forMemory: false)).object)
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfWaitLockAcquire(_ Lock: WDFWAITLOCK?, _ Timeout: PLONGLONG?) -> NTSTATUS {
    // A Windows timeout (100 ns units, negative relative) in nanoseconds; a non-zero one stays
    // non-zero, so that only *Timeout == 0 is the "try" form (allowed at DISPATCH_LEVEL).
    let nanoseconds = Timeout.map { timeout -> Int64 in
        let value = timeout.pointee
        return value == 0 ? 0 : max(1, KernelEvent.nanoseconds(fromWindowsTimeout: value))
    }
    return WdfWaitLock(handle(Lock)).acquire(timeoutNanoseconds: nanoseconds, routine: "WdfWaitLockAcquire").rawValue
}

@c @implementation
public func WdfWaitLockRelease(_ Lock: WDFWAITLOCK?) { WdfWaitLock(handle(Lock)).release() }
