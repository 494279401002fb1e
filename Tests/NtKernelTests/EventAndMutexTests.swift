import Testing
import TestSupport
import NtKernel

private struct Memory: @unchecked Sendable {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
}

@Suite("Kernel events and fast mutexes")
struct EventAndMutexTests {
    @Test("a synchronization event releases one wait and resets; a wait times out")
    func events() {
        let event = Memory()
        KernelEvent.initialize(event.raw, type: KernelEvent.synchronization, signaled: false)
        #expect(!KernelEvent.wait(event.raw, timeoutNanoseconds: 1_000_000))
        #expect(KernelEvent.set(event.raw) == 0)
        #expect(KernelEvent.wait(event.raw, timeoutNanoseconds: 0))
        #expect(KernelEvent.read(event.raw) == 0)
        #expect(KernelEvent.nanoseconds(fromWindowsTimeout: -10_000) == 1_000_000)
    }

    @Test("a set from another thread wakes a waiter")
    func wakes() {
        let event = Memory()
        KernelEvent.initialize(event.raw, type: KernelEvent.notification, signaled: false)
        let other = Thread2.start {
            _ = KernelEvent.set(event.raw)
            return 0
        }
        #expect(KernelEvent.wait(event.raw, timeoutNanoseconds: nil))
        _ = other.join()
        #expect(KernelEvent.read(event.raw) == 1)
    }

    @Test("a fast mutex raises to APC_LEVEL and excludes another thread")
    func mutex() {
        let mutex = Memory()
        let counter = Memory()
        counter.raw.storeBytes(of: 0, as: Int.self)
        FastMutex.initialize(mutex.raw)
        let work: @Sendable () -> Int = {
            for _ in 0..<50_000 {
                FastMutex.acquire(mutex.raw, raising: true, routine: "test")
                counter.raw.storeBytes(of: counter.raw.load(as: Int.self) + 1, as: Int.self)
                FastMutex.release(mutex.raw, lowering: true, routine: "test")
            }
            return Int(Irql.current.rawValue)
        }
        let other = Thread2.start(work)
        #expect(work() == 0)
        #expect(other.join() == 0)
        #expect(counter.raw.load(as: Int.self) == 100_000)
    }

    @Test("acquiring a fast mutex at DISPATCH_LEVEL stops with IRQL_NOT_LESS_OR_EQUAL")
    func tooHigh() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let mutex = Memory()
            FastMutex.initialize(mutex.raw)
            Irql.raise(to: .dispatch)
            FastMutex.acquire(mutex.raw, raising: true, routine: "ExAcquireFastMutex")
        }
        expectStop(result, code: 0x0A, parameter1: 1)
    }

    @Test("acquiring a fast mutex the thread holds stops with 0xC4/0x1000 (self-deadlock)")
    func selfDeadlock() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let mutex = Memory()
            FastMutex.initialize(mutex.raw)
            FastMutex.acquire(mutex.raw, raising: true, routine: "ExAcquireFastMutex")
            FastMutex.acquire(mutex.raw, raising: true, routine: "ExAcquireFastMutex")
        }
        expectStop(result, code: 0xC4, parameter1: 0x1000)
    }
}
