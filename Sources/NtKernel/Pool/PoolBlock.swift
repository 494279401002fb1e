/// The 16-byte header in front of every small pool block (Windows' POOL_HEADER is 16 bytes too).
///
/// Large blocks (a page or more) are page-aligned and keep the same facts in their page-map entry
/// instead.
struct PoolBlockHeader {
    /// The tag as given, protected bit included.
    var tag: UInt32
    /// The size the caller asked for.
    var requestedSize: UInt32
    /// `PoolBlockHeader.paged`, `.quotaCharged`.
    var typeBits: UInt16
    /// The emulated process charged for this block (0: none).
    var processIndex: UInt16
    /// `BlockState`.
    var state: UInt8
    var sizeClass: UInt8
    /// Bytes from the block's start to the caller's buffer: 16, or 64 for cache-aligned blocks.
    var leadingPad: UInt8
    var reserved: UInt8

    static let size = 16
    static let paged: UInt16 = 0x1
    static let quotaCharged: UInt16 = 0x2

    /// Writes the header's 16 bytes at `address` as two little-endian words in field order: two
    /// stores instead of one per field.
    @inline(__always)
    func write(to address: UnsafeMutableRawPointer) {
        address.storeBytes(of: UInt64(tag) | UInt64(requestedSize) << 32, as: UInt64.self)
        address.storeBytes(
            of: UInt64(typeBits) | UInt64(processIndex) << 16 | UInt64(state) << 32 | UInt64(sizeClass) << 40
                | UInt64(leadingPad) << 48 | UInt64(reserved) << 56,
            toByteOffset: 8, as: UInt64.self)
    }
}

/// Whether a block is handed out.
enum BlockState {
    static let allocated: UInt8 = 0xA1
    static let free: UInt8 = 0xF7
}

/// Size classes: small blocks are 16..4096 bytes in 16-byte steps (header and rounding
/// included); large blocks are whole pages.
enum PoolSizeClass {
    static let smallCount = 256
    static let granularity = 16
    /// Large blocks of up to this many pages are cached per thread.
    static let cachedLargePages = 8
    /// Bins per thread: every small class, then large blocks of 1...cachedLargePages pages.
    static let binCount = smallCount + cachedLargePages

    @inline(__always)
    static func blockSize(ofSmall index: Int) -> Int { (index + 1) * granularity }

    /// 2^16 divided by a small class's block size in 16-byte units, rounded up. For a page
    /// offset o, `((o >> 4) * reciprocal) >> 16` is `o / blockSize` exactly: o >> 4 is below
    /// 256 and the units are at most 256, so the rounding error (under (o >> 4) / 2^16 < 1/256)
    /// never carries into the integer part.
    static func reciprocal(ofSmall index: Int) -> UInt32 {
        let units = index + 1
        return UInt32((65536 + units - 1) / units)
    }

    /// The small class for a block of `blockSize` bytes (a multiple of 16, at most a page).
    @inline(__always)
    static func smallIndex(forBlockSize blockSize: Int) -> Int { blockSize / granularity - 1 }

    /// The bin that caches large blocks of `pages` pages, if they are cached.
    @inline(__always)
    static func largeBin(pages: Int) -> Int? { pages <= cachedLargePages ? smallCount + pages - 1 : nil }

    /// How many free blocks a thread keeps per bin before moving half to the shared depot.
    static func threadCapacity(bin: Int) -> Int {
        // Large blocks: 256 KiB of one-page blocks (a batch crossing the depot moves 32 per lock
        // hold), less of the larger ones: 1.6 MiB in all (16 of each size was 2.3 MiB, and two
        // threads freeing page-size batches queued on the depot's lock every 8 blocks).
        if bin >= smallCount { return max(8, 64 >> min(3, bin - smallCount)) }
        let size = blockSize(ofSmall: bin)
        return size <= 512 ? 128 : (size <= 2048 ? 64 : 32)
    }
}
