import Testing
import TestSupport
import NtKernel
import Foundation

@Suite("Pool")
struct PoolTests {
    @Test func tagBytesAreInMemoryOrder() {
        // The C literal 'dcba' is the 32-bit value 0x64636261: memory order "abcd".
        let tag = PoolTag(rawValue: 0x6463_6261)
        #expect(tag.name == "abcd")
        #expect(PoolTag("abcd") == tag)
        #expect(PoolTag("abcd").protected.rawValue == 0xE463_6261)
        #expect(PoolTag("ab").name == "ab  ")
        #expect(PoolTag("Ab c").isWellFormed)
        #expect(!PoolTag(rawValue: 0).isWellFormed)
        #expect(!PoolTag(rawValue: 0x0000_1F41).isWellFormed)
    }

    @Test("small blocks are 16-byte aligned and never cross a page", arguments: [1, 15, 16, 17, 100, 1000, 2000, 4000, 4080])
    func smallAlignment(size: Int) throws {
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<40 {
            let block = try Pool.allocate(.nonPaged, byteCount: size, tag: "TAln")
            #expect(Int(bitPattern: block) % 16 == 0)
            #expect(Int(bitPattern: block) / 4096 == (Int(bitPattern: block) + size - 1) / 4096)
            blocks.append(block)
        }
        for block in blocks { Pool.free(block, tag: "TAln") }
    }

    @Test("large blocks are page-aligned", arguments: [4081, 4096, 4097, 3 * 4096, 40_000, 1 << 20])
    func pageAlignment(size: Int) throws {
        let block = try Pool.allocate(.paged, byteCount: size, tag: "TPag")
        #expect(Int(bitPattern: block) % 4096 == 0)
        block.initializeMemory(as: UInt8.self, repeating: 0xAB, count: size)
        Pool.free(block, tag: "TPag")
    }

    @Test func cacheAlignedBlocks() throws {
        for size in [8, 100, 1000] {
            let block = try Pool.allocate(.nonPagedCacheAligned, byteCount: size, tag: "TCal")
            #expect(Int(bitPattern: block) % 64 == 0)
            Pool.free(block)
        }
    }

    @Test func accountingCountsWholeBlocksPerTagAndKind() throws {
        let tag = PoolTag("TAcc")
        let a = try Pool.allocate(.nonPaged, byteCount: 100, tag: tag)  // 100 + 16 -> 128
        let b = try Pool.allocate(.nonPagedNx, byteCount: 16, tag: tag)  // 32
        let c = try Pool.allocate(.paged, byteCount: 5000, tag: tag)  // 2 pages
        var usage = try #require(Pool.usage(of: tag))
        #expect(usage.nonPagedAllocations == 2)
        #expect(usage.nonPagedBytes == 160)
        #expect(usage.pagedAllocations == 1)
        #expect(usage.pagedBytes == 8192)
        Pool.free(a, tag: tag)
        Pool.free(b)
        Pool.free(c, tag: tag)
        usage = try #require(Pool.usage(of: tag))
        #expect(usage.nonPagedFrees == 2 && usage.pagedFrees == 1)
        #expect(usage.nonPagedBytes == 0 && usage.pagedBytes == 0)
    }

    @Test func protectedTagsShareTheAccountingRow() throws {
        let block = try Pool.allocate(.nonPaged, byteCount: 10, tag: PoolTag("TPrt").protected)
        #expect(Pool.blockInfo(block)?.tag == PoolTag("TPrt").protected)
        #expect(Pool.usage(of: "TPrt")?.nonPagedAllocations == 1)
        Pool.free(block, tag: "TPrt")  // the high bit is ignored when comparing
    }

    @Test func blockInfoDescribesTheBlock() throws {
        let block = try Pool.allocate(.paged, byteCount: 33, tag: "TInf")
        let info = try #require(Pool.blockInfo(block))
        #expect(info.requestedSize == 33 && info.blockSize == 64 && info.isPaged && info.chargedProcess == nil)
        Pool.free(block)
        #expect(Pool.blockInfo(block) == nil)
    }

    @Test func zeroingRules() throws {
        // A recycled block keeps old contents with ExAllocatePoolWithTag...
        let first = try Pool.allocate(.nonPaged, byteCount: 200, tag: "TZro")
        first.initializeMemory(as: UInt8.self, repeating: 0x5A, count: 200)
        Pool.free(first)
        let zeroedByModifier = try Pool.allocate(.nonPaged.union(.zeroAllocation), byteCount: 200, tag: "TZro")
        #expect(UnsafeRawBufferPointer(start: zeroedByModifier, count: 200).allSatisfy { $0 == 0 })
        zeroedByModifier.initializeMemory(as: UInt8.self, repeating: 0x5A, count: 200)
        Pool.free(zeroedByModifier)
        // ...ExAllocatePool2 zeroes unless told not to.
        let zeroed = try Pool.allocate(flags: .nonPaged, byteCount: 200, tag: "TZro")
        #expect(UnsafeRawBufferPointer(start: zeroed, count: 200).allSatisfy { $0 == 0 })
        zeroed.initializeMemory(as: UInt8.self, repeating: 0x5A, count: 200)
        Pool.free(zeroed)
        let uninitialized = try Pool.allocate(flags: [.nonPaged, .uninitialized], byteCount: 200, tag: "TZro")
        #expect(uninitialized.load(as: UInt8.self) == 0x5A)
        Pool.free(uninitialized)
    }

    @Test func allocatePool2ValidatesFlagsAndTag() {
        #expect(throws: NTStatus.invalidParameter) { try Pool.allocate(flags: [.paged, .nonPaged], byteCount: 8, tag: "TFlg") }
        #expect(throws: NTStatus.invalidParameter) { try Pool.allocate(flags: [], byteCount: 8, tag: "TFlg") }
        #expect(throws: NTStatus.invalidParameter) {
            try Pool.allocate(flags: PoolFlags(rawValue: 0x40 | 0x1000), byteCount: 8, tag: "TFlg")
        }
        #expect(throws: NTStatus.invalidParameter) { try Pool.allocate(flags: .paged, byteCount: 8, tag: PoolTag(rawValue: 0)) }
        // High 32 bits are hints: accepted.
        let block = try? Pool.allocate(flags: PoolFlags(rawValue: 0x40 | (1 << 40)), byteCount: 8, tag: "TFlg")
        #expect(block != nil)
        if let block { Pool.free(block) }
    }

    @Test func zeroBytesIsAVerifierMessageAndNull() {
        let before = VerifierLog.count
        #expect(throws: NTStatus.invalidParameter) { try Pool.allocate(.nonPaged, byteCount: 0, tag: "TZer") }
        #expect(throws: NTStatus.invalidParameter) { try Pool.allocate(flags: .paged, byteCount: 0, tag: "TZer") }
        #expect(VerifierLog.count >= before + 2)
    }

    @Test func impossibleSizesFailCleanly() {
        #expect(throws: NTStatus.insufficientResources) { try Pool.allocate(.nonPaged, byteCount: .max, tag: "THug") }
        #expect(throws: NTStatus.insufficientResources) { try Pool.allocate(flags: .paged, byteCount: 1 << 60, tag: "THug") }
    }

    @Test func nonPagedPoolWorksAtDispatchLevel() throws {
        let old = Irql.raise(to: .dispatch)
        defer { Irql.lower(to: old) }
        let block = try Pool.allocate(.nonPagedNx, byteCount: 64, tag: "TDsp")
        Pool.free(block, tag: "TDsp")
    }

    @Test func quotaIsChargedAndGivenBack() throws {
        let process = try EmulatedProcess.enter(imageName: "quota-test.exe", pagedQuotaLimit: 10_000, nonPagedQuotaLimit: 3000)
        defer { EmulatedProcess.enterSystem() }
        let paged = try Pool.allocateWithQuota(.paged, byteCount: 5000, tag: "TQta")  // 8192 > 10000? no: fits
        #expect(process.quota.pagedUsage == 8192)
        let small = try Pool.allocateWithQuota(.nonPaged, byteCount: 1000, tag: "TQta")  // 1024
        #expect(process.quota.nonPagedUsage == 1024)
        #expect(Pool.blockInfo(small)?.chargedProcess?.imageName == "quota-test.exe")
        // Over the limit, with the fail flag: nothing allocated, nothing charged.
        let before = Pool.usage(of: "TQta")
        #expect(throws: NTStatus.quotaExceeded) {
            try Pool.allocateWithQuota(.nonPaged.union(.quotaFailInsteadOfRaise), byteCount: 2500, tag: "TQta")
        }
        #expect(Pool.usage(of: "TQta") == before)
        #expect(process.quota.nonPagedUsage == 1024)
        // ExAllocatePool2 with USE_QUOTA charges too; without it nothing is charged.
        let pool2 = try Pool.allocate(flags: [.nonPaged, .useQuota], byteCount: 100, tag: "TQta")
        #expect(process.quota.nonPagedUsage == 1024 + 128)
        let free = try Pool.allocate(.nonPaged, byteCount: 100, tag: "TQta")
        #expect(process.quota.nonPagedUsage == 1024 + 128)
        // Freed from another thread running in System: the charge still goes back to the process.
        let addresses = [paged, small, pool2, free].map { UInt(bitPattern: $0) }
        OtherThread.run { for address in addresses { Pool.free(UnsafeMutableRawPointer(bitPattern: address)!) } }
        #expect(process.quota.pagedUsage == 0 && process.quota.nonPagedUsage == 0)
    }

    @Test func systemIsNeverCharged() throws {
        EmulatedProcess.enterSystem()
        let block = try Pool.allocateWithQuota(.nonPaged, byteCount: 100, tag: "TSys")
        #expect(Pool.blockInfo(block)?.chargedProcess == nil)
        #expect(EmulatedProcess.current == .system)
        Pool.free(block)
    }

    @Test func concurrentAllocationAndFreeAddUpExactly() throws {
        let tag = PoolTag("TCon")
        let threads = 4, rounds = 20_000
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            var held: [UnsafeMutableRawPointer] = []
            for round in 0..<rounds {
                let size = 16 + (round * 37 + worker * 11) % 3000
                held.append(try! Pool.allocate(round % 3 == 0 ? .paged : .nonPaged, byteCount: size, tag: tag))
                if held.count > 50 { Pool.free(held.removeFirst(), tag: tag) }
            }
            for block in held { Pool.free(block, tag: tag) }
        }
        let usage = try #require(Pool.usage(of: tag))
        #expect(usage.pagedAllocations + usage.nonPagedAllocations == UInt64(threads * rounds))
        #expect(usage.pagedFrees + usage.nonPagedFrees == UInt64(threads * rounds))
        #expect(usage.pagedBytes == 0 && usage.nonPagedBytes == 0)
    }

    /// Huge reservations keep a chosen distance from the pool's phase modulo the L1 way
    /// predictor's period, so their first lines and the pool's never share a predictor entry;
    /// they read as zeros until made writable.
    @Test func reservationsKeepTheirDistanceFromThePoolsPhase() throws {
        let block = try Pool.allocate(.nonPaged, byteCount: 16, tag: "TRes")
        defer { Pool.free(block, tag: "TRes") }
        let period = PoolArena.wayPredictorPeriod
        let base: UnsafeMutableRawPointer = try #require(PoolArena.base)
        let pool = Int(bitPattern: base)
        #expect((Int(bitPattern: PoolArena.pageMapAddress) &- pool) & (period - 1) == period / 2)
        for phase in [0, period / 4, period / 2 + 4096] {
            // Address space only (never made writable), left reserved.
            let reserved = try #require(PoolArena.reservation(bytes: 1 << 16, phase: phase))
            #expect((Int(bitPattern: reserved) &- pool) & (period - 1) == phase)
            #expect(UnsafeRawBufferPointer(start: reserved, count: 1 << 16).allSatisfy { $0 == 0 })
        }
    }

    /// Thousands of blocks of one size freed in a row overflow the thread's cache into the
    /// shared depot, across several of its segments; taken again (here or on another thread),
    /// every block comes back once, intact and distinct.
    @Test func manyBlocksGoThroughTheDepotAndComeBackOnce() throws {
        let tag = PoolTag("TDep")
        let count = 5000, size = 200
        var blocks: [UnsafeMutableRawPointer] = []
        for index in 0..<count {
            let block = try Pool.allocate(.nonPaged, byteCount: size, tag: tag)
            block.storeBytes(of: index, as: Int.self)
            blocks.append(block)
        }
        for (index, block) in blocks.enumerated() {
            #expect(block.load(as: Int.self) == index)
            Pool.free(block, tag: tag)
        }
        let freed = Set(blocks)
        let other = OtherThread.run {
            var again: [UInt] = []
            for _ in 0..<count { again.append(UInt(bitPattern: try! Pool.allocate(.nonPaged, byteCount: size, tag: tag))) }
            return again
        }.map { UnsafeMutableRawPointer(bitPattern: $0)! }
        let mine = try (0..<count).map { _ in try Pool.allocate(.nonPaged, byteCount: size, tag: tag) }
        let all = other + mine
        #expect(Set(all).count == all.count)
        #expect(Set(all).intersection(freed).count > count / 2)
        for block in all { Pool.free(block, tag: tag) }
        let usage = try #require(Pool.usage(of: tag))
        #expect(usage.nonPagedAllocations == UInt64(3 * count) && usage.nonPagedFrees == UInt64(3 * count))
        #expect(usage.nonPagedBytes == 0)
    }
}

@Suite("Pool bug checks")
struct PoolBugCheckTests {
    @Test func mustSucceedPool() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = try? Pool.allocate(.nonPagedMustSucceed, byteCount: 10, tag: "TMst")
        }
        expectStop(result, code: 0xC2, parameter1: 0x9A)
    }

    @Test func wrongTag() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let block = try! Pool.allocate(.nonPaged, byteCount: 10, tag: "TRgt")
            Pool.free(block, tag: "TWrg")
        }
        expectStop(result, code: 0xC2, parameter1: 0x0A)
    }

    @Test func protectedBlockFreedWithoutItsTag() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let block = try! Pool.allocate(.nonPaged, byteCount: 10, tag: PoolTag("TPro").protected)
            Pool.free(block)
        }
        expectStop(result, code: 0xC2, parameter1: 0x0A)
    }

    @Test func doubleFreeSmall() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let block = try! Pool.allocate(.nonPaged, byteCount: 10, tag: "TDbl")
            Pool.free(block)
            Pool.free(block)
        }
        expectStop(result, code: 0xC2, parameter1: 0x07)
    }

    @Test func doubleFreeLarge() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let block = try! Pool.allocate(.paged, byteCount: 10_000, tag: "TDbl")
            Pool.free(block)
            Pool.free(block)
        }
        expectStop(result, code: 0xC2, parameter1: 0x07)
    }

    @Test func freeingSomethingThatIsNotAPoolBlock() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let foreign = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
            Pool.free(foreign)
        }
        expectStop(result, code: 0xC2, parameter1: 0x99)
    }

    /// 64 bytes into an ordinary block, where a cache-aligned block that had the same memory
    /// kept its header, is not a block start either.
    @Test func freeingWhereAnEarlierCacheAlignedBufferStarted() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let aligned = try! Pool.allocate(.nonPagedCacheAligned, byteCount: 200, tag: "TAln")
            Pool.free(aligned)
            let block = try! Pool.allocate(.nonPaged, byteCount: 304, tag: "TAln")  // the same 320-byte block
            precondition(block == aligned - 48)
            Pool.free(block + 48)
        }
        expectStop(result, code: 0xC2, parameter1: 0x99)
    }

    @Test func freeingTheMiddleOfABlock() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let block = try! Pool.allocate(.nonPaged, byteCount: 256, tag: "TMid")
            Pool.free(block + 32)
        }
        expectStop(result, code: 0xC2, parameter1: 0x99)
    }

    @Test func pagedPoolAtDispatchLevel() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Irql.raise(to: .dispatch)
            _ = try? Pool.allocate(.paged, byteCount: 10, tag: "TIrq")
        }
        expectStop(result, code: 0xC2, parameter1: 0x08)
    }

    /// The same with a block of the size waiting in the thread's cache (the inline path's case).
    @Test func pagedPoolAtDispatchLevelFromAWarmCache() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Pool.free(try! Pool.allocate(.paged, byteCount: 10, tag: "TIrq"))
            Irql.raise(to: .dispatch)
            _ = try? Pool.allocate(.paged, byteCount: 10, tag: "TIrq")
        }
        expectStop(result, code: 0xC2, parameter1: 0x08)
    }

    @Test func freeingPagedPoolAtDispatchLevel() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let block = try! Pool.allocate(.paged, byteCount: 10, tag: "TIrq")
            Irql.raise(to: .dispatch)
            Pool.free(block)
        }
        expectStop(result, code: 0xC2, parameter1: 0x09)
    }

    @Test func quotaExceededRaises() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = try! EmulatedProcess.enter(imageName: "small.exe", pagedQuotaLimit: 100, nonPagedQuotaLimit: 100)
            _ = try? Pool.allocateWithQuota(.nonPaged, byteCount: 1000, tag: "TQtr")
        }
        expectStop(result, code: 0x1E, parameter1: 0xC000_0044)
    }

    @Test func allocationFailureRaisesWhenAsked() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = try? Pool.allocate(.nonPaged.union(.raiseIfAllocationFailure), byteCount: .max, tag: "TRse")
        }
        expectStop(result, code: 0x1E, parameter1: 0xC000_009A)
    }
}
