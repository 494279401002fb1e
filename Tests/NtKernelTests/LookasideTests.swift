import Testing
import TestSupport
@_spi(Runtime) import NtKernel
import Foundation
import Synchronization

/// Counts the calls of a list's custom routines; entries come from the pool.
final class CountingAllocator: Sendable {
    let allocations = Atomic<Int>(0)
    let frees = Atomic<Int>(0)
    let failing = Atomic<Bool>(false)

    var allocator: LookasideAllocator {
        LookasideAllocator(
            allocate: { [self] type, size, tag in
                allocations.add(1, ordering: .relaxed)
                if failing.load(ordering: .relaxed) { return nil }
                return try? Pool.allocate(type, byteCount: size, tag: tag)
            },
            free: { [self] entry in
                frees.add(1, ordering: .relaxed)
                Pool.free(entry)
            })
    }
}

@Suite("Lookaside lists")
struct LookasideTests {
    @Test func validationOrder() {
        // Depth is checked first, then (after raising Size) Flags, then PoolType.
        #expect(throws: NTStatus.invalidParameter8) {
            try LookasideListEx(entrySize: 8, poolType: PoolType(rawValue: 3), tag: "LVal", depth: 100, tuner: .manual())
        }
        #expect(throws: NTStatus.invalidParameter8) { try LookasideListEx(entrySize: 8, tag: "LVal", depth: 1025, tuner: .manual()) }
        #expect(throws: NTStatus.invalidParameter4) {
            try LookasideListEx(entrySize: 8, poolType: PoolType(rawValue: 3), tag: "LVal", tuner: .manual())
        }
        #expect(throws: NTStatus.invalidParameter4) {
            try LookasideListEx(entrySize: 8, poolType: PoolType(rawValue: 0x800), tag: "LVal", tuner: .manual())
        }
        #expect(throws: Never.self) { try LookasideListEx(entrySize: 8, tag: "LVal", depth: 256, tuner: .manual()) }
        #expect(throws: Never.self) { try LookasideListEx(entrySize: 8, tag: "LVal", depth: 1024, tuner: .manual()) }
    }

    @Test func initialStateAndSizeFloor() throws {
        let list = try LookasideListEx(entrySize: 3, tag: "LIni", tuner: .manual())
        #expect(list.entrySize == 8)
        #expect(list.statistics.depth == 4)
        #expect(list.statistics.maximumDepth == 256)
        let deep = try LookasideListEx(entrySize: 64, tag: "LIni", depth: 600, tuner: .manual())
        #expect(deep.statistics.depth == 4 && deep.statistics.maximumDepth == 600)
    }

    @Test func countersFollowTheDepthRuleExactlyOnOneThread() throws {
        let counting = CountingAllocator()
        let list = try LookasideListEx(entrySize: 48, tag: "LCnt", allocator: counting.allocator, tuner: .manual())
        let entries = try (0..<10).map { _ in try list.allocate() }
        #expect(counting.allocations.load(ordering: .relaxed) == 10)
        for entry in entries { list.free(entry) }
        var statistics = list.statistics
        #expect(statistics.totalAllocates == 10 && statistics.allocateMisses == 10)
        #expect(statistics.totalFrees == 10 && statistics.freeMisses == 6)
        #expect(statistics.cachedEntries == 4)
        #expect(counting.frees.load(ordering: .relaxed) == 6)
        // Cached entries come back last-in first-out, with their old contents.
        entries[3].storeBytes(of: 0xFEED, as: UInt32.self)
        let again = try list.allocate()
        #expect(again == entries[3])
        #expect(again.load(as: UInt32.self) == 0xFEED)
        statistics = list.statistics
        #expect(statistics.totalAllocates == 11 && statistics.allocateMisses == 10)
        list.free(again)
    }

    @Test func flushAndDeleteFreeEveryCachedEntry() throws {
        let counting = CountingAllocator()
        var list: LookasideListEx? = try LookasideListEx(entrySize: 16, tag: "LFls", allocator: counting.allocator, tuner: .manual())
        let entries = try (0..<4).map { _ in try list!.allocate() }
        for entry in entries { list!.free(entry) }
        #expect(counting.frees.load(ordering: .relaxed) == 0)
        list!.flush()
        #expect(counting.frees.load(ordering: .relaxed) == 4)
        #expect(list!.statistics.cachedEntries == 0)
        let more = try (0..<3).map { _ in try list!.allocate() }
        for entry in more { list!.free(entry) }
        list = nil  // ExDeleteLookasideListEx
        #expect(counting.frees.load(ordering: .relaxed) == 7)
        #expect(counting.allocations.load(ordering: .relaxed) == 7)
    }

    @Test func poolBackedEntriesAreAccountedUnderTheListsTag() throws {
        let tag = PoolTag("LPol")
        do {
            let list = try LookasideListEx(entrySize: 100, poolType: .paged, tag: tag, tuner: .manual())
            let entries = try (0..<6).map { _ in try list.allocate() }
            for entry in entries { list.free(entry) }
            let usage = try #require(Pool.usage(of: tag))
            #expect(usage.pagedAllocations == 6 && usage.pagedFrees == 2 && usage.pagedBytes == 4 * 128)
        }
        let usage = try #require(Pool.usage(of: tag))
        #expect(usage.pagedFrees == 6 && usage.pagedBytes == 0)
    }

    @Test func failurePolicy() throws {
        let counting = CountingAllocator()
        counting.failing.store(true, ordering: .relaxed)
        let list = try LookasideListEx(entrySize: 16, tag: "LFai", allocator: counting.allocator, tuner: .manual())
        #expect(throws: NTStatus.insufficientResources) { try list.allocate() }
        #expect(list.statistics.allocateMisses == 1)
    }

    @Test func nonPagedListsWorkAtDispatchLevel() throws {
        let list = try LookasideListEx(entrySize: 16, tag: "LDsp", tuner: .manual())
        try Irql.withRaised(to: .dispatch) {
            let entry = try list.allocate()
            list.free(entry)
        }
    }

    @Test func withEntryLendsABufferOfTheEntrySize() throws {
        let list = try LookasideListEx(entrySize: 40, tag: "LWth", tuner: .manual())
        let count = list.withEntry { buffer in buffer.count }
        #expect(count == 40)
        #expect(list.statistics.totalFrees == 1)
    }

    // MARK: Depth tuning, with an injected clock.

    /// Drives `allocations` allocations with `misses` misses since the last scan: entries are
    /// freed right away, so every allocation after the first hits unless the cache is flushed.
    static func drive(_ list: LookasideListEx, allocations: Int, misses: Int) throws {
        for index in 0..<allocations {
            if index < misses { list.flush() }
            let entry = try list.allocate()
            list.free(entry)
        }
    }

    @Test func fewAllocationsLowerDepthByTen() throws {
        let tuner = LookasideTuner.manual()
        let list = try LookasideListEx(entrySize: 16, tag: "LTun", tuner: tuner)
        try Self.drive(list, allocations: 200, misses: 200)
        tuner.advance(by: .seconds(3))
        let raised = list.statistics.depth
        #expect(raised > 4)
        try Self.drive(list, allocations: 74, misses: 0)
        tuner.advance(by: .seconds(3))
        #expect(list.statistics.depth == max(4, raised - 10))
    }

    @Test func aLowMissRatioLowersDepthByOne() throws {
        let tuner = LookasideTuner.manual()
        let list = try LookasideListEx(entrySize: 16, tag: "LTun", tuner: tuner)
        try Self.drive(list, allocations: 1000, misses: 1000)  // R = 1000: depth 4 -> 4 + min(30, 1000*252/2000+5) = 34
        tuner.advance(by: .seconds(3))
        #expect(list.statistics.depth == 34)
        try Self.drive(list, allocations: 1000, misses: 4)  // R = 4 < 5
        tuner.advance(by: .seconds(3))
        #expect(list.statistics.depth == 33)
    }

    @Test func aHighMissRatioRaisesDepthByTheFormula() throws {
        let tuner = LookasideTuner.manual()
        let list = try LookasideListEx(entrySize: 16, tag: "LTun", depth: 1000, tuner: tuner)
        // R = 10 * 1000 / 1000 = 10: 4 + min(30, 10 * (1000 - 4) / 2000 + 5) = 4 + 9 = 13
        try Self.drive(list, allocations: 1000, misses: 10)
        tuner.advance(by: .seconds(3))
        #expect(list.statistics.depth == 13)
        #expect(list.statistics.lastTotalAllocates == 1000)
        // R = 100: 13 + min(30, 100 * 987 / 2000 + 5) = 13 + 30 = 43
        try Self.drive(list, allocations: 100, misses: 10)
        tuner.advance(by: .seconds(3))
        #expect(list.statistics.depth == 43)
    }

    @Test func eachListIsTunedEveryThreeSeconds() throws {
        let tuner = LookasideTuner.manual()
        let list = try LookasideListEx(entrySize: 16, tag: "LTun", tuner: tuner)
        try Self.drive(list, allocations: 500, misses: 500)
        tuner.advance(by: .seconds(2))
        #expect(list.statistics.depth == 4)
        tuner.advance(by: .seconds(1))
        #expect(list.statistics.depth > 4)
        let depth = list.statistics.depth
        tuner.advance(by: .seconds(2))
        #expect(list.statistics.depth == depth)
        tuner.advance(by: .seconds(1))  // nothing happened: A < 75
        #expect(list.statistics.depth == depth - 10)
    }

    @Test func depthNeverLeavesItsRange() throws {
        let tuner = LookasideTuner.manual()
        let list = try LookasideListEx(entrySize: 16, tag: "LTun", tuner: tuner)
        for _ in 0..<20 {
            try Self.drive(list, allocations: 300, misses: 300)
            tuner.advance(by: .seconds(3))
        }
        #expect(list.statistics.depth == 256)
        for _ in 0..<40 { tuner.advance(by: .seconds(3)) }
        #expect(list.statistics.depth == 4)
    }

    @Test func loweringDepthFreesNothingAtOnce() throws {
        let counting = CountingAllocator()
        let tuner = LookasideTuner.manual()
        let list = try LookasideListEx(entrySize: 16, tag: "LTun", allocator: counting.allocator, tuner: tuner)
        try Self.drive(list, allocations: 300, misses: 300)
        tuner.advance(by: .seconds(3))
        #expect(list.statistics.depth == 34)
        let entries = try (0..<30).map { _ in try list.allocate() }
        for entry in entries { list.free(entry) }
        let freesBefore = counting.frees.load(ordering: .relaxed)
        tuner.advance(by: .seconds(3))  // A = 30 < 75: Depth 34 -> 24
        #expect(list.statistics.depth == 24)
        #expect(list.statistics.cachedEntries == 30)
        #expect(counting.frees.load(ordering: .relaxed) == freesBefore)
    }

    // MARK: Threads

    @Test func manyThreadsOnOneListAddUpExactly() throws {
        let tag = PoolTag("LThr")
        let threads = 4, rounds = 50_000
        do {
            let list = try LookasideListEx(entrySize: 64, tag: tag, tuner: .manual())
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                var held: [UnsafeMutableRawPointer] = []
                for round in 0..<rounds {
                    held.append(try! list.allocate())
                    if held.count > (worker + 1) * 8 || round % 7 == 0 { list.free(held.removeLast()) }
                }
                for entry in held { list.free(entry) }
            }
            let statistics = list.statistics
            #expect(statistics.totalAllocates == UInt64(threads * rounds))
            #expect(statistics.totalFrees == UInt64(threads * rounds))
            let usage = try #require(Pool.usage(of: tag))
            // Every pool block is either cached by the list or was given back.
            #expect(usage.nonPagedAllocations == statistics.allocateMisses)
            #expect(usage.nonPagedFrees == statistics.freeMisses)
        }
        let usage = try #require(Pool.usage(of: tag))
        #expect(usage.nonPagedAllocations == usage.nonPagedFrees)
        #expect(usage.nonPagedBytes == 0)
    }

    @Test func producerAndConsumerOnDifferentThreads() throws {
        let tag = PoolTag("LPrC")
        do {
            let list = try LookasideListEx(entrySize: 128, tag: tag, depth: 512, tuner: .manual())
            let channel = KernelLock<[UInt]>([])
            let total = 100_000
            let done = Atomic<Int>(0)
            // The consumer uses the list's handle: capturing the list itself would let the
            // consumer's thread, while it winds down, hold the last reference (and delete it).
            let handle = list.handle
            let consumer = Thread {
                var consumed = 0
                while consumed < total {
                    let batch = channel.withLock { items in defer { items.removeAll(keepingCapacity: true) }; return items }
                    for address in batch { handle.free(UnsafeMutableRawPointer(bitPattern: address)!, routine: "ExFreeToLookasideListEx") }
                    consumed += batch.count
                }
                done.store(1, ordering: .releasing)
            }
            consumer.start()
            for _ in 0..<total {
                let entry = try list.allocate()
                channel.withLock { $0.append(UInt(bitPattern: entry)) }
            }
            while done.load(ordering: .acquiring) == 0 { usleep(1000) }
            let statistics = list.statistics
            #expect(statistics.totalAllocates == UInt64(total) && statistics.totalFrees == UInt64(total))
        }
        let usage = try #require(Pool.usage(of: tag))
        #expect(usage.nonPagedAllocations == usage.nonPagedFrees && usage.nonPagedBytes == 0)
    }

    @Test func exitingThreadsGiveTheirEntriesBack() throws {
        let counting = CountingAllocator()
        let list = try LookasideListEx(entrySize: 16, tag: "LExt", depth: 256, allocator: counting.allocator, tuner: .manual())
        let sendableList = list
        OtherThread.run {
            let entries = (0..<3).map { _ in try! sendableList.allocate() }
            for entry in entries { sendableList.free(entry) }
        }
        // The exited thread's three entries went to the depot: this thread reuses them.
        for _ in 0..<3 { list.free(try list.allocate()) }
        #expect(counting.allocations.load(ordering: .relaxed) == 3)
        #expect(list.statistics.totalAllocates == 6)
    }
}

extension LookasideTests {
    @Test func threadsExitingWithMoreThanTheDepotTakesFreeTheRest() throws {
        let tag = PoolTag("LSur")
        let counting = CountingAllocator()
        let pooled = try LookasideListEx(entrySize: 64, tag: tag, tuner: .manual())
        let custom = try LookasideListEx(entrySize: 64, tag: "LSuc", allocator: counting.allocator, tuner: .manual())
        for _ in 0..<3 {
            OtherThread.run {
                for list in [pooled, custom] {
                    let entries = (0..<16).map { _ in try! list.allocate() }
                    for entry in entries { list.free(entry) }
                }
            }
        }
        // Each exiting thread kept 4 (Depth); the depot takes 4 at most, the rest were freed.
        #expect(pooled.statistics.cachedEntries == 4)
        let usage = try #require(Pool.usage(of: tag))
        #expect(usage.nonPagedAllocations - usage.nonPagedFrees == 4)
        #expect(counting.allocations.load(ordering: .relaxed) - counting.frees.load(ordering: .relaxed) == 4)
    }
}

/// Lists in caller storage, as the C door uses them.
@Suite("Lookaside lists in caller storage")
struct LookasideStorageTests {
    static func initialize(flags: UInt32, poolType: UInt32, depth: Int, in storage: UnsafeMutableRawPointer) throws(NTStatus) {
        _ = try LookasideHandle.initialize(
            in: storage, entrySize: 32, poolType: poolType, flags: flags, tag: "LSto", depth: depth, allocator: nil,
            mirror: nil, routine: "ExInitializeLookasideListEx")
    }

    @Test func validationOrderIncludingFlags() throws {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: 96, alignment: 16)
        defer { storage.deallocate() }
        // Depth first, then Flags, then PoolType.
        #expect(throws: NTStatus.invalidParameter8) { try Self.initialize(flags: 7, poolType: 3, depth: 5, in: storage) }
        #expect(throws: NTStatus.invalidParameter5) { try Self.initialize(flags: 3, poolType: 3, depth: 0, in: storage) }
        #expect(throws: NTStatus.invalidParameter4) { try Self.initialize(flags: 2, poolType: 0x1000, depth: 0, in: storage) }
        #expect(throws: NTStatus.invalidParameter4) { try Self.initialize(flags: 1, poolType: 3, depth: 0, in: storage) }
        for flags: UInt32 in [0, 1, 2] {
            try Self.initialize(flags: flags, poolType: 512 | 0x200, depth: 1024, in: storage)
            let handle = LookasideHandle(resolving: storage, routine: "test")
            #expect(handle.statistics.maximumDepth == 1024)
            handle.delete(clearing: storage)
        }
    }

    @Test func legacyListsIgnoreDepth() {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 64)
        defer { storage.deallocate() }
        let handle = LookasideHandle.initializeLegacy(
            in: storage, entrySize: 2, poolType: .paged, tag: "LLeg", allocator: nil, mirror: nil,
            routine: "ExInitializePagedLookasideList")
        #expect(handle.statistics.depth == 4 && handle.statistics.maximumDepth == 256)
        let entry = LookasideHandle.allocate(from: storage, routine: "ExAllocateFromPagedLookasideList")
        #expect(entry != nil && Pool.blockInfo(entry!)?.requestedSize == 8)
        LookasideHandle.free(entry!, to: storage, routine: "ExFreeToPagedLookasideList")
        handle.delete(clearing: storage)
    }

    @Test func mirrorReceivesCountersAtInitializationAndFlush() throws {
        let seen = KernelLock<[LookasideStatistics]>([])
        let storage = UnsafeMutableRawPointer.allocate(byteCount: 96, alignment: 16)
        defer { storage.deallocate() }
        let handle = try LookasideHandle.initialize(
            in: storage, entrySize: 32, poolType: 0, flags: 0, tag: "LMir", depth: 0, allocator: nil,
            mirror: { statistics in seen.withLock { $0.append(statistics) } }, routine: "ExInitializeLookasideListEx")
        let entry = try #require(LookasideHandle.allocate(from: storage, routine: "test"))
        LookasideHandle.free(entry, to: storage, routine: "test")
        handle.flush()
        let last = try #require(seen.withLock { $0.last })
        #expect(seen.withLock { $0.count } == 2)
        #expect(last.totalAllocates == 1 && last.allocateMisses == 1 && last.totalFrees == 1 && last.depth == 4)
        handle.delete(clearing: storage)
    }
}

@Suite("Lookaside bug checks")
struct LookasideBugCheckTests {
    @Test func pagedListAboveApcLevel() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let list = try! LookasideListEx(entrySize: 16, poolType: .paged, tag: "LIrq", tuner: .manual())
            Irql.raise(to: .dispatch)
            _ = try? list.allocate()
        }
        expectStop(result, code: 0x0A, parameter1: 1)
        #expect(stopText(result).contains("ExAllocateFromLookasideListEx"))
    }

    @Test func uninitializedListInCallerStorage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let storage = UnsafeMutableRawPointer.allocate(byteCount: 96, alignment: 16)
            storage.initializeMemory(as: UInt8.self, repeating: 0x11, count: 96)
            _ = LookasideHandle.allocate(from: storage, routine: "ExAllocateFromLookasideListEx")
        }
        expectStop(result, code: 0xC4, parameter1: 0xF0)
    }

    @Test func deletedListInCallerStorage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let storage = UnsafeMutableRawPointer.allocate(byteCount: 96, alignment: 16)
            let handle = try! LookasideHandle.initialize(
                in: storage, entrySize: 32, poolType: 0, flags: 0, tag: "LDel", depth: 0, allocator: nil, mirror: nil,
                routine: "ExInitializeLookasideListEx")
            handle.delete(clearing: storage)
            LookasideHandle.free(storage, to: storage, routine: "ExFreeToLookasideListEx")
        }
        expectStop(result, code: 0xC4, parameter1: 0xF0)
    }

    @Test func nullEntryToAList() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let storage = UnsafeMutableRawPointer.allocate(byteCount: 96, alignment: 16)
            _ = try! LookasideHandle.initialize(
                in: storage, entrySize: 32, poolType: 0, flags: 0, tag: "LNul", depth: 0, allocator: nil, mirror: nil,
                routine: "ExInitializeLookasideListEx")
            LookasideHandle.free(nil, to: storage, routine: "ExFreeToLookasideListEx")
        }
        expectStop(result, code: 0xC2, parameter1: 0x99)
        #expect(stopText(result).contains("ExFreeToLookasideListEx: the entry is NULL"))
    }

    /// The entry is checked ahead of the list: a NULL entry to a NULL list is BAD_POOL_CALLER.
    @Test func nullEntryToNoList() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            LookasideHandle.free(nil, to: nil, routine: "ExFreeToLookasideListEx")
        }
        expectStop(result, code: 0xC2, parameter1: 0x99)
    }

    @Test func pagedListCreatedAtDispatchLevel() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Irql.raise(to: .dispatch)
            _ = try? LookasideListEx(entrySize: 16, poolType: .paged, tag: "LIrq", tuner: .manual())
        }
        expectStop(result, code: 0x0A, parameter1: 1)
    }

    @Test func raiseOnFailure() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let failing = LookasideAllocator(allocate: { _, _, _ in nil }, free: { _ in })
            let list = try! LookasideListEx(entrySize: 16, tag: "LRse", failurePolicy: .raise, allocator: failing, tuner: .manual())
            _ = try? list.allocate()
        }
        expectStop(result, code: 0x1E, parameter1: 0xC000_009A)
    }
}

extension LookasideTests {
    @Test func aFlushReachesAnotherThreadsCacheAtItsNextCall() throws {
        let counting = CountingAllocator()
        let list = try LookasideListEx(entrySize: 16, tag: "LFlo", depth: 256, allocator: counting.allocator, tuner: .manual())
        let filled = DispatchSemaphore(value: 0), flushed = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let thread = Thread {
            // Depth is 4: the four entries stay in this thread's cache.
            let entries = (0..<4).map { _ in try! list.allocate() }
            for entry in entries { list.free(entry) }
            filled.signal()
            flushed.wait()
            // This call catches up with the flush (the four are freed), then misses.
            list.free(try! list.allocate())
            done.signal()
        }
        thread.start()
        filled.wait()
        list.flush()
        #expect(counting.frees.load(ordering: .relaxed) == 0)
        flushed.signal()
        done.wait()
        #expect(counting.frees.load(ordering: .relaxed) == 4)
        #expect(counting.allocations.load(ordering: .relaxed) == 5)
        let statistics = list.statistics
        #expect(statistics.totalAllocates == 5 && statistics.allocateMisses == 5 && statistics.totalFrees == 5)
    }
}
