// C exports: executive spin locks. Each converts its arguments and calls the Swift layer
// (NtKernel's SpinLock), which does the locking and the IRQL work.
public import CWdf
import NtKernel

@c @implementation
public func KeAcquireSpinLockRaiseToDpc(_ SpinLock: PKSPIN_LOCK!) -> KIRQL {
    NtKernel.SpinLock.acquireRaisingIrql(
        UnsafeMutableRawPointer(required(SpinLock, "KeAcquireSpinLock")), routine: "KeAcquireSpinLock").rawValue
}

@c @implementation
public func KeReleaseSpinLock(_ SpinLock: PKSPIN_LOCK!, _ NewIrql: KIRQL) {
    NtKernel.SpinLock.releaseLoweringIrql(
        UnsafeMutableRawPointer(required(SpinLock, "KeReleaseSpinLock")), to: Irql(rawValue: NewIrql), routine: "KeReleaseSpinLock")
}

@c @implementation
public func KeAcquireSpinLockAtDpcLevel(_ SpinLock: PKSPIN_LOCK!) {
    NtKernel.SpinLock.acquireAtDispatch(UnsafeMutableRawPointer(required(SpinLock, "KeAcquireSpinLockAtDpcLevel")), routine: "KeAcquireSpinLockAtDpcLevel")
}

@c @implementation
public func KeReleaseSpinLockFromDpcLevel(_ SpinLock: PKSPIN_LOCK!) {
    NtKernel.SpinLock.releaseAtDispatch(
        UnsafeMutableRawPointer(required(SpinLock, "KeReleaseSpinLockFromDpcLevel")), routine: "KeReleaseSpinLockFromDpcLevel")
}

@c @implementation
public func KeTryToAcquireSpinLockAtDpcLevel(_ SpinLock: PKSPIN_LOCK!) -> BOOLEAN {
    NtKernel.SpinLock.tryAcquireAtDispatch(
        UnsafeMutableRawPointer(required(SpinLock, "KeTryToAcquireSpinLockAtDpcLevel")), routine: "KeTryToAcquireSpinLockAtDpcLevel") ? 1 : 0
}

@c @implementation
public func KeTestSpinLock(_ SpinLock: PKSPIN_LOCK!) -> BOOLEAN {
    NtKernel.SpinLock.isHeld(UnsafeMutableRawPointer(required(SpinLock, "KeTestSpinLock"))) ? 0 : 1
}

@c @implementation
public func KeAcquireInStackQueuedSpinLock(_ SpinLock: PKSPIN_LOCK!, _ LockHandle: PKLOCK_QUEUE_HANDLE!) {
    let lock = required(SpinLock, "KeAcquireInStackQueuedSpinLock")
    let handle = required(LockHandle, "KeAcquireInStackQueuedSpinLock")
    let old = NtKernel.SpinLock.acquireRaisingIrql(UnsafeMutableRawPointer(lock), routine: "KeAcquireInStackQueuedSpinLock")
    handle.pointee.LockQueue.Next = nil
    handle.pointee.LockQueue.Lock = lock
    handle.pointee.OldIrql = old.rawValue
}

@c @implementation
public func KeReleaseInStackQueuedSpinLock(_ LockHandle: PKLOCK_QUEUE_HANDLE!) {
    let handle = required(LockHandle, "KeReleaseInStackQueuedSpinLock")
    let lock = required(handle.pointee.LockQueue.Lock, "KeReleaseInStackQueuedSpinLock")
    NtKernel.SpinLock.releaseLoweringIrql(
        UnsafeMutableRawPointer(lock), to: Irql(rawValue: handle.pointee.OldIrql), routine: "KeReleaseInStackQueuedSpinLock")
}

@c @implementation
public func KeAcquireInStackQueuedSpinLockAtDpcLevel(_ SpinLock: PKSPIN_LOCK!, _ LockHandle: PKLOCK_QUEUE_HANDLE!) {
    let lock = required(SpinLock, "KeAcquireInStackQueuedSpinLockAtDpcLevel")
    let handle = required(LockHandle, "KeAcquireInStackQueuedSpinLockAtDpcLevel")
    NtKernel.SpinLock.acquireAtDispatch(UnsafeMutableRawPointer(lock), routine: "KeAcquireInStackQueuedSpinLockAtDpcLevel")
    handle.pointee.LockQueue.Next = nil
    handle.pointee.LockQueue.Lock = lock
    handle.pointee.OldIrql = Irql.dispatch.rawValue
}

@c @implementation
public func KeReleaseInStackQueuedSpinLockFromDpcLevel(_ LockHandle: PKLOCK_QUEUE_HANDLE!) {
    let handle = required(LockHandle, "KeReleaseInStackQueuedSpinLockFromDpcLevel")
    let lock = required(handle.pointee.LockQueue.Lock, "KeReleaseInStackQueuedSpinLockFromDpcLevel")
    NtKernel.SpinLock.releaseAtDispatch(UnsafeMutableRawPointer(lock), routine: "KeReleaseInStackQueuedSpinLockFromDpcLevel")
}
