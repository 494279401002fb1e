import Testing
import TestSupport
import Synchronization
@_spi(Runtime) import NtKernel
@_spi(Runtime) @testable import FltMgr

/// Calls of `countingCleanup`, and the first 8 bytes of the type it last saw.
let cCleanupCalls = Atomic<Int>(0)
let cCleanupLastType = Atomic<UInt64>(0)

/// A C cleanup routine, as the C door passes it (by address).
let countingCleanup: @convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?) -> Void = { _, type in
    cCleanupCalls.add(1, ordering: .relaxed)
    cCleanupLastType.store(type!.loadUnaligned(as: UInt64.self), ordering: .relaxed)
}

var countingCleanupAddress: UInt { UInt(bitPattern: unsafeBitCast(countingCleanup, to: UnsafeRawPointer.self)) }

/// What the C door does: the fast path with the type read from memory laid out like a C `GUID`,
/// else the general path.
func allocateAsTheCDoor(
    _ filter: Filter, _ type: EcpType, size: UInt32, flags: EcpAllocationFlags = [], cleanupRoutine: UInt = 0,
    from storage: EcpLookasideStorage
) throws(NTStatus) -> UnsafeMutableRawPointer {
    var guid = type
    let fast = withUnsafeBytes(of: &guid) { bytes in
        ExtraCreateParameters.allocateFromList(
            filter: filter, typeAt: bytes.baseAddress!, size: size, cleanupRoutine: cleanupRoutine, from: storage)
    }
    if let fast { return try fast.get() }
    return try ExtraCreateParameters.allocate(
        filter: filter, type: type, size: size, flags: flags, cleanupRoutine: cleanupRoutine, from: storage)
}

/// An ECP lookaside list in caller storage, as C code holds one.
final class CallerStorageList {
    let filter: Filter
    let memory = UnsafeMutableRawPointer.allocate(byteCount: EcpLookasideStorage.byteCount, alignment: 64)
    let storage: EcpLookasideStorage

    init(filter: Filter, contextSize: Int, tag: PoolTag) {
        self.filter = filter
        storage = EcpLookasideStorage.initialize(memory, filter: filter, nonPaged: true, size: contextSize, tag: tag)
    }

    deinit {
        storage.delete(filter: filter, nonPaged: true)
        memory.deallocate()
    }

    var statistics: LookasideStatistics { LookasideHandle(resolving: memory, routine: "test").statistics }
}

@Suite("ECP fast paths")
struct EcpFastPathTests {
    @Test func headerLayoutMatchesTheOffsetsTheFastPathsUse() {
        #expect(EcpHeader.layoutIsConsistent)
        #expect(ExtraCreateParameters.headerSize == EcpLayout.size)
    }

    @Test func theCDoorEntryTakesFromTheListAndFallsBackToPool() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let list = CallerStorageList(filter: filter, contextSize: 256, tag: "EcFp")
        let small = try allocateAsTheCDoor(filter, sampleType, size: 256, flags: [.chargeQuota], from: list.storage)
        #expect(list.statistics.totalAllocates == 1)
        #expect(Int(bitPattern: small) % 16 == 0)
        #expect(ExtraCreateParameters.type(of: small) == sampleType)
        #expect(ExtraCreateParameters.size(of: small) == 256)
        let large = try allocateAsTheCDoor(filter, otherType, size: 257, flags: [.nonPagedPool], from: list.storage)
        #expect(list.statistics.totalAllocates == 1)
        #expect(Pool.blockInfo(large - ExtraCreateParameters.headerSize)?.tag == PoolTag("EcFp"))
        #expect(ExtraCreateParameters.type(of: large) == otherType)
        #expect(filter.outstandingEcps == 2)
        #expect(throws: NTStatus.integerOverflow) {
            try allocateAsTheCDoor(filter, sampleType, size: UInt32.max - 10, from: list.storage)
        }
        ExtraCreateParameters.free(filter: filter, small)
        ExtraCreateParameters.free(filter: filter, large)
        #expect(list.statistics.totalFrees == 1)
        #expect(filter.outstandingEcps == 0)
    }

    @Test func aCCleanupRoutineRunsOnceWithTheType() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let list = CallerStorageList(filter: filter, contextSize: 64, tag: "EcFc")
        let before = cCleanupCalls.load(ordering: .relaxed)
        let context = try allocateAsTheCDoor(
            filter, otherType, size: 64, cleanupRoutine: countingCleanupAddress, from: list.storage)
        ExtraCreateParameters.free(filter: filter, context)
        #expect(cCleanupCalls.load(ordering: .relaxed) == before + 1)
        #expect(cCleanupLastType.load(ordering: .relaxed) == unsafeBitCast(otherType, to: (UInt64, UInt64).self).0)
    }

    @Test func aRecycledEntryKeepsNothingOfItsLastEcp() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let list = CallerStorageList(filter: filter, contextSize: 32, tag: "EcFr")
        let log = CleanupLog()
        // Last time: acknowledged, a Swift cleanup, in a list and removed.
        let ecps = try EcpList.allocate(filter: filter)
        let first = try ExtraCreateParameters.allocate(
            filter: filter, type: sampleType, size: 32, flags: [], cleanup: log.cleanup, from: list.storage)
        ExtraCreateParameters.acknowledge(filter: filter, first)
        try ecps.insert(first)
        _ = try ecps.remove(sampleType)
        ExtraCreateParameters.free(filter: filter, first)
        #expect(log.types == [sampleType])
        // This time: the same memory, from the C door, no cleanup.
        let second = try allocateAsTheCDoor(filter, thirdType, size: 16, from: list.storage)
        #expect(second == first)
        #expect(!ExtraCreateParameters.isAcknowledged(filter: filter, second))
        #expect(ExtraCreateParameters.size(of: second) == 16)
        #expect(ExtraCreateParameters.type(of: second) == thirdType)
        try ecps.insert(second)
        #expect(ecps.map(\.type) == [thirdType])
        _ = try ecps.remove(thirdType)
        ExtraCreateParameters.free(filter: filter, second)
        #expect(log.types == [sampleType])
        ecps.free()
        #expect(filter.outstandingEcps == 0)
    }

    @Test func filterHandlesAreCheckedExactly() throws {
        let filter = try Filter.register(driver: nil)
        let other = try Filter.register(driver: nil)
        #expect(filter.isRegistered && other.isRegistered)
        #expect(!Filter(rawValue: 0).isRegistered)
        #expect(!Filter(rawValue: filter.rawValue | 0x1000).isRegistered)
        #expect(!Filter(rawValue: filter.rawValue | 0x1).isRegistered)
        #expect(!Filter(rawValue: filter.rawValue & ~(0xFFFF << 48)).isRegistered)
        for index in 0..<256 {
            // What a vacant slot holds (see `FilterTable.vacantWord`) is no handle.
            #expect(!Filter(rawValue: UInt(index ^ 1) << 4).isRegistered)
        }
        other.unregister()
        #expect(!other.isRegistered)
        let again = try Filter.register(driver: nil)
        defer { again.unregister() }
        #expect(again != other && !other.isRegistered && again.isRegistered)
        filter.unregister()
        #expect(!filter.isRegistered)
    }
}

@Suite("ECP fast-path bug checks")
struct EcpFastPathBugCheckTests {
    @Test func freeingWithAFilterThatIsNotRegistered() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let list = EcpLookaside(filter: filter, contextSize: 16, tag: "EcFb")
            let context = try! list.allocate(sampleType, size: 16)
            ExtraCreateParameters.free(filter: Filter(rawValue: filter.rawValue | 0x1000), context)
        }
        expectStop(result, code: 0xC4, parameter1: 0xE5)
    }

    @Test func freeingWithAnUnregisteredFilter() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let owner = try! Filter.register(driver: nil)
            let list = EcpLookaside(filter: owner, contextSize: 16, tag: "EcFb")
            let context = try! list.allocate(sampleType, size: 16)
            filter.unregister()
            ExtraCreateParameters.free(filter: filter, context)
        }
        expectStop(result, code: 0xC4, parameter1: 0xE5)
    }

    @Test func allocatingWithANullFilter() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let list = CallerStorageList(filter: filter, contextSize: 16, tag: "EcFb")
            _ = try? allocateAsTheCDoor(Filter(rawValue: 0), sampleType, size: 16, from: list.storage)
        }
        expectStop(result, code: 0xC4, parameter1: 0xE5)
    }

    @Test func allocatingAboveApcLevel() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let list = CallerStorageList(filter: filter, contextSize: 16, tag: "EcFb")
            Irql.raise(to: .dispatch)
            _ = try? allocateAsTheCDoor(filter, sampleType, size: 16, from: list.storage)
        }
        expectStop(result, code: 0x0A, parameter1: 1)
    }

    @Test func freeingAboveApcLevel() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let list = CallerStorageList(filter: filter, contextSize: 16, tag: "EcFb")
            let context = try! allocateAsTheCDoor(filter, sampleType, size: 16, from: list.storage)
            Irql.raise(to: .dispatch)
            ExtraCreateParameters.free(filter: filter, context)
        }
        expectStop(result, code: 0x0A, parameter1: 1)
    }

    @Test func allocatingFromStorageThatHoldsNoList() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let storage = UnsafeMutableRawPointer.allocate(byteCount: EcpLookasideStorage.byteCount, alignment: 64)
            storage.initializeMemory(as: UInt8.self, repeating: 0, count: EcpLookasideStorage.byteCount)
            _ = try? allocateAsTheCDoor(filter, sampleType, size: 16, from: EcpLookasideStorage(storage))
        }
        expectStop(result, code: 0xC4, parameter1: 0xF0)
    }

    @Test func freeingTwiceThroughTheCDoorEntry() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let list = CallerStorageList(filter: filter, contextSize: 256, tag: "EcFb")
            let context = try! allocateAsTheCDoor(filter, sampleType, size: 256, from: list.storage)
            ExtraCreateParameters.free(filter: filter, context)
            ExtraCreateParameters.free(filter: filter, context)
        }
        expectStop(result, code: 0xC4, parameter1: 0xE1)
    }
}
