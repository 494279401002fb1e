import Testing
import TestSupport
import NtKernel

private struct Object: @unchecked Sendable {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
}

@Suite("Kernel mutexes and semaphores")
struct MutexAndSemaphoreTests {
    @Test("a KMUTEX is recursive for its owner, disables APCs, and excludes other threads")
    func mutex() {
        let mutex = Object()
        let counter = Object()
        counter.raw.storeBytes(of: 0, as: Int.self)
        DispatcherObjects.initializeMutex(mutex.raw)
        #expect(DispatcherObjects.read(mutex.raw) == 1)
        #expect(DispatcherObjects.waitMutex(mutex.raw, timeoutNanoseconds: nil))
        #expect(DispatcherObjects.waitMutex(mutex.raw, timeoutNanoseconds: 0))
        #expect(DispatcherObjects.read(mutex.raw) == -1)
        #expect(KernelThread.areApcsDisabled)
        let other = Thread2.start { DispatcherObjects.waitMutex(mutex.raw, timeoutNanoseconds: 1_000_000) ? 1 : 0 }
        #expect(other.join() == 0)
        #expect(DispatcherObjects.releaseMutex(mutex.raw, routine: "t") == -1)
        #expect(DispatcherObjects.releaseMutex(mutex.raw, routine: "t") == 0)
        #expect(!KernelThread.areApcsDisabled)
        let work: @Sendable () -> Int = {
            for _ in 0..<20_000 {
                _ = DispatcherObjects.waitMutex(mutex.raw, timeoutNanoseconds: nil)
                counter.raw.storeBytes(of: counter.raw.load(as: Int.self) + 1, as: Int.self)
                _ = DispatcherObjects.releaseMutex(mutex.raw, routine: "t")
            }
            return 0
        }
        let threads = (0..<2).map { _ in Thread2.start(work) }
        _ = work()
        for thread in threads { _ = thread.join() }
        #expect(counter.raw.load(as: Int.self) == 60_000)
        #expect(DispatcherObjects.read(mutex.raw) == 1)
    }

    @Test("a semaphore counts; waits time out at zero and wake on release")
    func semaphore() {
        let semaphore = Object()
        DispatcherObjects.initializeSemaphore(semaphore.raw, count: 1, limit: 2)
        #expect(DispatcherObjects.waitSemaphore(semaphore.raw, timeoutNanoseconds: 0))
        #expect(!DispatcherObjects.waitSemaphore(semaphore.raw, timeoutNanoseconds: 1_000_000))
        let waiter = Thread2.start { DispatcherObjects.waitSemaphore(semaphore.raw, timeoutNanoseconds: nil) ? 1 : 0 }
        KernelTime.stall(microseconds: 5_000)
        #expect(DispatcherObjects.releaseSemaphore(semaphore.raw, adjustment: 2, routine: "t") == 0)
        #expect(waiter.join() == 1)
        #expect(DispatcherObjects.read(semaphore.raw) == 1)
    }

    @Test("releasing a mutex the thread does not own raises STATUS_MUTANT_NOT_OWNED")
    func mutexNotOwned() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let mutex = Object()
            DispatcherObjects.initializeMutex(mutex.raw)
            _ = DispatcherObjects.releaseMutex(mutex.raw, routine: "KeReleaseMutex")
        }
        expectStop(result, code: 0x1E, parameter1: 0xC000_0046)
    }

    @Test("releasing a semaphore past its limit raises STATUS_SEMAPHORE_LIMIT_EXCEEDED")
    func semaphoreLimit() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let semaphore = Object()
            DispatcherObjects.initializeSemaphore(semaphore.raw, count: 1, limit: 1)
            _ = DispatcherObjects.releaseSemaphore(semaphore.raw, adjustment: 1, routine: "KeReleaseSemaphore")
        }
        expectStop(result, code: 0x1E, parameter1: 0xC000_0047)
    }

    @Test("releasing a mutex above DISPATCH_LEVEL stops with IRQL_NOT_LESS_OR_EQUAL")
    func releaseTooHigh() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let mutex = Object()
            DispatcherObjects.initializeMutex(mutex.raw)
            _ = DispatcherObjects.waitMutex(mutex.raw, timeoutNanoseconds: nil)
            Irql.raise(to: Irql(rawValue: 3))
            _ = DispatcherObjects.releaseMutex(mutex.raw, routine: "KeReleaseMutex")
        }
        expectStop(result, code: 0x0A, parameter1: 2)
    }
}
