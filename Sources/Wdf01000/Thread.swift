// C exports: clocks, processors, the current thread and process, critical regions. Each converts
// its arguments and calls the Swift layer (NtKernel's KernelTime and KernelThread).
public import CWdf
import NtKernel

@c @implementation
public func KeQuerySystemTime(_ CurrentTime: PLARGE_INTEGER!) {
    required(CurrentTime, "KeQuerySystemTime").pointee.QuadPart = KernelTime.systemTime
}

@c @implementation
public func KeQuerySystemTimePrecise(_ CurrentTime: PLARGE_INTEGER!) {
    required(CurrentTime, "KeQuerySystemTimePrecise").pointee.QuadPart = KernelTime.systemTime
}

@c @implementation
public func KeQueryInterruptTime() -> ULONGLONG { KernelTime.interruptTime }

@c @implementation
public func KeQueryPerformanceCounter(_ PerformanceFrequency: PLARGE_INTEGER?) -> LARGE_INTEGER {
    PerformanceFrequency?.pointee.QuadPart = KernelTime.performanceFrequency
    var counter = LARGE_INTEGER()
    counter.QuadPart = KernelTime.performanceCounter
    return counter
}

@c @implementation
public func KeQueryTickCount(_ CurrentCount: PLARGE_INTEGER!) {
    required(CurrentCount, "KeQueryTickCount").pointee.QuadPart = KernelTime.tickCount
}

@c @implementation
public func KeQueryTimeIncrement() -> ULONG { KernelTime.timeIncrement }

@c @implementation
public func KeStallExecutionProcessor(_ MicroSeconds: ULONG) { KernelTime.stall(microseconds: MicroSeconds) }

@c @implementation
public func KeQueryActiveProcessorCount(_ ActiveProcessors: PKAFFINITY?) -> ULONG {
    let count = KernelThread.activeProcessorCount
    ActiveProcessors?.pointee = count >= 64 ? KAFFINITY.max : (KAFFINITY(1) << KAFFINITY(count)) - 1
    return count
}

@c @implementation
public func KeGetCurrentProcessorNumber() -> ULONG { KernelThread.currentProcessorNumber }

@c @implementation
public func PsGetCurrentProcessId() -> HANDLE! { HANDLE(bitPattern: KernelThread.currentProcessId) }

@c @implementation
public func PsGetCurrentThreadId() -> HANDLE! { HANDLE(bitPattern: KernelThread.currentThreadId) }

@c @implementation
public func PsGetCurrentProcess() -> PEPROCESS! { PEPROCESS(KernelThread.currentProcess) }

@c @implementation
public func IoGetCurrentProcess() -> PEPROCESS! { PEPROCESS(KernelThread.currentProcess) }

@c @implementation
public func PsGetCurrentThread() -> PETHREAD! { PETHREAD(KernelThread.currentThread) }

@c @implementation
public func KeGetCurrentThread() -> PKTHREAD! { PKTHREAD(KernelThread.currentThread) }

@c @implementation
public func KeEnterCriticalRegion() { KernelThread.enterCriticalRegion() }

@c @implementation
public func KeLeaveCriticalRegion() { KernelThread.leaveCriticalRegion() }

@c @implementation
public func KeAreApcsDisabled() -> BOOLEAN { KernelThread.areApcsDisabled ? 1 : 0 }
