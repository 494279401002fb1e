import Testing
import TestSupport
import NtKernel

/// The Swift API of the pool and lookaside lists: owners, spans, copies, statuses that name
/// their parameter.
@Suite("Swift buffers")
struct SwiftBufferTests {
    @Test func poolBlockIsFreedWhenItsOwnerEnds() throws {
        let tag: PoolTag = "SbPb"
        do {
            let block = try PoolBlock(.nonPagedNx, byteCount: 100, tag: tag)
            #expect(block.byteCount == 100)
            #expect(Pool.usage(of: tag)?.nonPagedAllocations == 1)
            try block.copy(from: [1, 2, 3])
            try block.copy(from: [9, 9][...], toOffset: 98)
            #expect(try block.copyBytes(in: 0..<3) == [1, 2, 3])
            #expect(try block.copyBytes(in: 98..<100) == [9, 9])
            try block.store(UInt32(0xDEAD_BEEF), atByteOffset: 5)
            #expect(try block.load(UInt32.self, fromByteOffset: 5) == 0xDEAD_BEEF)
            block.withMutableBytes { bytes in bytes.storeBytes(of: 7, toByteOffset: 0, as: UInt8.self) }
            #expect(block.withBytes { $0.byteCount } == 100)
            #expect(try block.load(UInt8.self) == 7)
        }
        #expect(Pool.usage(of: tag)?.nonPagedBytes == 0)
        let early = try PoolBlock(byteCount: 8, tag: tag)
        early.free()
        #expect(Pool.usage(of: tag)?.nonPagedFrees == 2)
    }

    @Test func rangeErrorsAreStatusesThatSayWhy() throws {
        let block = try PoolBlock(byteCount: 4, tag: "SbRg")
        let tooLong = #expect(throws: NTStatus.invalidBufferSize) { try block.copy(from: [1, 2, 3, 4, 5]) }
        #expect(tooLong?.detail?.contains("source does not fit") == true)
        #expect(throws: NTStatus.invalidBufferSize) { try block.copy(from: [1], toOffset: -1) }
        #expect(throws: NTStatus.invalidBufferSize) { try block.copy(from: [1], toOffset: Int.max) }
        #expect(throws: NTStatus.bufferTooSmall) { try block.load(UInt64.self) }
        #expect(throws: NTStatus.bufferTooSmall) { try block.copyBytes(in: 2..<5) }
        #expect(throws: NTStatus.invalidBufferSize) { try block.store(UInt64(1), atByteOffset: 0) }
    }

    @Test func zeroBytesIsAStatusNotAStop() {
        let error = #expect(throws: NTStatus.invalidParameter) {
            try Pool.withAllocation(byteCount: 0, tag: "SbZr") { _ in Issue.record("the body ran") }
        }
        #expect(error?.detail == "byteCount must be at least 1")
        #expect(error?.description == "STATUS_INVALID_PARAMETER (0xC000000D): byteCount must be at least 1")
        #expect(throws: NTStatus.invalidParameter) { _ = try PoolBlock(byteCount: -5, tag: "SbZr") }
        let sum = try? Pool.withAllocation(byteCount: 16, tag: "SbZr") { (block) throws(NTStatus) -> Int in
            try block.copy(from: [1, 2, 3])
            return try block.copyBytes(in: 0..<3).reduce(0) { $0 + Int($1) }
        }
        #expect(sum == 6)
        #expect(Pool.usage(of: "SbZr")?.nonPagedBytes == 0)
    }

    @Test func tagsAreCheckedNotTruncated() {
        #expect(PoolTag(exactly: "TooLongTag") == nil)
        #expect(PoolTag(exactly: "") == nil)
        #expect(PoolTag(exactly: "Ab\u{1}") == nil)
        #expect(PoolTag(exactly: "Tst*") == PoolTag(rawValue: 0x2A74_7354))
        let literal: PoolTag = "TooLongTag"
        #expect(!literal.isValid && literal == .invalid)
        let error = #expect(throws: NTStatus.invalidParameter) { _ = try PoolBlock(byteCount: 8, tag: "TooLongTag") }
        #expect(error?.detail == "tag must be 1-4 printable ASCII characters")
        #expect(throws: NTStatus.invalidParameter) { _ = try LookasideList(entrySize: 8, tag: "TooLongTag") }
    }

    @Test func lookasideEntriesGoBackWhenTheirOwnersEnd() throws {
        let list = try LookasideList(entrySize: 64, tag: "SbLk")
        do {
            let first = try list.allocate()
            let second = try list.allocate()
            #expect(first.byteCount == 64)
            try first.copy(from: Array(repeating: 0xAB, count: 64))
            #expect(try first.load(UInt16.self, fromByteOffset: 62) == 0xABAB)
            second.free()
        }
        let statistics = list.statistics
        #expect(statistics.totalAllocates == 2 && statistics.totalFrees == 2)
        let length = try list.withEntry { (entry) throws(NTStatus) -> Int in entry.byteCount }
        #expect(length == 64)
        #expect((0...1).contains(list.statistics.hitRate))
        #expect(list.statistics.hitRate == 1.0 / 3.0)
    }

    @Test func lookasideParametersAreNamedInErrors() {
        let depth = #expect(throws: NTStatus.invalidParameter) { _ = try LookasideList(entrySize: 8, tag: "SbLp", depth: 5) }
        #expect(depth?.detail == "depth must be 0 or 256...1024")
        #expect(depth?.description.hasSuffix("depth must be 0 or 256...1024") == true)
        let size = #expect(throws: NTStatus.invalidParameter) { _ = try LookasideList(entrySize: 0, tag: "SbLp") }
        #expect(size?.detail == "entrySize must be 1...4294967295")
        let pool = #expect(throws: NTStatus.invalidParameter) {
            try LookasideList(entrySize: 8, poolType: PoolType(rawValue: 0x1000), tag: "SbLp")
        }
        #expect(pool?.detail == "poolType must be a paged or non-paged pool type")
    }

    @Test func entriesMoveBetweenTasks() async throws {
        let list = try LookasideList(entrySize: 32, tag: "SbTk")
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<4 {
                group.addTask {
                    var sum = 0
                    for round in 0..<100 {
                        let entry = try list.allocate()
                        try entry.store(UInt32(task * 1000 + round))
                        sum += Int(try entry.load(UInt32.self))
                    }
                    return sum
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(total == (0..<4).reduce(0) { $0 + $1 * 100_000 } + 4 * 4950)
        #expect(list.statistics.totalAllocates == list.statistics.totalFrees)
    }

    /// Misuse from Swift gets statuses where the C routine returns one: the child process
    /// survives every call below and exits normally.
    @Test func misuseGetsStatusesNotStops() async {
        await #expect(processExitsWith: .success) {
            _ = try? Pool.withAllocation(byteCount: 0, tag: "SbMu") { _ in }
            _ = try? PoolBlock(byteCount: 0, tag: "SbMu")
            _ = try? PoolBlock(byteCount: 8, tag: "TooLongTag")
            _ = try? PoolBlock(.nonPaged.union(.raiseIfAllocationFailure), byteCount: Int.max, tag: "SbMu")
            _ = try? LookasideList(entrySize: 8, tag: "SbMu", depth: 5)
            _ = try? LookasideList(entrySize: -1, tag: "SbMu")
            if let list = try? LookasideList(entrySize: 8, tag: "SbMu"), let entry = try? list.allocate() {
                _ = try? entry.copy(from: Array(repeating: 1, count: 9))
                _ = try? entry.load(UInt64.self, fromByteOffset: 1)
            }
        }
    }
}
