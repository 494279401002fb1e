import Testing
@testable import NtKernel

/// Finding a block start multiplies by a per-page reciprocal instead of dividing.
@Suite("Pool block starts")
struct PoolBlockStartTests {
    @Test func theReciprocalGivesTheExactQuotientForEveryClassAndOffset() {
        for sizeClass in 0..<PoolSizeClass.smallCount {
            let blockSize = PoolSizeClass.blockSize(ofSmall: sizeClass)
            let reciprocal = Int(PoolSizeClass.reciprocal(ofSmall: sizeClass))
            for offset in 0..<PoolArena.pageSize where ((offset >> 4) * reciprocal) >> 16 != offset / blockSize {
                Issue.record("class \(sizeClass), offset \(offset)")
                return
            }
        }
    }

    /// Every 16-byte step inside a live block is not a block, even where a cache-aligned block
    /// that used the same memory before left its header (64 bytes into the block).
    @Test func onlyTheStartOfEachLiveBlockIsOne() throws {
        for sizeClass in 1..<PoolSizeClass.smallCount {
            let byteCount = PoolSizeClass.blockSize(ofSmall: sizeClass) - 16
            if PoolSizeClass.blockSize(ofSmall: sizeClass) % 64 == 0, byteCount > 48 {
                let aligned = try Pool.allocate(.nonPagedCacheAligned, byteCount: byteCount - 48, tag: "BlSt")
                #expect(Pool.blockStatus(aligned) == .allocated)
                Pool.free(aligned)
            }
            let block = try Pool.allocate(.nonPaged, byteCount: byteCount, tag: "BlSt")
            #expect(Pool.blockStatus(block) == .allocated)
            for offset in stride(from: 16, to: min(byteCount, 4096), by: 16) {
                #expect(Pool.blockStatus(block + offset) == .notABlock, "class \(sizeClass), offset \(offset)")
            }
            Pool.free(block)
            #expect(Pool.blockStatus(block) == .free)
        }
    }
}
