import Testing
import TestSupport
import NtKernel

private struct SharedCounter: @unchecked Sendable {
    let lock = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
    let value = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    init() {
        lock.storeBytes(of: 0, as: UInt.self)
        value.initialize(to: 0)
    }
}

@Suite("Spin locks")
struct SpinLockTests {
    @Test("acquiring raises to DISPATCH_LEVEL and releasing restores the IRQL")
    func irql() {
        let shared = SharedCounter()
        let old = SpinLock.acquireRaisingIrql(shared.lock, routine: "test")
        #expect(old == .passive)
        #expect(Irql.current == .dispatch)
        #expect(SpinLock.isHeld(shared.lock))
        SpinLock.releaseLoweringIrql(shared.lock, to: old, routine: "test")
        #expect(Irql.current == .passive)
        #expect(!SpinLock.isHeld(shared.lock))
    }

    @Test("the lock excludes another thread (no lost updates)")
    func exclusion() {
        let shared = SharedCounter()
        let work: @Sendable () -> Int = {
            for _ in 0..<100_000 {
                let old = SpinLock.acquireRaisingIrql(shared.lock, routine: "test")
                shared.value.pointee += 1
                SpinLock.releaseLoweringIrql(shared.lock, to: old, routine: "test")
            }
            return 0
        }
        let other = Thread2.start(work)
        _ = work()
        _ = other.join()
        #expect(shared.value.pointee == 200_000)
    }

    @Test("acquiring a lock the thread holds stops with 0xC4/0x1000 (self-deadlock)")
    func selfDeadlock() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let shared = SharedCounter()
            _ = SpinLock.acquireRaisingIrql(shared.lock, routine: "KeAcquireSpinLock")
            SpinLock.acquireAtDispatch(shared.lock, routine: "KeAcquireSpinLockAtDpcLevel")
        }
        expectStop(result, code: 0xC4, parameter1: 0x1000)
    }

    @Test("releasing a lock the thread does not hold stops with SPIN_LOCK_NOT_OWNED")
    func notOwned() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let shared = SharedCounter()
            Irql.raise(to: .dispatch)
            SpinLock.releaseAtDispatch(shared.lock, routine: "KeReleaseSpinLockFromDpcLevel")
        }
        #expect(StopLine(standardError: result?.standardErrorContent ?? [])?.code == 0x10)
        #expect(stopText(result).contains("SPIN_LOCK_NOT_OWNED"))
    }

    @Test("the AtDpcLevel form below DISPATCH_LEVEL stops with IRQL_NOT_GREATER_OR_EQUAL")
    func belowDispatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let shared = SharedCounter()
            SpinLock.acquireAtDispatch(shared.lock, routine: "KeAcquireSpinLockAtDpcLevel")
        }
        expectStop(result, code: 0x09, parameter1: 0)
    }
}
