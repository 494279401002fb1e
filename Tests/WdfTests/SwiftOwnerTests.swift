import Testing
import TestSupport
import Synchronization
import NtKernel
import Wdf

/// A context that is not bitwise-copyable: stored out of line, deinitialized with its object.
final class Tracker: Sendable {
    static let alive = Atomic<Int>(0)
    init() { Self.alive.wrappingAdd(1, ordering: .relaxed) }
    deinit { Self.alive.wrappingSubtract(1, ordering: .relaxed) }
}

struct SessionContext {
    var name: String
    var tracker: Tracker
    var count = 0
}

struct OwnerCounter: BitwiseCopyable {
    var value: Int
}

extension WdfSuites {
    @Suite("Swift owners")
    struct SwiftOwnerTests {
        @Test func memoryIsDeletedWhenItsOwnerEnds() throws {
            do {
                let memory = try WdfMemory(size: 100, tag: "SoMm")
                #expect(memory.byteCount == 100)
                try memory.copy(from: [1, 2, 3])
                #expect(try memory.copyBytes(in: 0..<3) == [1, 2, 3])
                #expect(Pool.usage(of: "SoMm")?.nonPagedAllocations == 1)
            }
            #expect(Pool.usage(of: "SoMm")?.nonPagedBytes == 0)
            let early = try WdfMemory(size: 8, tag: "SoMm")
            let handle = early.object
            early.delete()
            #expect(!handle.isValid)
        }

        @Test func anyOwnerIsAParentAndChildrenGoFirst() throws {
            try deleteWithTheParent()
            // The owners held their objects (and so the buffer) until they ended.
            #expect(Pool.usage(of: "SoPr")?.nonPagedBytes == 0)
        }

        func deleteWithTheParent() throws {
            let request = try WdfRequest()
            let child = try WdfMemory(size: 64, tag: "SoPr", attributes: ObjectAttributes(parent: request))
            let grandchild = try WdfGenericObject(attributes: ObjectAttributes(parent: child))
            let aliveBefore = !child.isDeleted && !grandchild.isDeleted
            #expect(aliveBefore)
            request.delete()
            // Deleted with the parent; the owners only let go (no second delete, no stop).
            let deletedAfter = child.isDeleted && grandchild.isDeleted
            #expect(deletedAfter)
            // The buffer stays readable through its owner until the owner ends.
            try child.copy(from: [1])
        }

        @Test func lookasideMemoryParentedToRequests() throws {
            let buffers = try WdfLookaside(bufferSize: 256, tag: "SoLk")
            for round in 0..<10 {
                let request = try WdfRequest()
                let first = try buffers.makeMemory(parent: request)
                let second = try buffers.makeMemory(parent: request)
                try first.store(UInt32(round))
                try second.copy(from: [UInt8](repeating: 7, count: 256))
                #expect(first.byteCount == 256)
                if round % 2 == 0 { first.delete() }
                request.delete()
                let deleted = second.isDeleted
                #expect(deleted)
            }
            let statistics = buffers.statistics
            #expect(statistics.totalAllocates == 20 && statistics.totalFrees == 20)
            #expect(statistics.hitRate > 0.5 && statistics.hitRate <= 1)
        }

        @Test func contextsOfAnySwiftType() throws {
            let before = Tracker.alive.load(ordering: .relaxed)
            do {
                let request = try WdfRequest(attributes: ObjectAttributes(context: SessionContext(name: "first", tracker: Tracker())))
                #expect(Tracker.alive.load(ordering: .relaxed) == before + 1)
                request.withContext(SessionContext.self) { $0.count += 1; $0.name += "!" }
                #expect(request.withContext(SessionContext.self) { "\($0.name) \($0.count)" } == "first! 1")
                #expect(request.withContext(OwnerCounter.self) { $0.value } == nil)
                let memory = try WdfMemory(size: 8, attributes: ObjectAttributes(parent: request, context: OwnerCounter(value: 41)))
                memory.withContext(OwnerCounter.self) { $0.value += 1 }
                #expect(memory.withContext(OwnerCounter.self) { $0.value } == 42)
            }
            #expect(Tracker.alive.load(ordering: .relaxed) == before)
            // One attributes value, several objects: each gets its own copy.
            let attributes = ObjectAttributes(context: SessionContext(name: "shared", tracker: Tracker()))
            let a = try WdfGenericObject(attributes: attributes)
            let b = try WdfGenericObject(attributes: attributes)
            a.withContext(SessionContext.self) { $0.name = "a" }
            #expect(b.withContext(SessionContext.self) { $0.name } == "shared")
        }

        @Test func callbacksRun() throws {
            let events = Mutex<[String]>([])
            do {
                let parent = try WdfGenericObject(
                    attributes: ObjectAttributes(cleanup: { events.withLock { $0.append("parent cleanup") } }))
                let child = try WdfMemory(
                    size: 8,
                    attributes: ObjectAttributes(
                        parent: parent, cleanup: { events.withLock { $0.append("child cleanup") } },
                        destroy: { events.withLock { $0.append("child destroy") } }))
                _ = child.byteCount
            }
            let seen = events.withLock { $0 }
            #expect(seen.first == "child cleanup")
            #expect(seen.contains("parent cleanup") && seen.contains("child destroy"))
        }

        @Test func requestsInSeveralTasks() async throws {
            let buffers = try WdfLookaside(bufferSize: 128, tag: "SoTk")
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for task in 0..<4 {
                    group.addTask {
                        var sum = 0
                        for round in 0..<50 {
                            let request = try WdfRequest(attributes: ObjectAttributes(context: OwnerCounter(value: round)))
                            let memory = try buffers.makeMemory(parent: request)
                            try memory.store(UInt64(task))
                            sum += Int(try memory.load(UInt64.self)) + (request.withContext(OwnerCounter.self) { $0.value } ?? 0)
                        }
                        return sum
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(total == 50 * (0 + 1 + 2 + 3) + 4 * 1225)
        }

        @Test func errorsNameTheSwiftParameter() {
            let size = #expect(throws: NTStatus.invalidParameter) { _ = try WdfMemory(size: 0) }
            #expect(size?.detail == "size must be at least 1")
            let list = #expect(throws: NTStatus.invalidParameter) { _ = try WdfLookaside(bufferSize: -1) }
            #expect(list?.detail == "bufferSize must be at least 1")
            #expect(throws: NTStatus.invalidParameter) { _ = try WdfMemory(size: 8, tag: "TooLongTag") }
            let service = #expect(throws: NTStatus.invalidParameter) { _ = try WdfDriver.load(service: "a\\b") }
            #expect(service?.detail != nil)
        }

        @Test func driverWithVerifierSettings() throws {
            let driver = try WdfDriver.load(
                service: "SwiftOwnerDrv", poolTag: "SoDr", frameworkVerifier: FrameworkVerifierSettings(allocateFailCount: 2),
                driverVerifier: DriverVerifierSettings(level: [.poolTracking]))
            #expect(driver.serviceName == "SwiftOwnerDrv")
            #expect(driver.poolTag == "SoDr")
            #expect(driver.driverVerifier.level == [.poolTracking])
            try driver.run { () throws(NTStatus) in
                let first = try WdfMemory(size: 8)
                let second = try WdfMemory(size: 8)
                #expect(throws: NTStatus.insufficientResources) { _ = try WdfMemory(size: 8) }
                _ = (first.byteCount, second.byteCount)
                let block = try PoolBlock(byteCount: 32, tag: "SoDp")
                block.free()
            }
            #expect(try driver.unload() == .success)
            let again = #expect(throws: NTStatus.invalidParameter) { try driver.unload() }
            #expect(again?.detail == "the driver is unloaded already")
        }

        /// An owner outliving its driver: the unload deleted the object, the owner only lets go.
        @Test func ownerOutlivingItsDriver() throws {
            let driver = try WdfDriver.load(service: "SwiftOwnerLate")
            let memory = try WdfMemory(size: 16, attributes: ObjectAttributes(parent: driver))
            try driver.unload()
            let deleted = memory.isDeleted
            #expect(deleted)
        }

        @Test func pooledLeakStopsTheUnload() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let driver = try! WdfDriver.load(service: "SwiftLeak", driverVerifier: DriverVerifierSettings(level: [.poolTracking]))
                let block = try! driver.run { () throws(NTStatus) in try PoolBlock(byteCount: 24, tag: "SoLe") }
                _ = try? driver.unload()
                _ = block.byteCount
            }
            expectStop(result, code: 0xC4, parameter1: 0x62)
            let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
            #expect(text.contains("VERIFIER LEAK: Tag='SoLe' Size=24"))
        }

        @Test func misuseGetsStatusesNotStops() async {
            await #expect(processExitsWith: .success) {
                _ = try? WdfMemory(size: 0)
                _ = try? WdfMemory(size: -1, tag: "Ok")
                _ = try? WdfLookaside(bufferSize: 0)
                _ = try? WdfLookaside(bufferSize: Int.max)
                _ = try? WdfDriver.load(service: "")
                if let request = try? WdfRequest(), let memory = try? WdfMemory(size: 4, attributes: ObjectAttributes(parent: request)) {
                    _ = try? memory.copy(from: [1, 2, 3, 4, 5])
                    request.delete()
                    memory.delete()  // already deleted with its parent: nothing happens
                }
                if let driver = try? WdfDriver.load(service: "SwiftMisuse") {
                    _ = try? driver.unload()
                    _ = try? driver.unload()
                }
            }
        }
    }
}
