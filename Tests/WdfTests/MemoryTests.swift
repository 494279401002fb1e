import Testing
import TestSupport
import Foundation
import Synchronization
import NtKernel
import Wdf

extension WdfSuites {
    @Suite("Memory objects")
    struct MemoryTests {
        @Test func createAlignsAndAccountsUnderTheTag() throws {
            let memory = try WdfMemoryHandle.create(poolType: .nonPaged, tag: "MTst", size: 100)
            #expect(memory.size == 100)
            memory.withUnsafeMutableBytes { #expect(Int(bitPattern: $0.baseAddress) % 16 == 0) }
            #expect(Pool.usage(of: "MTst")?.nonPagedBytes == 128)
            let page = try WdfMemoryHandle.create(poolType: .paged, tag: "MTst", size: 8192)
            page.withUnsafeMutableBytes { #expect(Int(bitPattern: $0.baseAddress) % 4096 == 0) }
            memory.delete()
            page.delete()
            #expect(Pool.usage(of: "MTst")?.nonPagedBytes == 0)
        }

        /// Memory without callbacks or context under a driver without verifier settings takes the
        /// fast creation: the driver's tag when none is given, the pool's accounting, and a
        /// delete (its own or its parent's) that gives the buffer back.
        @Test func plainMemoryTakesTheDriversTagAndGoesBackToThePool() throws {
            let driver = try WdfDriverHandle.create(
                registryPath: "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\MemPlain", host: nil,
                config: WdfDriverHandle.Config(poolTag: "MPln"))
            let before = Pool.usage(of: "MPln")
            let direct = try WdfMemoryHandle.create(attributes: WdfAttributes(parent: driver.object), poolType: .nonPaged, size: 64)
            #expect(Pool.usage(of: "MPln")?.nonPagedAllocations == (before?.nonPagedAllocations ?? 0) + 1)
            #expect(direct.size == 64)
            let parent = try WdfObject.create(attributes: WdfAttributes(parent: driver.object))
            var level = WdfAttributes(parent: parent)
            level.synchronizationScope = .none
            let children = try (0..<3).map { _ in try WdfMemoryHandle.create(attributes: level, poolType: .paged, tag: "MPlc", size: 32) }
            #expect(Pool.usage(of: "MPlc")?.pagedAllocations == 3)
            direct.delete()
            #expect(!direct.object.isValid)
            #expect(Pool.usage(of: "MPln")?.nonPagedBytes == before?.nonPagedBytes ?? 0)
            parent.delete()
            #expect(children.allSatisfy { !$0.object.isValid })
            #expect(Pool.usage(of: "MPlc")?.pagedBytes == 0)
            #expect(Pool.usage(of: "MPlc")?.pagedFrees == 3)
            _ = driver.tearDown()
        }

        /// Plain creation racing its parent's delete: every object made before the parent went
        /// is deleted with it, every later one is refused with `.deletePending`, and every buffer
        /// goes back (the fast path links like the general one).
        @Test func plainCreationRacingTheParentsDelete() throws {
            for _ in 0..<20 {
                let parent = try WdfObject.create()
                parent.reference()  // the handle stays valid (a deleted parent's) until the workers are done
                let made = Atomic<Int>(0)
                let refused = Atomic<Int>(0)
                DispatchQueue.concurrentPerform(iterations: 3) { worker in
                    if worker == 0 {
                        // Some creations first, but never waiting for ever (a single CPU).
                        for _ in 0..<10_000 where made.load(ordering: .relaxed) < 1500 { sched_yield() }
                        parent.delete()
                        return
                    }
                    for round in 0..<2000 {
                        do {
                            if round % 2 == 0 {
                                _ = try WdfMemoryHandle.create(attributes: WdfAttributes(parent: parent), tag: "MRce", size: 24)
                            } else {
                                _ = try WdfObject.create(attributes: WdfAttributes(parent: parent))
                            }
                            made.add(1, ordering: .relaxed)
                        } catch {
                            #expect(error as? NTStatus == .deletePending)
                            refused.add(1, ordering: .relaxed)
                        }
                    }
                }
                #expect(made.load(ordering: .relaxed) + refused.load(ordering: .relaxed) == 4000)
                parent.dereference()
                #expect(!parent.isValid)
            }
            let usage = try #require(Pool.usage(of: "MRce"))
            #expect(usage.nonPagedAllocations == usage.nonPagedFrees && usage.nonPagedBytes == 0)
        }

        @Test func zeroSizeIsInvalid() {
            #expect(throws: NTStatus.invalidParameter) { try WdfMemoryHandle.create(size: 0) }
        }

        /// A context that cannot be allocated fails the create after the slot was taken: the
        /// buffer goes back once (not twice), and a lookaside list keeps no extra reference.
        @Test func aFailedContextAllocationGivesTheBufferBackOnce() throws {
            var attributes = WdfAttributes()
            attributes.context = ContextType(key: 0xC0DE, size: 1 << 50, name: "HUGE")
            #expect(throws: NTStatus.insufficientResources) {
                try WdfMemoryHandle.create(attributes: attributes, tag: "CtxF", size: 64)
            }
            #expect(Pool.usage(of: "CtxF")?.nonPagedBytes ?? 0 == 0)
            let list = try WdfLookasideHandle.create(bufferSize: 64, memoryAttributes: attributes, tag: "CtxL")
            #expect(throws: NTStatus.insufficientResources) { try list.createMemory() }
            #expect(throws: NTStatus.insufficientResources) { try list.createMemory() }
            let statistics = try #require(list.statistics)
            #expect(statistics.totalAllocates - statistics.totalFrees == 0)
            list.delete()
            #expect(Pool.usage(of: "CtxL")?.nonPagedBytes ?? 0 == 0)
        }

        @Test func copyRules() throws {
            let memory = try WdfMemoryHandle.create(size: 16)
            let source: [UInt8] = Array(0..<16)
            try source.withUnsafeBytes { try memory.copy(from: $0) }
            var out = [UInt8](repeating: 0, count: 4)
            try out.withUnsafeMutableBytes { try memory.copy(into: $0, fromOffset: 12) }
            #expect(out == [12, 13, 14, 15])
            #expect(throws: NTStatus.bufferTooSmall) { try out.withUnsafeMutableBytes { try memory.copy(into: $0, fromOffset: 13) } }
            #expect(throws: NTStatus.bufferTooSmall) { try out.withUnsafeMutableBytes { try memory.copy(into: $0, fromOffset: 16) } }
            #expect(throws: NTStatus.invalidBufferSize) { try source.withUnsafeBytes { try memory.copy(from: $0, toOffset: 1) } }
            #expect(throws: NTStatus.invalidParameter) {
                try memory.copy(into: UnsafeMutableRawBufferPointer(start: nil, count: 0))
            }
            memory.delete()
        }

        @Test func preallocatedMemoryIsNeverFreed() throws {
            let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
            defer { storage.deallocate() }
            let memory = try WdfMemoryHandle.createPreallocated(buffer: storage)
            #expect(memory.size == 64)
            let other = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 16)
            defer { other.deallocate() }
            try memory.assign(other)
            #expect(memory.size == 32)
            #expect(throws: NTStatus.invalidParameter) { try memory.assign(UnsafeMutableRawBufferPointer(start: other.baseAddress, count: 0)) }
            memory.delete()
        }

        @Test func memoryAttributesValidation() {
            var attributes = WdfAttributes()
            attributes.synchronizationScope = .device
            #expect(throws: NTStatus.wdfSynchronizationScopeInvalid) { try WdfMemoryHandle.create(attributes: attributes, size: 8) }
            attributes.synchronizationScope = .none
            attributes.executionLevel = .passive
            #expect(throws: NTStatus.wdfExecutionLevelInvalid) { try WdfMemoryHandle.create(attributes: attributes, size: 8) }
        }

        @Test func parentBeingDeletedRefusesNewMemory() throws {
            let parent = try WdfObject.create()
            let seen = KernelLock<NTStatus?>(nil)
            _ = try WdfObject.create(attributes: WdfAttributes(parent: parent, cleanup: { _ in
                do { _ = try WdfMemoryHandle.create(attributes: WdfAttributes(parent: parent), tag: "MDel", size: 8) } catch {
                    seen.withLock { $0 = error as? NTStatus }
                }
            }))
            parent.delete()
            #expect(seen.withLock { $0 } == .deletePending)
            #expect(Pool.usage(of: "MDel").map { $0.nonPagedBytes } ?? 0 == 0)
        }
    }
}

extension WdfSuites {
    @Suite("Lookaside-list objects")
    struct LookasideObjectTests {
        @Test func memoryFromAListIsASlotNotAnAllocation() throws {
            let list = try WdfLookasideHandle.create(bufferSize: 256, poolType: .nonPaged, tag: "LkOb")
            let first = try list.createMemory()
            first.delete()
            let allocationsBefore = Pool.usage(of: "LkOb")?.nonPagedAllocations
            for _ in 0..<100 { try list.createMemory().delete() }
            #expect(Pool.usage(of: "LkOb")?.nonPagedAllocations == allocationsBefore)
            list.delete()
        }

        @Test func deletingReferencedListMemoryWaitsForTheLastReference() throws {
            let list = try WdfLookasideHandle.create(bufferSize: 64, tag: "LkRf")
            let memory = try list.createMemory()
            memory.object.reference()
            memory.delete()
            // Deleted but referenced: still a valid handle, its buffer not yet back in the list.
            #expect(memory.object.isValid)
            #expect(memory.size == 64)
            memory.object.dereference()
            #expect(!memory.object.isValid)
            let statistics = try #require(list.statistics)
            #expect(statistics.totalAllocates == statistics.totalFrees)
            list.delete()
        }

        @Test func deletingListMemoryWithAChildDeletesTheChildFirst() throws {
            let log = CallbackLog()
            let list = try WdfLookasideHandle.create(bufferSize: 64, tag: "LkCh")
            let memory = try list.createMemory()
            let child = try WdfObject.create(attributes: WdfAttributes(parent: memory.object, cleanup: log.callback("child")))
            memory.delete()
            #expect(log.all == ["child"])
            #expect(!child.isValid && !memory.object.isValid)
            list.delete()
        }

        @Test func theListOutlivesItsMemory() throws {
            let log = CallbackLog()
            let list = try WdfLookasideHandle.create(
                attributes: WdfAttributes(cleanup: log.callback("list-cleanup"), destroy: log.callback("list-destroy")),
                bufferSize: 32, tag: "LkLf")
            let memory = try list.createMemory()
            list.delete()
            #expect(log.all == ["list-cleanup"])
            #expect(memory.size == 32)
            memory.delete()
            #expect(log.all == ["list-cleanup", "list-destroy"])
            #expect(Pool.usage(of: "LkLf")?.nonPagedBytes == 0)
        }

        @Test func memoryAttributesApplyToEveryMemoryObject() throws {
            let log = CallbackLog()
            let parent = try WdfObject.create()
            let list = try WdfLookasideHandle.create(
                bufferSize: 16, memoryAttributes: WdfAttributes(parent: parent, cleanup: log.callback("memory"), context: ContextType(Counter.self)))
            let a = try list.createMemory()
            let b = try list.createMemory()
            #expect(a.object.withContext(Counter.self) { $0.value } == 0)
            parent.delete()  // takes both memory objects
            #expect(log.all == ["memory", "memory"])
            #expect(!a.object.isValid && !b.object.isValid)
            list.delete()
        }

        @Test func nonPagedSmallBuffersAreZeroedPagedMayHoldOldData() throws {
            let list = try WdfLookasideHandle.create(bufferSize: 64, poolType: .nonPaged, tag: "LkZr")
            let memory = try list.createMemory()
            memory.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 7) }
            memory.delete()
            let again = try list.createMemory()
            again.withUnsafeMutableBytes { bytes in #expect(bytes.allSatisfy { $0 == 0 }) }
            again.delete()
            list.delete()
        }

        @Test func pagedListsKeepTheirMemoryOnTheSameDevice() throws {
            let config = WdfDriverHandle.Config(deviceAdd: { _, deviceInit throws(NTStatus) in _ = try WdfDeviceHandle.create(deviceInit) })
            _ = try withLoadedDriver("DeviceRule", config: config) { driver in
                let first = try WdfDeviceHandle.add(to: driver)
                let second = try WdfDeviceHandle.add(to: driver)
                let onFirst = WdfAttributes(parent: first.object)
                let onSecond = WdfAttributes(parent: second.object)
                #expect(throws: NTStatus.invalidParameter) {
                    try WdfLookasideHandle.create(attributes: onFirst, bufferSize: 16, poolType: .paged, memoryAttributes: onSecond)
                }
                // Non-paged lists, or the same device, are fine.
                let same = try WdfLookasideHandle.create(attributes: onFirst, bufferSize: 16, poolType: .paged, memoryAttributes: onFirst)
                let nonPaged = try WdfLookasideHandle.create(attributes: onFirst, bufferSize: 16, poolType: .nonPaged, memoryAttributes: onSecond)
                same.delete()
                nonPaged.delete()
            }
        }

        @Test func sizeRules() {
            #expect(throws: NTStatus.invalidParameter) { try WdfLookasideHandle.create(bufferSize: 0) }
            #expect(throws: NTStatus.integerOverflow) { try WdfLookasideHandle.create(bufferSize: Int(UInt32.max)) }
        }

        /// Memory objects hold no reference on their list: a deleted list waits for its buffers,
        /// and whichever thread returns the last one destroys it, exactly once, while others
        /// return theirs at the same moment (and a reference taken on the list still counts).
        @Test func aDeletedListIsDestroyedOnceAfterBuffersReturnedOnManyThreads() throws {
            for round in 0..<200 {
                let destroyed = Atomic<Int>(0)
                let list = try WdfLookasideHandle.create(
                    attributes: WdfAttributes(destroy: { _ in destroyed.wrappingAdd(1, ordering: .relaxed) }),
                    bufferSize: 64, tag: "LkDr")
                let perThread = 1 + round % 9
                let batches = (0..<3).map { _ in (0..<perThread).map { _ in try! list.createMemory() } }
                let referenced = round % 4 == 0
                if referenced { list.object.reference() }
                DispatchQueue.concurrentPerform(iterations: 4) { worker in
                    if worker == 3 { list.delete() } else { for memory in batches[worker] { memory.delete() } }
                }
                if referenced {
                    #expect(destroyed.load(ordering: .relaxed) == 0)
                    list.object.dereference()
                }
                #expect(destroyed.load(ordering: .relaxed) == 1, "round \(round)")
                #expect(Pool.usage(of: "LkDr")?.nonPagedBytes == 0, "round \(round)")
            }
        }

        /// A memory object whose creation fails after its buffer was taken gives the buffer back:
        /// a deleted list does not wait for it.
        @Test func aFailedMemoryCreationDoesNotKeepADeletedListWaiting() throws {
            var attributes = WdfAttributes()
            attributes.context = ContextType(key: 0xC0DF, size: 1 << 50, name: "HUGE")
            let log = CallbackLog()
            let list = try WdfLookasideHandle.create(
                attributes: WdfAttributes(destroy: log.callback("list-destroy")), bufferSize: 64, memoryAttributes: attributes,
                tag: "LkFa")
            #expect(throws: NTStatus.insufficientResources) { try list.createMemory() }
            list.delete()
            #expect(log.all == ["list-destroy"])
        }

        @Test func twoThreadsOneListOneParent() throws {
            let parent = try WdfObject.create()
            let list = try WdfLookasideHandle.create(bufferSize: 128, memoryAttributes: WdfAttributes(parent: parent), tag: "LkTh")
            let rounds = 20_000
            DispatchQueue.concurrentPerform(iterations: 2) { _ in
                var held: [WdfMemoryHandle] = []
                for round in 0..<rounds {
                    held.append(try! list.createMemory())
                    if held.count > 16 || round % 3 == 0 { held.removeFirst().delete() }
                }
                for memory in held { memory.delete() }
            }
            let statistics = try #require(list.statistics)
            #expect(statistics.totalAllocates == UInt64(2 * rounds))
            #expect(statistics.totalFrees == UInt64(2 * rounds))
            parent.delete()
            list.delete()
            let usage = try #require(Pool.usage(of: "LkTh"))
            #expect(usage.nonPagedAllocations == usage.nonPagedFrees && usage.nonPagedBytes == 0)
        }

        @Test func pagedListDeletedAtDispatchIsDisposedLater() throws {
            let log = CallbackLog()
            let list = try WdfLookasideHandle.create(attributes: WdfAttributes(cleanup: log.callback("cleanup")), bufferSize: 32, poolType: .paged)
            Irql.withRaised(to: .dispatch) { list.delete() }
            DisposeList.drain()
            #expect(log.all == ["cleanup"])
            #expect(!list.object.isValid)
        }
    }
}

extension WdfSuites {
    @Suite("Lookaside-object bug checks")
    struct LookasideObjectBugCheckTests {
        @Test func notALookasideHandle() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let object = try! WdfObject.create()
                _ = try? WdfLookasideHandle(object).createMemory() as WdfMemoryHandle
            }
            expectStop(result, code: 0x10D, parameter1: 5)
        }

        @Test func assigningABufferToPoolMemory() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let memory = try! WdfMemoryHandle.create(size: 8)
                let other = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
                try? memory.assign(other)
            }
            expectStop(result, code: 0x10D, parameter1: 5)
        }
    }
}
