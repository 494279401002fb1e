import Testing
import TestSupport
import Synchronization
import NtKernel

private struct Resource: @unchecked Sendable {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: 104, alignment: 16)
}

@Suite("Executive resources (ERESOURCE)")
struct ExecutiveResourceTests {
    @Test("recursive ownership, shared on top of exclusive, counts, Wait FALSE")
    func recursion() {
        let resource = Resource()
        ExecutiveResource.initialize(resource.raw)
        #expect(ExecutiveResource.acquireExclusive(resource.raw, wait: true, routine: "t"))
        #expect(ExecutiveResource.acquireExclusive(resource.raw, wait: false, routine: "t"))
        #expect(ExecutiveResource.acquireShared(resource.raw, wait: true, policy: .normal, routine: "t"))
        #expect(ExecutiveResource.isAcquiredExclusive(resource.raw, routine: "t"))
        #expect(ExecutiveResource.acquiredCount(resource.raw, routine: "t") == 3)
        let other = Thread2.start {
            (ExecutiveResource.acquireShared(resource.raw, wait: false, policy: .starveExclusive, routine: "t") ? 1 : 0)
                + (ExecutiveResource.acquireExclusive(resource.raw, wait: false, routine: "t") ? 2 : 0)
        }
        #expect(other.join() == 0)
        for _ in 0..<3 { ExecutiveResource.release(resource.raw, routine: "t") }
        #expect(ExecutiveResource.acquiredCount(resource.raw, routine: "t") == 0)
        #expect(ExecutiveResource.acquireShared(resource.raw, wait: true, policy: .normal, routine: "t"))
        let sharer = Thread2.start {
            let shared = ExecutiveResource.acquireShared(resource.raw, wait: false, policy: .normal, routine: "t")
            let exclusive = ExecutiveResource.acquireExclusive(resource.raw, wait: false, routine: "t")
            if shared { ExecutiveResource.release(resource.raw, routine: "t") }
            return (shared ? 1 : 0) + (exclusive ? 2 : 0)
        }
        #expect(sharer.join() == 1)
        ExecutiveResource.release(resource.raw, routine: "t")
        ExecutiveResource.delete(resource.raw)
    }

    @Test("exclusive access excludes other threads; readers share")
    func exclusion() {
        let resource = Resource()
        let counter = Resource()
        counter.raw.storeBytes(of: 0, as: Int.self)
        ExecutiveResource.initialize(resource.raw)
        let work: @Sendable () -> Int = {
            var seen = 0
            for i in 0..<20_000 {
                if i % 4 == 0 {
                    _ = ExecutiveResource.acquireShared(resource.raw, wait: true, policy: .normal, routine: "t")
                    seen &+= counter.raw.load(as: Int.self)
                } else {
                    _ = ExecutiveResource.acquireExclusive(resource.raw, wait: true, routine: "t")
                    counter.raw.storeBytes(of: counter.raw.load(as: Int.self) + 1, as: Int.self)
                }
                ExecutiveResource.release(resource.raw, routine: "t")
            }
            return seen
        }
        let threads = (0..<3).map { _ in Thread2.start(work) }
        _ = work()
        for thread in threads { _ = thread.join() }
        #expect(counter.raw.load(as: Int.self) == 4 * 15_000)
        ExecutiveResource.delete(resource.raw)
    }

    @Test("a waiting exclusive acquirer is counted and blocks new shared owners, not StarveExclusive")
    func waiters() {
        let resource = Resource()
        ExecutiveResource.initialize(resource.raw)
        #expect(ExecutiveResource.acquireShared(resource.raw, wait: true, policy: .normal, routine: "t"))
        let writer = Thread2.start {
            _ = ExecutiveResource.acquireExclusive(resource.raw, wait: true, routine: "t")
            ExecutiveResource.release(resource.raw, routine: "t")
            return 1
        }
        while ExecutiveResource.waiterCount(resource.raw, exclusive: true, routine: "t") == 0 { KernelTime.stall(microseconds: 100) }
        let reader = Thread2.start {
            let normal = ExecutiveResource.acquireShared(resource.raw, wait: false, policy: .normal, routine: "t")
            let starve = ExecutiveResource.acquireShared(resource.raw, wait: false, policy: .starveExclusive, routine: "t")
            if starve { ExecutiveResource.release(resource.raw, routine: "t") }
            return (normal ? 1 : 0) + (starve ? 2 : 0)
        }
        #expect(reader.join() == 2)
        // The owner itself may still add a shared acquire (not with WaitForExclusive).
        #expect(ExecutiveResource.acquireShared(resource.raw, wait: false, policy: .normal, routine: "t"))
        #expect(!ExecutiveResource.acquireShared(resource.raw, wait: false, policy: .waitForExclusive, routine: "t"))
        ExecutiveResource.release(resource.raw, routine: "t")
        ExecutiveResource.release(resource.raw, routine: "t")
        #expect(writer.join() == 1)
        #expect(ExecutiveResource.waiterCount(resource.raw, exclusive: true, routine: "t") == 0)
        ExecutiveResource.delete(resource.raw)
    }

    @Test("releasing for another thread (ExReleaseResourceForThreadLite)")
    func forThread() {
        let resource = Resource()
        ExecutiveResource.initialize(resource.raw)
        let owner = Thread2.start {
            _ = ExecutiveResource.acquireShared(resource.raw, wait: true, policy: .normal, routine: "t")
            return Int(bitPattern: UInt(bitPattern: KernelThread.currentThread))
        }
        let id = UInt(bitPattern: owner.join())
        #expect(!ExecutiveResource.acquireExclusive(resource.raw, wait: false, routine: "t"))
        ExecutiveResource.release(resource.raw, thread: id, routine: "t")
        #expect(ExecutiveResource.acquireExclusive(resource.raw, wait: false, routine: "t"))
        ExecutiveResource.release(resource.raw, routine: "t")
        ExecutiveResource.delete(resource.raw)
    }

    @Test("releasing a resource the thread does not own stops with RESOURCE_NOT_OWNED")
    func notOwned() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let resource = Resource()
            ExecutiveResource.initialize(resource.raw)
            ExecutiveResource.release(resource.raw, routine: "ExReleaseResourceLite")
        }
        let stop = result.flatMap { StopLine(standardError: $0.standardErrorContent) }
        #expect(stop?.code == 0xE3)
        #expect(stop?.parameters[0] != 0 && stop?.parameters[1] != 0)
        #expect(stopText(result).contains("RESOURCE_NOT_OWNED"))
    }

    @Test("deleting an owned resource stops with 0xC4/0x2000")
    func deleteOwned() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let resource = Resource()
            ExecutiveResource.initialize(resource.raw)
            _ = ExecutiveResource.acquireShared(resource.raw, wait: true, policy: .normal, routine: "t")
            ExecutiveResource.delete(resource.raw)
        }
        expectStop(result, code: 0xC4, parameter1: 0x2000)
    }

    @Test("a shared owner waiting for exclusive access stops with 0xC4/0x1000")
    func sharedToExclusive() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let resource = Resource()
            ExecutiveResource.initialize(resource.raw)
            _ = ExecutiveResource.acquireShared(resource.raw, wait: true, policy: .normal, routine: "t")
            _ = ExecutiveResource.acquireExclusive(resource.raw, wait: true, routine: "ExAcquireResourceExclusiveLite")
        }
        expectStop(result, code: 0xC4, parameter1: 0x1000)
    }

    @Test("acquiring at DISPATCH_LEVEL stops with IRQL_NOT_LESS_OR_EQUAL")
    func tooHigh() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let resource = Resource()
            ExecutiveResource.initialize(resource.raw)
            Irql.raise(to: .dispatch)
            _ = ExecutiveResource.acquireExclusive(resource.raw, wait: true, routine: "ExAcquireResourceExclusiveLite")
        }
        expectStop(result, code: 0x0A, parameter1: 1)
    }
}
