import Dispatch
import Testing
import TestSupport
import NtKernel
import Wdf

/// A counter that only a lock protects (ThreadSanitizer checks that the lock does).
final class UnguardedCounter: @unchecked Sendable {
    var value = 0
}

extension WdfSuites {
    @Suite("Framework locks")
    struct FrameworkLockTests {
        @Test func aSpinLockRaisesToDispatchAndExcludesOtherThreads() throws {
            let lock = try WdfSpinLock.create()
            #expect(lock.object.kind == .spinLock)
            lock.acquire()
            #expect(Irql.current == .dispatch)
            lock.release()
            #expect(Irql.current == .passive)
            // From APC_LEVEL, the release returns to APC_LEVEL.
            let old = Irql.raise(to: .apc)
            lock.withLock { #expect(Irql.current == .dispatch) }
            #expect(Irql.current == .apc)
            Irql.lower(to: old)

            let counter = UnguardedCounter()
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                for _ in 0..<20_000 { lock.withLock { counter.value += 1 } }
            }
            #expect(counter.value == 80_000)
            lock.delete()
        }

        @Test func aWaitLockExcludesTimesOutAndKeepsTheIrql() throws {
            let lock = try WdfWaitLock.create()
            #expect(lock.object.kind == .waitLock)
            lock.acquire()
            #expect(Irql.current == .passive)
            // Held here: another thread's try and timed wait time out.
            #expect(OtherThread.run { !lock.acquire(timeout: .zero) })
            #expect(OtherThread.run { !lock.acquire(timeout: .milliseconds(20)) })
            #expect(lock.acquire(timeoutNanoseconds: 1_000_000, routine: "WdfWaitLockAcquire") == .timeout)
            lock.release()
            // Free: another thread takes it (and gives it back).
            #expect(OtherThread.run { () -> Bool in
                guard lock.acquire(timeout: .zero) else { return false }
                lock.release()
                return true
            })
            // A try is allowed at DISPATCH_LEVEL.
            let old = Irql.raise(to: .dispatch)
            #expect(lock.acquire(timeout: .zero))
            lock.release()
            Irql.lower(to: old)

            let counter = UnguardedCounter()
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                for _ in 0..<5_000 { lock.withLock { counter.value += 1 } }
            }
            #expect(counter.value == 20_000)
            lock.delete()
        }

        @Test func locksAreObjectsDeletedWithTheirParentWithContextsAndCallbacks() throws {
            let log = CallbackLog()
            let parent = try WdfObject.create(attributes: WdfAttributes(cleanup: log.callback("parent")))
            let spin = try WdfSpinLock.create(
                attributes: WdfAttributes(parent: parent, cleanup: log.callback("spin"), context: ContextType(Counter.self)))
            let wait = try WdfWaitLock.create(attributes: WdfAttributes(parent: parent, destroy: log.callback("wait destroyed")))
            spin.object.withContext(Counter.self) { $0.value = 7 }
            #expect(spin.object.withContext(Counter.self) { $0.value } == 7)
            spin.withLock {}
            wait.withLock {}
            parent.delete()
            #expect(!spin.object.isValid && !wait.object.isValid)
            // Children clean up before their parent; destroy callbacks run when the creation references go, after it.
            #expect(log.all == ["spin", "parent", "wait destroyed"])
        }

        @Test func aWrongHandleIsRefused() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let object = try! WdfObject.create()
                WdfSpinLock(object).acquire()
            }
            expectStop(result, code: 0x10D, parameter1: 5)
        }

        @Test func acquiringAHeldSpinLockAgainIsARecursiveLock() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let lock = try! WdfSpinLock.create()
                lock.acquire()
                lock.acquire()
            }
            expectStop(result, code: 0x10D, parameter1: 0x2)
        }

        @Test func releasingASpinLockNotHeldIsAnInvalidLockOperation() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let lock = try! WdfSpinLock.create()
                lock.release()
            }
            expectStop(result, code: 0x10D, parameter1: 0xB)
            #expect(StopLine(standardError: result?.standardErrorContent ?? [])?.parameters[2] == 0x1)
        }

        @Test func releasingASpinLockAnotherThreadHoldsIsAnInvalidLockOperation() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let lock = try! WdfSpinLock.create()
                OtherThread.run { lock.acquire() }
                lock.release()
            }
            expectStop(result, code: 0x10D, parameter1: 0xB)
        }

        @Test func pagedPoolUnderAWdfSpinLockIsABadPoolCaller() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let lock = try! WdfSpinLock.create()
                lock.acquire()
                _ = try? Pool.allocate(.paged, byteCount: 64, tag: "Lck1")
            }
            expectStop(result, code: 0xC2, parameter1: 0x08)
        }

        @Test func waitingForAHeldWaitLockAgainIsARecursiveLock() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let lock = try! WdfWaitLock.create()
                lock.acquire()
                lock.acquire()
            }
            expectStop(result, code: 0x10D, parameter1: 0x2)
        }

        @Test func releasingAWaitLockNotHeldIsAnInvalidLockOperation() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let lock = try! WdfWaitLock.create()
                lock.release()
            }
            expectStop(result, code: 0x10D, parameter1: 0xB)
        }

        @Test func waitingForAWaitLockAtDispatchLevelStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let lock = try! WdfWaitLock.create()
                Irql.raise(to: .dispatch)
                _ = lock.acquire(timeout: .milliseconds(1))
            }
            expectStop(result, code: 0x0A, parameter1: 0)
        }
    }
}
