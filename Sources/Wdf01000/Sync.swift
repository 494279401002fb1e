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

// Events, waits and fast mutexes (NtKernel's KernelEvent and FastMutex).

@c @implementation
public func KeInitializeEvent(_ Event: PRKEVENT!, _ Type: EVENT_TYPE, _ State: BOOLEAN) {
    KernelEvent.initialize(UnsafeMutableRawPointer(required(Event, "KeInitializeEvent")), type: UInt8(truncatingIfNeeded: Type.rawValue), signaled: State != 0)
}

@c @implementation
public func KeSetEvent(_ Event: PRKEVENT!, _ Increment: KPRIORITY, _ Wait: BOOLEAN) -> LONG {
    KernelEvent.set(UnsafeMutableRawPointer(required(Event, "KeSetEvent")))
}

@c @implementation
public func KeClearEvent(_ Event: PRKEVENT!) {
    _ = KernelEvent.reset(UnsafeMutableRawPointer(required(Event, "KeClearEvent")))
}

@c @implementation
public func KeResetEvent(_ Event: PRKEVENT!) -> LONG {
    KernelEvent.reset(UnsafeMutableRawPointer(required(Event, "KeResetEvent")))
}

@c @implementation
public func KeReadStateEvent(_ Event: PRKEVENT!) -> LONG {
    KernelEvent.read(UnsafeMutableRawPointer(required(Event, "KeReadStateEvent")))
}

@c @implementation
public func KeWaitForSingleObject(
    _ Object: PVOID!, _ WaitReason: KWAIT_REASON, _ WaitMode: KPROCESSOR_MODE, _ Alertable: BOOLEAN, _ Timeout: PLARGE_INTEGER?
) -> NTSTATUS {
    let object = required(Object?.assumingMemoryBound(to: UInt8.self), "KeWaitForSingleObject")
    let timeout = Timeout.map { KernelEvent.nanoseconds(fromWindowsTimeout: $0.pointee.QuadPart) }
    KernelEvent.requireWaitIrql(zeroTimeout: timeout == 0, routine: "KeWaitForSingleObject")
    let raw = UnsafeMutableRawPointer(object)
    let signaled: Bool
    switch raw.load(as: UInt8.self) {
    case DispatcherObjects.mutantType: signaled = DispatcherObjects.waitMutex(raw, timeoutNanoseconds: timeout)
    case DispatcherObjects.semaphoreType: signaled = DispatcherObjects.waitSemaphore(raw, timeoutNanoseconds: timeout)
    default:
        guard KernelEvent.isEvent(raw) else {
            BugCheck.raiseStatus(.accessViolation, in: "KeWaitForSingleObject (the object is not a KEVENT, KMUTEX or KSEMAPHORE)")
        }
        signaled = KernelEvent.wait(raw, timeoutNanoseconds: timeout)
    }
    return signaled ? STATUS_SUCCESS : STATUS_TIMEOUT
}

// Kernel mutexes and semaphores (NtKernel's DispatcherObjects).

@c @implementation
public func KeInitializeMutex(_ Mutex: PRKMUTEX!, _ Level: ULONG) {
    DispatcherObjects.initializeMutex(UnsafeMutableRawPointer(required(Mutex, "KeInitializeMutex")))
}

@c @implementation
public func KeReleaseMutex(_ Mutex: PRKMUTEX!, _ Wait: BOOLEAN) -> LONG {
    DispatcherObjects.releaseMutex(UnsafeMutableRawPointer(required(Mutex, "KeReleaseMutex")), routine: "KeReleaseMutex")
}

@c @implementation
public func KeReadStateMutex(_ Mutex: PRKMUTEX!) -> LONG {
    DispatcherObjects.read(UnsafeMutableRawPointer(required(Mutex, "KeReadStateMutex")))
}

@c @implementation
public func KeInitializeSemaphore(_ Semaphore: PRKSEMAPHORE!, _ Count: LONG, _ Limit: LONG) {
    DispatcherObjects.initializeSemaphore(UnsafeMutableRawPointer(required(Semaphore, "KeInitializeSemaphore")), count: Count, limit: Limit)
}

@c @implementation
public func KeReleaseSemaphore(_ Semaphore: PRKSEMAPHORE!, _ Increment: KPRIORITY, _ Adjustment: LONG, _ Wait: BOOLEAN) -> LONG {
    DispatcherObjects.releaseSemaphore(
        UnsafeMutableRawPointer(required(Semaphore, "KeReleaseSemaphore")), adjustment: Adjustment, routine: "KeReleaseSemaphore")
}

@c @implementation
public func KeReadStateSemaphore(_ Semaphore: PRKSEMAPHORE!) -> LONG {
    DispatcherObjects.read(UnsafeMutableRawPointer(required(Semaphore, "KeReadStateSemaphore")))
}

@c @implementation
public func KeDelayExecutionThread(_ WaitMode: KPROCESSOR_MODE, _ Alertable: BOOLEAN, _ Interval: PLARGE_INTEGER!) -> NTSTATUS {
    let interval = required(Interval, "KeDelayExecutionThread").pointee.QuadPart
    KernelEvent.requireWaitIrql(zeroTimeout: false, routine: "KeDelayExecutionThread")
    var event = KEVENT()
    withUnsafeMutablePointer(to: &event) { pointer in
        let raw = UnsafeMutableRawPointer(pointer)
        KernelEvent.initialize(raw, type: KernelEvent.notification, signaled: false)
        _ = KernelEvent.wait(raw, timeoutNanoseconds: KernelEvent.nanoseconds(fromWindowsTimeout: interval))
    }
    return STATUS_SUCCESS
}

@c @implementation
public func ExInitializeFastMutex(_ FastMutex: PFAST_MUTEX!) {
    NtKernel.FastMutex.initialize(UnsafeMutableRawPointer(required(FastMutex, "ExInitializeFastMutex")))
}

@c @implementation
public func ExAcquireFastMutex(_ FastMutex: PFAST_MUTEX!) {
    NtKernel.FastMutex.acquire(UnsafeMutableRawPointer(required(FastMutex, "ExAcquireFastMutex")), raising: true, routine: "ExAcquireFastMutex")
}

@c @implementation
public func ExReleaseFastMutex(_ FastMutex: PFAST_MUTEX!) {
    NtKernel.FastMutex.release(UnsafeMutableRawPointer(required(FastMutex, "ExReleaseFastMutex")), lowering: true, routine: "ExReleaseFastMutex")
}

@c @implementation
public func ExTryToAcquireFastMutex(_ FastMutex: PFAST_MUTEX!) -> BOOLEAN {
    NtKernel.FastMutex.tryAcquire(UnsafeMutableRawPointer(required(FastMutex, "ExTryToAcquireFastMutex")), routine: "ExTryToAcquireFastMutex") ? 1 : 0
}

@c @implementation
public func ExAcquireFastMutexUnsafe(_ FastMutex: PFAST_MUTEX!) {
    NtKernel.FastMutex.acquire(
        UnsafeMutableRawPointer(required(FastMutex, "ExAcquireFastMutexUnsafe")), raising: false, routine: "ExAcquireFastMutexUnsafe")
}

@c @implementation
public func ExReleaseFastMutexUnsafe(_ FastMutex: PFAST_MUTEX!) {
    NtKernel.FastMutex.release(
        UnsafeMutableRawPointer(required(FastMutex, "ExReleaseFastMutexUnsafe")), lowering: false, routine: "ExReleaseFastMutexUnsafe")
}
