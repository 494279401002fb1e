import Testing
import TestSupport
import Foundation
import NtKernel
@_spi(Runtime) import FltMgr

let sampleType = EcpType(0x1234_5678, 0x9ABC, 0xDEF0, (1, 2, 3, 4, 5, 6, 7, 8))
let otherType = EcpType(0x8765_4321, 0x0001, 0x0002, (9, 9, 9, 9, 9, 9, 9, 9))
let thirdType = EcpType(0x0000_0003, 0x0003, 0x0003, (3, 3, 3, 3, 3, 3, 3, 3))

/// Counts cleanup calls and remembers the types they saw.
final class CleanupLog: @unchecked Sendable {
    let lock = KernelLock<[EcpType]>([])
    var cleanup: EcpCleanup { .callback { [self] _, type in lock.withLock { $0.append(type) } } }
    var types: [EcpType] { lock.withLock { $0 } }
}

@Suite("Extra create parameters")
struct EcpTests {
    @Test func fitsComesFromTheListTooBigFromPoolWithTheListsTag() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let list = EcpLookaside(filter: filter, contextSize: 64, tag: "EcLk", nonPaged: true)
        let small = try list.allocate(sampleType, size: 64)
        #expect(list.statistics.totalAllocates == 1)
        #expect(Int(bitPattern: small) % 16 == 0)
        let large = try list.allocate(otherType, size: 1000, flags: [.nonPagedPool])
        #expect(list.statistics.totalAllocates == 1)  // the pool, not the list
        let info = try #require(Pool.blockInfo(large - ExtraCreateParameters.headerSize))
        #expect(info.tag == PoolTag("EcLk") && !info.isPaged)
        let pagedLarge = try list.allocate(thirdType, size: 1000)
        #expect(Pool.blockInfo(pagedLarge - ExtraCreateParameters.headerSize)?.isPaged == true)
        #expect(ExtraCreateParameters.size(of: large) == 1000)
        #expect(ExtraCreateParameters.type(of: small) == sampleType)
        for context in [small, large, pagedLarge] { list.free(context) }
        #expect(filter.outstandingEcps == 0)
    }

    @Test func quotaIsChargedOnlyOnThePoolPath() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let process = try EmulatedProcess.enter(imageName: "ecp-quota.exe", pagedQuotaLimit: 1 << 20, nonPagedQuotaLimit: 1 << 20)
        defer { EmulatedProcess.enterSystem() }
        let list = EcpLookaside(filter: filter, contextSize: 32, tag: "EcQt", nonPaged: true)
        let fits = try list.allocate(sampleType, size: 32, flags: [.chargeQuota])
        #expect(process.quota.nonPagedUsage == 0)  // from the list: the quota flag is ignored
        let big = try list.allocate(otherType, size: 400, flags: [.chargeQuota, .nonPagedPool])
        #expect(process.quota.nonPagedUsage == 496)  // 400 + 80 header + 16 pool header
        list.free(big)
        #expect(process.quota.nonPagedUsage == 0)
        list.free(fits)
    }

    @Test func quotaExceededIsACleanFailure() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let process = try EmulatedProcess.enter(imageName: "ecp-small.exe", pagedQuotaLimit: 100, nonPagedQuotaLimit: 100)
        defer { EmulatedProcess.enterSystem() }
        let before = Pool.usage(of: "EcQx")
        #expect(throws: NTStatus.insufficientResources) {
            try ExtraCreateParameters.allocate(
                filter: filter, type: sampleType, size: 200, flags: [.chargeQuota, .nonPagedPool], cleanup: .none, tag: "EcQx")
        }
        #expect(Pool.usage(of: "EcQx") == before)
        #expect(process.quota.nonPagedUsage == 0 && filter.outstandingEcps == 0)
    }

    @Test func overflowNear4GiB() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let list = EcpLookaside(filter: filter, contextSize: 16, tag: "EcOv")
        #expect(throws: NTStatus.integerOverflow) { try list.allocate(sampleType, size: Int(UInt32.max) - 10) }
        #expect(throws: NTStatus.integerOverflow) {
            try ExtraCreateParameters.allocate(
                filter: filter, type: sampleType, size: UInt32.max, flags: [], cleanup: .none, tag: "EcOv")
        }
    }

    @Test func cleanupRunsOnceWithTheTypeOnEveryFreePath() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let log = CleanupLog()
        let list = EcpLookaside(filter: filter, contextSize: 16, tag: "EcCl")
        // Freed directly.
        list.free(try list.allocate(sampleType, size: 8, cleanup: log.cleanup))
        #expect(log.types == [sampleType])
        // Freed with its list; removed and rejected ECPs get no cleanup until freed.
        let ecps = try EcpList.allocate(filter: filter)
        let a = try list.allocate(otherType, size: 8, cleanup: log.cleanup)
        let b = try list.allocate(thirdType, size: 8, cleanup: log.cleanup)
        let duplicate = try list.allocate(otherType, size: 8, cleanup: log.cleanup)
        try ecps.insert(a)
        try ecps.insert(b)
        #expect(throws: NTStatus.invalidParameter) { try ecps.insert(duplicate) }
        _ = try ecps.remove(thirdType)
        #expect(log.types == [sampleType])
        ecps.free()
        #expect(log.types == [sampleType, otherType])
        list.free(b)
        list.free(duplicate)
        #expect(log.types == [sampleType, otherType, thirdType, otherType])
    }

    @Test func listOrderFindRemoveAndIteration() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let ecps = try EcpList.allocate(filter: filter)
        var contexts: [UnsafeMutableRawPointer] = []
        for (index, type) in [sampleType, otherType, thirdType].enumerated() {
            let context = try ExtraCreateParameters.allocate(
                filter: filter, type: type, size: UInt32(8 * (index + 1)), flags: [.nonPagedPool], cleanup: .none, tag: "EcLs")
            try ecps.insert(context)
            contexts.append(context)
        }
        #expect(ecps.map(\.type) == [sampleType, otherType, thirdType])
        #expect(ecps.map(\.size) == [8, 16, 24])
        let found = try ecps.find(otherType)
        #expect(found.context == contexts[1] && found.size == 16)
        #expect(throws: NTStatus.notFound) { try ecps.find(EcpType(0, 0, 0, (0, 0, 0, 0, 0, 0, 0, 0))) }
        let first = try ecps.next(after: nil)
        #expect(first.context == contexts[0])
        let last = try ecps.next(after: contexts[1])
        #expect(last.context == contexts[2])
        #expect(throws: NTStatus.notFound) { try ecps.next(after: contexts[2]) }
        let removed = try ecps.remove(sampleType)
        #expect(removed.context == contexts[0])
        #expect(ecps.map(\.type) == [otherType, thirdType])
        #expect(throws: NTStatus.notFound) { try ecps.remove(sampleType) }
        #expect(throws: NTStatus.invalidParameter) { try ecps.next(after: contexts[0]) }
        ExtraCreateParameters.free(filter: filter, contexts[0])
        ecps.free()
        #expect(filter.outstandingEcps == 0)
    }

    @Test func acknowledgment() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let context = try ExtraCreateParameters.allocate(
            filter: filter, type: sampleType, size: 8, flags: [], cleanup: .none, tag: "EcAk")
        #expect(!ExtraCreateParameters.isAcknowledged(filter: filter, context))
        ExtraCreateParameters.acknowledge(filter: filter, context)
        #expect(ExtraCreateParameters.isAcknowledged(filter: filter, context))
        ExtraCreateParameters.prepareToReuse(filter: filter, context)
        #expect(!ExtraCreateParameters.isAcknowledged(filter: filter, context))
        #expect(!ExtraCreateParameters.isFromUserMode(filter: filter, context))
        ExtraCreateParameters.free(filter: filter, context)
    }

    @Test func leaksAreReportedAtListDeletionAndUnregistration() throws {
        let filter = try Filter.register(driver: nil)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: EcpLookasideStorage.byteCount, alignment: 64)
        defer { storage.deallocate() }
        let list = EcpLookasideStorage.initialize(storage, filter: filter, nonPaged: true, size: 32, tag: "EcLe")
        let leaked = try ExtraCreateParameters.allocate(
            filter: filter, type: sampleType, size: 16, flags: [], cleanup: .none, from: list)
        _ = leaked
        #expect(list.delete(filter: filter, nonPaged: true) == 1)
        #expect(VerifierLog.recent.contains { $0.contains("(tag 'EcLe') were never freed") })
        #expect(filter.outstandingEcps == 1)
        let before = VerifierLog.count
        filter.unregister()
        #expect(VerifierLog.count > before)
        #expect(VerifierLog.recent.contains { $0.contains("FltUnregisterFilter: the filter still has 1") })
    }

    @Test func hostUnloadCallsTheFilterUnloadCallback() throws {
        let calls = KernelLock(0)
        var registered: Filter?
        let host = try DriverHost.load(serviceName: "EcpFilterHost") { host throws(NTStatus) in
            registered = try Filter.register(driver: host, unload: { _ in
                calls.withLock { $0 += 1 }
                return .success
            })
            try registered!.startFiltering()
        }
        let status = try DriverHost.unload(host)
        #expect(status == .success)
        #expect(calls.withLock { $0 } == 1)
        #expect(registered?.isRegistered == false)
    }

    @Test func twoThreadsWithTheirOwnListsShareOneLookaside() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let list = EcpLookaside(filter: filter, contextSize: 48, tag: "EcTh")
        let log = CleanupLog()
        let rounds = 5000
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for round in 0..<rounds {
                let ecps = try! EcpList.allocate(filter: filter)
                let first = try! list.allocate(sampleType, size: 48, cleanup: log.cleanup)
                let second = try! list.allocate(otherType, size: worker == 0 ? 16 : 200, cleanup: log.cleanup)
                try! ecps.insert(first)
                try! ecps.insert(second)
                if round % 2 == 0 {
                    let removed = try! ecps.remove(sampleType)
                    list.free(removed.context)
                }
                ecps.free()
            }
        }
        #expect(log.types.count == 2 * 2 * rounds)
        #expect(filter.outstandingEcps == 0)
        let statistics = list.statistics
        #expect(statistics.totalAllocates == statistics.totalFrees)
    }
}

@Suite("ECP bug checks")
struct EcpBugCheckTests {
    @Test func freeingAnEcpStillInAList() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let ecps = try! EcpList.allocate(filter: filter)
            let context = try! ExtraCreateParameters.allocate(
                filter: filter, type: sampleType, size: 8, flags: [], cleanup: .none, tag: "EcBg")
            try! ecps.insert(context)
            ExtraCreateParameters.free(filter: filter, context)
        }
        expectStop(result, code: 0xC4, parameter1: 0xE2)
    }

    @Test func freeingTwiceFromALookaside() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let list = EcpLookaside(filter: filter, contextSize: 16, tag: "EcBg")
            let context = try! list.allocate(sampleType, size: 8)
            list.free(context)
            list.free(context)
        }
        expectStop(result, code: 0xC4, parameter1: 0xE1)
    }

    @Test func freeingTwiceFromPool() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let context = try! ExtraCreateParameters.allocate(
                filter: filter, type: sampleType, size: 8, flags: [], cleanup: .none, tag: "EcBg")
            ExtraCreateParameters.free(filter: filter, context)
            ExtraCreateParameters.free(filter: filter, context)
        }
        expectStop(result, code: 0xC4, parameter1: 0xE1)
    }

    @Test func freeingSomethingThatIsNotAnEcp() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let block = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 16)
            ExtraCreateParameters.free(filter: filter, block + 128)
        }
        expectStop(result, code: 0xC4, parameter1: 0xE0)
    }

    @Test func ecpRoutinesAboveApcLevel() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            Irql.raise(to: .dispatch)
            _ = try? EcpList.allocate(filter: filter)
        }
        expectStop(result, code: 0x0A, parameter1: 1)
    }

    @Test func unregisteredFilter() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            filter.unregister()
            _ = try? EcpList.allocate(filter: filter)
        }
        expectStop(result, code: 0xC4, parameter1: 0xE5)
    }
}

struct OpenParameters: BitwiseCopyable, Equatable {
    var processId: UInt32
    var flags: UInt32
}

@Suite("Typed ECPs and ownership")
struct TypedEcpTests {
    @Test func typedContexts() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let list = EcpLookaside(filter: filter, contextSize: MemoryLayout<OpenParameters>.size, tag: "EcTy")
        let ecps = try EcpList.allocate(filter: filter)
        let open = try list.allocate(sampleType, OpenParameters(processId: 7, flags: 1))
        try ecps.insert(open)
        #expect(ecps.find(sampleType, as: OpenParameters.self)?.pointee == OpenParameters(processId: 7, flags: 1))
        #expect(ecps.find(otherType, as: OpenParameters.self) == nil)
        ecps.free()
    }

    @Test func ecpListQuotaIsChargedAndGivenBack() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let process = try EmulatedProcess.enter(imageName: "ecplist-quota.exe", pagedQuotaLimit: 1 << 20, nonPagedQuotaLimit: 0)
        defer { EmulatedProcess.enterSystem() }
        let charged = try EcpList.allocate(filter: filter, chargeQuota: true)
        #expect(process.quota.pagedUsage > 0)
        charged.free()
        #expect(process.quota.pagedUsage == 0)
        let uncharged = try EcpList.allocate(filter: filter)
        #expect(process.quota.pagedUsage == 0)
        uncharged.free()
    }

    @Test func ecpsLeakedAtUnloadMakeUnloadReportMoreEntries() throws {
        let host = try DriverHost.load(serviceName: "EcpLeakHost") { host throws(NTStatus) in
            let filter = try Filter.register(driver: host)
            _ = try ExtraCreateParameters.allocate(
                filter: filter, type: sampleType, size: 8, flags: [], cleanup: .none, tag: "EcLk")
        }
        let before = VerifierLog.count
        #expect(try DriverHost.unload(host) == .moreEntries)
        #expect(VerifierLog.count > before)
    }
}

@Suite("ECP accounting and the fast checks")
struct EcpAccountingTests {
    @Test func outstandingIsExactAcrossTwoThreadsEachWithItsOwnList() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let lists = [
            EcpLookaside(filter: filter, contextSize: 256, tag: "EcA0"),
            EcpLookaside(filter: filter, contextSize: 256, tag: "EcA1"),
        ]
        let kept = KernelLock<[[UInt]]>([[], []])
        let rounds = 20_000
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            let list = lists[worker]
            var mine: [UInt] = []
            for round in 0..<rounds {
                let context = try! list.allocate(sampleType, size: 256)
                // Every 1000th stays out (from the list), every 1500th from pool (too big).
                if round % 1000 == 0 { mine.append(UInt(bitPattern: context)) } else { list.free(context) }
                if round % 1500 == 0 { mine.append(UInt(bitPattern: try! list.allocate(otherType, size: 4000))) }
            }
            kept.withLock { $0[worker] = mine }
        }
        let outstanding = kept.withLock { $0[0].count + $0[1].count }
        #expect(outstanding == 2 * (20 + 14))
        #expect(filter.outstandingEcps == outstanding)
        // Freed on the other thread than the one that allocated them.
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for address in kept.withLock({ $0[1 - worker] }) {
                lists[1 - worker].free(UnsafeMutableRawPointer(bitPattern: address)!)
            }
        }
        #expect(filter.outstandingEcps == 0)
        for list in lists { #expect(list.statistics.totalAllocates == list.statistics.totalFrees) }
    }

    @Test func unregisteringWithALiveListReportsItsEcpsAndTheListStaysUsable() throws {
        let filter = try Filter.register(driver: nil)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: EcpLookasideStorage.byteCount, alignment: 64)
        defer { storage.deallocate() }
        let list = EcpLookasideStorage.initialize(storage, filter: filter, nonPaged: true, size: 32, tag: "EcLu")
        var contexts: [UnsafeMutableRawPointer] = []
        for _ in 0..<3 {
            contexts.append(try ExtraCreateParameters.allocate(
                filter: filter, type: sampleType, size: 32, flags: [], cleanup: .none, from: list))
        }
        contexts.append(try ExtraCreateParameters.allocate(
            filter: filter, type: otherType, size: 8, flags: [], cleanup: .none, tag: "EcLu"))
        ExtraCreateParameters.free(filter: filter, contexts.removeFirst())
        #expect(filter.outstandingEcps == 3)
        filter.unregister()
        #expect(VerifierLog.recent.contains { $0.contains("FltUnregisterFilter: the filter still has 3") })
        // A new filter in the same slot starts from zero; the old list's ECPs are not its.
        let next = try Filter.register(driver: nil)
        defer { next.unregister() }
        #expect(next.outstandingEcps == 0)
        ExtraCreateParameters.free(filter: next, contexts.removeFirst())
        #expect(next.outstandingEcps == 0)
        #expect(list.delete(filter: next, nonPaged: true) == 1)
        #expect(next.outstandingEcps == 0)
    }

    @Test func ecpsOfADeletedListStayTheFiltersUntilUnregistration() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: EcpLookasideStorage.byteCount, alignment: 64)
        defer { storage.deallocate() }
        var list = EcpLookasideStorage.initialize(storage, filter: filter, nonPaged: true, size: 32, tag: "EcLd")
        _ = try ExtraCreateParameters.allocate(filter: filter, type: sampleType, size: 32, flags: [], cleanup: .none, from: list)
        #expect(list.delete(filter: filter, nonPaged: true) == 1)
        // The same storage, initialized again: a new list that starts from zero.
        list = EcpLookasideStorage.initialize(storage, filter: filter, nonPaged: true, size: 32, tag: "EcLd")
        let context = try ExtraCreateParameters.allocate(
            filter: filter, type: sampleType, size: 32, flags: [], cleanup: .none, from: list)
        #expect(filter.outstandingEcps == 2)
        ExtraCreateParameters.free(filter: filter, context)
        #expect(filter.outstandingEcps == 1)
        #expect(list.delete(filter: filter, nonPaged: true) == 0)
        #expect(filter.outstandingEcps == 1)
    }

    @Test func ecpsFromAListCountForTheFilterThatInitializedIt() throws {
        let owner = try Filter.register(driver: nil)
        defer { owner.unregister() }
        let other = try Filter.register(driver: nil)
        defer { other.unregister() }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: EcpLookasideStorage.byteCount, alignment: 64)
        defer { storage.deallocate() }
        let list = EcpLookasideStorage.initialize(storage, filter: owner, nonPaged: true, size: 64, tag: "EcOw")
        defer { list.delete(filter: owner, nonPaged: true) }
        let fromList = try ExtraCreateParameters.allocate(
            filter: other, type: sampleType, size: 64, flags: [], cleanup: .none, from: list)
        let fromPool = try ExtraCreateParameters.allocate(
            filter: other, type: sampleType, size: 640, flags: [], cleanup: .none, from: list)
        #expect(owner.outstandingEcps == 1 && other.outstandingEcps == 1)
        ExtraCreateParameters.free(filter: owner, fromList)
        ExtraCreateParameters.free(filter: owner, fromPool)
        #expect(owner.outstandingEcps == 0 && other.outstandingEcps == 0)
    }

    /// More live ECPs than the live table can tell apart (10 000 entries over 3 MiB of a
    /// 1 MiB window): the ones it lost take the full check, and every free still works.
    @Test func manyLiveEcpsAreAllFreedCorrectly() throws {
        let filter = try Filter.register(driver: nil)
        defer { filter.unregister() }
        let list = EcpLookaside(filter: filter, contextSize: 256, tag: "EcMn")
        let log = CleanupLog()
        var contexts: [UnsafeMutableRawPointer] = []
        for index in 0..<10_000 {
            contexts.append(try list.allocate(index % 2 == 0 ? sampleType : otherType, size: 256, cleanup: log.cleanup))
        }
        #expect(filter.outstandingEcps == 10_000)
        var generator = SystemRandomNumberGenerator()
        contexts.shuffle(using: &generator)
        for context in contexts {
            #expect(ExtraCreateParameters.size(of: context) == 256)
            list.free(context)
        }
        #expect(log.types.count == 10_000)
        #expect(filter.outstandingEcps == 0)
    }
}

@Suite("ECP fast-check bug checks")
struct EcpFastCheckBugCheckTests {
    @Test func freeingALookasideEcpStillInAList() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let list = EcpLookaside(filter: filter, contextSize: 16, tag: "EcFc")
            let ecps = try! EcpList.allocate(filter: filter)
            let context = try! list.allocate(sampleType, size: 16)
            try! ecps.insert(context)
            list.free(context)
        }
        expectStop(result, code: 0xC4, parameter1: 0xE2)
    }

    @Test func freeingTwiceAfterOtherEcpsCameAndWent() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let list = EcpLookaside(filter: filter, contextSize: 16, tag: "EcFc")
            let first = try! list.allocate(sampleType, size: 16)
            let second = try! list.allocate(otherType, size: 16)
            list.free(first)
            list.free(second)
            list.free(first)
        }
        expectStop(result, code: 0xC4, parameter1: 0xE1)
    }

    @Test func freeingTheMiddleOfALiveEcp() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let list = EcpLookaside(filter: filter, contextSize: 64, tag: "EcFc")
            let context = try! list.allocate(sampleType, size: 64)
            list.free(context + 16)
        }
        expectStop(result, code: 0xC4, parameter1: 0xE0)
    }

    @Test func freeingAPoolBlockThatIsNotAnEcp() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(driver: nil)
            let block = try! Pool.allocate(.nonPagedNx, byteCount: 256, tag: "EcFc")
            block.initializeMemory(as: UInt8.self, repeating: 0x41, count: 256)
            ExtraCreateParameters.free(filter: filter, block + ExtraCreateParameters.headerSize)
        }
        expectStop(result, code: 0xC4, parameter1: 0xE0)
    }
}
