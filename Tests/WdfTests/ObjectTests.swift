import Testing
import TestSupport
import Foundation
import Synchronization
import NtKernel
import Wdf

/// Records the order callbacks run in.
final class CallbackLog: Sendable {
    let entries = KernelLock<[String]>([])
    func callback(_ name: String) -> ObjectCallback { { [self] _ in entries.withLock { $0.append(name) } } }
    var all: [String] { entries.withLock { $0 } }
}

struct Counter: BitwiseCopyable { var value: Int; var other: Int }

extension WdfSuites {
    @Suite("Objects")
    struct ObjectTests {
        @Test func deleteOrderChildrenOldestFirstCleanupBeforeParent() throws {
            let log = CallbackLog()
            let root = try WdfObject.create(attributes: WdfAttributes(cleanup: log.callback("root"), destroy: log.callback("root-destroy")))
            let a = try WdfObject.create(attributes: WdfAttributes(parent: root, cleanup: log.callback("a")))
            _ = try WdfObject.create(attributes: WdfAttributes(parent: a, cleanup: log.callback("a1")))
            _ = try WdfObject.create(attributes: WdfAttributes(parent: root, cleanup: log.callback("b"), destroy: log.callback("b-destroy")))
            root.delete()
            #expect(log.all == ["a1", "a", "b", "root", "b-destroy", "root-destroy"])
            #expect(!root.isValid && !a.isValid)
        }

        /// A parent without callbacks destroys plain leaves as it detaches them only when no
        /// child (or grandchild) could look at them: here a younger sibling's and a nephew's
        /// cleanup read older plain memory objects, which must still be valid.
        @Test func cleanupCallbacksSeeTheirPlainSiblingsAndCousins() throws {
            let parent = try WdfObject.create()
            let older = try WdfMemoryHandle.create(attributes: WdfAttributes(parent: parent), size: 48)
            let uncle = try WdfObject.create(attributes: WdfAttributes(parent: parent))
            let cousin = try WdfMemoryHandle.create(attributes: WdfAttributes(parent: parent), size: 32)
            let seen = KernelLock<[Int]>([])
            _ = try WdfObject.create(attributes: WdfAttributes(parent: uncle, cleanup: { _ in
                seen.withLock { $0.append(cousin.size) }
            }))
            _ = try WdfObject.create(attributes: WdfAttributes(parent: parent, cleanup: { _ in
                seen.withLock { $0.append(older.size) }
            }))
            parent.delete()
            #expect(seen.withLock { $0 } == [32, 48])
            #expect(!older.object.isValid && !cousin.object.isValid)

            // Without anyone to look, plain leaves go as they are detached; all of them go.
            let plain = try WdfObject.create()
            let leaves = try (0..<100).map { _ in try WdfMemoryHandle.create(attributes: WdfAttributes(parent: plain), size: 16) }
            plain.delete()
            #expect(leaves.allSatisfy { !$0.object.isValid })
        }

        /// Objects parented to a driver are linked with a store-then-load handshake against the
        /// driver's teardown: each creation racing the teardown either fails with
        /// STATUS_DELETE_PENDING or is found and deleted by it. Nothing leaks, nothing is freed
        /// twice.
        @Test func creationsRacingADriversTeardownAreDeletedOrRefused() throws {
            for round in 0..<40 {
                let owner = WdfDriverHandle.current
                let driver = try WdfDriverHandle.create(registryPath: "TdRace\(round)", host: nil, config: WdfDriverHandle.Config())
                // Keeps the driver's slot readable (disposed) until the creators are done.
                driver.object.reference()
                // The list belongs to the current driver; its memory objects to the racing one.
                let list = try WdfLookasideHandle.create(
                    attributes: WdfAttributes(parent: owner.object), bufferSize: 48,
                    memoryAttributes: WdfAttributes(parent: driver.object), tag: "TdLk")
                let created = KernelLock<[WdfObject]>([])
                DispatchQueue.concurrentPerform(iterations: 3) { worker in
                    if worker == 2 {
                        for _ in 0..<(round % 8) * 20 { sched_yield() }
                        _ = driver.tearDown()
                        return
                    }
                    var mine: [WdfObject] = []
                    while mine.count < 3000 {
                        do {
                            if worker == 0 {
                                mine.append(try WdfMemoryHandle.create(attributes: WdfAttributes(parent: driver.object), tag: "TdPl", size: 24).object)
                            } else {
                                mine.append(try list.createMemory().object)
                            }
                        } catch {
                            #expect(error as? NTStatus == .deletePending, "worker \(worker) after \(mine.count)")
                            break
                        }
                    }
                    created.withLock { $0.append(contentsOf: mine) }
                }
                driver.object.dereference()
                #expect(created.withLock { $0 }.allSatisfy { !$0.isValid }, "round \(round)")
                list.delete()
                #expect(Pool.usage(of: "TdPl").map { $0.nonPagedBytes } ?? 0 == 0, "round \(round)")
                #expect(Pool.usage(of: "TdLk").map { $0.nonPagedBytes } ?? 0 == 0, "round \(round)")
            }
        }

        @Test func referencesKeepADeletedObjectUntilTheLastOne() throws {
            let log = CallbackLog()
            let object = try WdfObject.create(attributes: WdfAttributes(cleanup: log.callback("cleanup"), destroy: log.callback("destroy")))
            object.reference()
            object.delete()
            #expect(log.all == ["cleanup"])
            #expect(object.isValid)
            object.delete()  // already torn down: nothing happens
            object.dereference()
            #expect(log.all == ["cleanup", "destroy"])
            #expect(!object.isValid)
        }

        @Test func aChildOfADeletingParentIsRefused() throws {
            let parent = try WdfObject.create()
            let done = KernelLock<NTStatus?>(nil)
            _ = try WdfObject.create(attributes: WdfAttributes(parent: parent, cleanup: { _ in
                do { _ = try WdfObject.create(attributes: WdfAttributes(parent: parent)) } catch { done.withLock { $0 = error as? NTStatus } }
            }))
            parent.delete()
            #expect(done.withLock { $0 } == .deletePending)
        }

        @Test func aMillionDeepChainDeletes() throws {
            let root = try WdfObject.create()
            var parent = root
            for _ in 0..<1_000_000 { parent = try WdfObject.create(attributes: WdfAttributes(parent: parent)) }
            root.delete()
            #expect(!parent.isValid)
        }

        @Test func staleHandlesAreRecognizedAfterReuse() throws {
            let first = try WdfObject.create()
            first.delete()
            let second = try WdfObject.create()  // likely the same slot, a newer generation
            #expect(!first.isValid)
            #expect(second.isValid)
            second.delete()
        }

        /// A parent's delete frees thousands of slots in a row: the thread's slot cache gives
        /// them back to the shared free list in chains, and another thread takes them again.
        @Test func slotsFreedInBulkAreReusedOnceByAnotherThread() throws {
            let parent = try WdfObject.create()
            let children = try (0..<5000).map { _ in try WdfObject.create(attributes: WdfAttributes(parent: parent)) }
            parent.delete()
            #expect(children.allSatisfy { !$0.isValid })
            let handles = OtherThread.run { (0..<5000).map { _ in try! WdfObject.create() } }
            #expect(Set(handles).count == handles.count)
            #expect(handles.allSatisfy { $0.isValid })
            #expect(children.allSatisfy { !$0.isValid })
            for handle in handles { handle.delete() }
            #expect(handles.allSatisfy { !$0.isValid })
        }

        @Test func contexts() throws {
            let object = try WdfObject.create(attributes: WdfAttributes(context: ContextType(Counter.self)))
            #expect(object.withContext(Counter.self) { $0.value } == 0)
            object.withContext(Counter.self) { $0.value = 42 }
            #expect(object.withContext(Counter.self) { $0.value } == 42)
            let memory = try #require(object.context(ContextType(Counter.self)))
            #expect(WdfObject.owner(ofContext: memory) == object)
            // Allocating the same type again returns the existing context.
            let again = try object.allocateContext(WdfAttributes(context: ContextType(Counter.self)))
            #expect(again.existed && again.context == memory)
            let other = ContextType(key: 0x1234, size: 3, name: "OTHER")
            let added = try object.allocateContext(WdfAttributes(context: other))
            #expect(!added.existed && Int(bitPattern: added.context) % 8 == 0)
            #expect(throws: NTStatus.objectNameInvalid) { try object.allocateContext(WdfAttributes()) }
            #expect(throws: NTStatus.wdfParentAssignmentNotAllowed) {
                try object.allocateContext(WdfAttributes(parent: object, context: other))
            }
            object.delete()
        }

        @Test func attributesValidationOrder() {
            func raw(size: UInt32 = 56, execution: UInt32 = 1, scope: UInt32 = 1, override: Int = 0, context: RawContextType? = nil)
                -> RawObjectAttributes
            {
                RawObjectAttributes(
                    size: size, expectedSize: 56, cleanup: nil, destroy: nil, executionLevel: execution,
                    synchronizationScope: scope, parent: nil, contextSizeOverride: override, context: context)
            }
            let goodType = RawContextType(sizeField: 40, expectedSizeField: 40, hasName: true, name: "T", contextSize: 16, key: 1)
            let badSizeType = RawContextType(sizeField: 39, expectedSizeField: 40, hasName: true, name: "T", contextSize: 16, key: 1)
            let unnamed = RawContextType(sizeField: 40, expectedSizeField: 40, hasName: false, name: "", contextSize: 16, key: 1)
            #expect(throws: NTStatus.infoLengthMismatch) { try raw(size: 48, execution: 9).validated(forMemory: true) }
            #expect(throws: NTStatus.infoLengthMismatch) { try raw(context: badSizeType).validated(forMemory: true) }
            #expect(throws: NTStatus.wdfObjectAttributesInvalid) { try raw(context: unnamed).validated(forMemory: true) }
            #expect(throws: NTStatus.wdfObjectAttributesInvalid) { try raw(override: 8, context: goodType).validated(forMemory: false) }
            #expect(throws: NTStatus.wdfObjectAttributesInvalid) { try raw(override: 64).validated(forMemory: false) }
            #expect(throws: NTStatus.wdfObjectAttributesInvalid) { try raw(execution: 7).validated(forMemory: false) }
            #expect(throws: NTStatus.wdfObjectAttributesInvalid) { try raw(scope: 0).validated(forMemory: false) }
            #expect(throws: NTStatus.wdfSynchronizationScopeInvalid) { try raw(execution: 2, scope: 2).validated(forMemory: true) }
            #expect(throws: NTStatus.wdfExecutionLevelInvalid) { try raw(execution: 2, scope: 4).validated(forMemory: true) }
            #expect(throws: Never.self) { try raw(execution: 2, scope: 2).validated(forMemory: false) }
            #expect(throws: Never.self) { try raw(override: 32, context: goodType).validated(forMemory: true) }
        }
    }
}

extension WdfSuites {
    @Suite("Default pool tag")
    struct DriverTagTests {
        @Test("derived from the service name", arguments: [
            ("WdfSampleDrv", "Samp"), ("MyDriver", "MyDr"), ("WDFab", "FxDr"), ("wdfXYZ", "XYZ"), ("Ab", "FxDr"),
            ("Abc", "Abc"), ("wdf", "FxDr"),
        ])
        func derived(service: String, tag: String) {
            #expect(DriverTag.tag(forServiceName: service) == PoolTag(exactly: tag))
        }

        @Test func threeCharactersLeaveTheFourthByteZero() {
            #expect(DriverTag.tag(forServiceName: "WdfXyz").rawValue == 0x007A_7958)
        }

        @Test func registryPathGivesTheServiceName() {
            #expect(DriverTag.serviceName(fromRegistryPath: "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\MyDriver") == "MyDriver")
            #expect(DriverTag.serviceName(fromRegistryPath: "NoSlash") == "WDF")
        }

        @Test func driverPoolTagWinsUnlessOldDefault() {
            #expect(DriverTag.resolve(configTag: PoolTag("Mine").rawValue, serviceName: "MyDriver") == PoolTag("Mine"))
            #expect(DriverTag.resolve(configTag: PoolTag("Ddk ").rawValue, serviceName: "MyDriver") == PoolTag("MyDr"))
            #expect(DriverTag.resolve(configTag: 0, serviceName: "MyDriver") == PoolTag("MyDr"))
            #expect(DriverTag.resolve(configTag: nil, serviceName: "MyDriver") == PoolTag("MyDr"))
        }
    }
}

extension WdfSuites {
    @Suite("Object bug checks")
    struct ObjectBugCheckTests {
        @Test func garbageHandle() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                WdfObject(rawValue: 0x1234_5670).delete()
            }
            expectStop(result, code: 0x10D, parameter1: 5)
            #expect(StopLine(standardError: result?.standardErrorContent ?? [])?.parameters[1] == 0x1234_5670)
        }

        @Test func nullHandle() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                WdfObject(rawValue: 0).reference()
            }
            expectStop(result, code: 0x10D, parameter1: 5)
        }

        @Test func staleHandle() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let object = try! WdfObject.create()
                object.delete()
                _ = try! WdfObject.create()
                object.delete()
            }
            expectStop(result, code: 0x10D, parameter1: 5)
        }

        @Test func wrongKind() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let object = try! WdfObject.create()
                _ = WdfMemoryHandle(object).size
            }
            expectStop(result, code: 0x10D, parameter1: 5)
        }

        @Test func dereferencingAParentedObjectToZero() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let object = try! WdfObject.create()
                object.dereference()
            }
            expectStop(result, code: 0x10D, parameter1: 7)
        }
    }
}
