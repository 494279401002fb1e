import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The pool's address space: one reserved region, handed out in pages, with a page map that says
/// what every page holds.
///
/// Because every pool block lies in this region, a free of an address the pool never handed out
/// is recognized by a range check and a page-map lookup (bug check, not a crash), and block
/// headers of freed blocks stay readable (double frees are caught). Pages are committed in
/// chunks as the region grows; spans are reused by exact page count.
package enum PoolArena {
    static let pageSize = 4096
    static let pageShift = 12
    /// The address space the page map covers (not memory): 256 GiB. The region itself is this
    /// size when the system grants it, and smaller where it does not (`ulimit -v`, valgrind):
    /// `Region.bytes` is what was reserved. An address past the region but inside this span reads
    /// a zero (`unused`) page-map entry, so it is still recognized as not the pool's.
    static let reservedBytes = 256 << 30
    /// The region sizes tried in turn when the system refuses the whole span.
    static let fallbackRegionBytes = [64 << 30, 16 << 30, 4 << 30, 1 << 30]
    static let commitChunk = 4 << 20

    /// What a page holds.
    enum PageKind: UInt8 {
        case unused = 0
        /// Carved into small blocks of one size class.
        case small = 1
        /// The first page of a large (page-aligned) block.
        case largeHead = 2
        /// A later page of a large block.
        case largeTail = 3
    }

    /// One page-map entry (16 bytes).
    struct PageEntry {
        var kind: UInt8
        /// For a large head: allocated (`BlockState.allocated`) or free.
        var state: UInt8
        /// For a small page: the size class index.
        var sizeClass: UInt16
        /// For a large head: the number of pages. For a small page: `PoolSizeClass.reciprocal`
        /// of its class, so finding a block start needs no division.
        var pages: UInt32
        /// For a large head: the tag, pool type bits and quota process.
        var tag: UInt32
        var typeBits: UInt16
        var processIndex: UInt16
    }

    struct Region: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let pageMap: UnsafeMutablePointer<PageEntry>
        /// The bytes reserved at `base` (at most `reservedBytes`).
        let bytes: Int
    }

    /// The region's base and page map, published when the region is made (constant-initialized
    /// globals: reading them needs no lazy-initialization check). Nil before the first block.
    /// Written once, so never under a conflicting access: `@exclusivity(unchecked)` keeps the
    /// compiler from checking every read at run time (a `package` variable's accesses cannot all
    /// be seen in this module, and each check was a runtime call on every `ExFreePool`).
    @exclusivity(unchecked) package nonisolated(unsafe) static var base: UnsafeMutableRawPointer? = nil
    nonisolated(unsafe) static var pageMap: UnsafeMutablePointer<PageEntry>? = nil

    /// The bytes of address space the region holds (256 GiB, or a fallback size where the system
    /// refuses that much). Reserves the region if it is not yet.
    package static var regionBytes: Int { region.bytes }

    /// The page map's address (for the placement test).
    package static var pageMapAddress: UnsafeRawPointer { UnsafeRawPointer(region.pageMap) }

    /// The span of address bits (12 to 27) that the L1 data cache's way predictor hashes on AMD
    /// Zen: two lines of one set whose addresses differ only above bit 27 evict each other on
    /// every access. Large reservations are often placed next to each other, a multiple of this
    /// apart, so the first lines of each would collide; the runtime's other hot tables start at
    /// a chosen distance from the pool's phase instead (see `reservation(bytes:phase:)`).
    package static var wayPredictorPeriod: Int { 1 << 28 }

    /// Reserves `bytes` of address space starting `phase` bytes past the pool's own start modulo
    /// `wayPredictorPeriod`, or nil when the system refuses. The reservation reads as zeros and
    /// commits no memory (a read-only private mapping is not charged, even with strict
    /// overcommit); the caller makes parts of it writable as it needs them.
    package static func reservation(bytes: Int, phase: Int) -> UnsafeMutableRawPointer? {
        guard let mapping = mmap(nil, bytes + wayPredictorPeriod, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
            mapping != MAP_FAILED
        else { return nil }
        return placed(mapping, phase: phase, pastThePhaseOf: region.base)
    }

    /// The first address in `mapping` (reserved with `wayPredictorPeriod` bytes to spare) that is
    /// `phase` bytes past `base` modulo the period.
    private static func placed(
        _ mapping: UnsafeMutableRawPointer, phase: Int, pastThePhaseOf base: UnsafeMutableRawPointer
    ) -> UnsafeMutableRawPointer {
        let period = wayPredictorPeriod
        let wanted = (Int(bitPattern: base) &+ phase) & (period - 1)
        return mapping + ((wanted &- Int(bitPattern: mapping)) & (period - 1))
    }

    static let region: Region = {
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE
        var base: UnsafeMutableRawPointer? = nil
        var bytes = 0
        for size in [reservedBytes] + fallbackRegionBytes {
            if let mapping = mmap(nil, size, PROT_NONE, flags, -1, 0), mapping != MAP_FAILED {
                (base, bytes) = (mapping, size)
                break
            }
        }
        let mapBytes = (reservedBytes >> pageShift) * MemoryLayout<PageEntry>.stride
        // The page map starts half a way-predictor period past the region's phase, so the
        // entry of the region's first pages and those pages' first blocks never collide. It is
        // readable from the start (zeros: every page `unused`; a read-only private mapping is
        // not charged), so a lookup of an address the pool never committed reads "not ours".
        let mapped = mmap(nil, mapBytes + wayPredictorPeriod, PROT_READ, flags, -1, 0)
        let map = mapped.flatMap { mapped -> UnsafeMutableRawPointer? in
            guard mapped != MAP_FAILED, let base else { return nil }
            return placed(mapped, phase: wayPredictorPeriod / 2, pastThePhaseOf: base)
        }
        guard let base, let map else {
            BugCheck.raise(.badPoolCaller, 0, 0, 0, 0, "pool initialization: cannot reserve the pool's address space")
        }
        let region = Region(
            base: base, pageMap: map.bindMemory(to: PageEntry.self, capacity: reservedBytes >> pageShift), bytes: bytes)
        PoolArena.base = region.base
        PoolArena.pageMap = region.pageMap
        return region
    }()

    struct SpanState {
        /// Bytes handed out from the start of the region.
        var used = 0
        /// Bytes made readable and writable.
        var committed = 0
        /// Freed spans by page count (index = pages, for spans up to `exactLimit` pages).
        var free: [[UnsafeMutableRawPointer]] = Array(repeating: [], count: SpanState.exactLimit + 1)
        /// Freed spans above `exactLimit` pages, keyed by page count.
        var freeLarge: [Int: [UnsafeMutableRawPointer]] = [:]
        static let exactLimit = 256
    }

    private struct Spans: @unchecked Sendable { var state = SpanState() }
    private static let spans = KernelLock(Spans())

    /// The page-map entry of the page that holds `address`, or nil when `address` is outside the
    /// pool.
    @inline(__always)
    static func entry(for address: UnsafeRawPointer) -> UnsafeMutablePointer<PageEntry>? {
        guard let base, let pageMap else { return nil }
        let offset = address - UnsafeRawPointer(base)
        guard offset >= 0, offset < reservedBytes else { return nil }
        return pageMap + (offset >> pageShift)
    }

    /// Takes `pages` contiguous pages, or nil when the region (or the machine) is exhausted.
    static func allocateSpan(pages: Int) -> UnsafeMutableRawPointer? {
        guard pages > 0, pages <= region.bytes >> pageShift else { return nil }
        return spans.withLock { spans -> UnsafeMutableRawPointer? in
            if pages <= SpanState.exactLimit {
                if let span = spans.state.free[pages].popLast() { return span }
            } else if let span = spans.state.freeLarge[pages]?.popLast() {
                return span
            }
            let bytes = pages << pageShift
            let region = region
            guard spans.state.used + bytes <= region.bytes else { return nil }
            let start = spans.state.used
            let end = start + bytes
            if end > spans.state.committed {
                let newCommitted = min(region.bytes, (end + commitChunk - 1) / commitChunk * commitChunk)
                let dataOK = mprotect(
                    region.base + spans.state.committed, newCommitted - spans.state.committed,
                    PROT_READ | PROT_WRITE) == 0
                let stride = MemoryLayout<PageEntry>.stride
                let mapStart = (spans.state.committed >> pageShift) * stride
                let mapEnd = (newCommitted >> pageShift) * stride
                let pageBase = mapStart / pageSize * pageSize
                let mapOK = mprotect(
                    UnsafeMutableRawPointer(region.pageMap) + pageBase, (mapEnd - pageBase + pageSize - 1) / pageSize * pageSize,
                    PROT_READ | PROT_WRITE) == 0
                guard dataOK, mapOK else { return nil }
                spans.state.committed = newCommitted
            }
            spans.state.used = end
            return region.base + start
        }
    }

    /// Gives a span back for reuse. Spans of 64 pages or more give their memory back to the
    /// system at once (the address range stays reserved for the pool).
    static func freeSpan(_ span: UnsafeMutableRawPointer, pages: Int) {
        if pages >= 64 { madvise(span, pages << pageShift, MADV_DONTNEED) }
        spans.withLock { spans in
            if pages <= SpanState.exactLimit {
                spans.state.free[pages].append(span)
            } else {
                spans.state.freeLarge[pages, default: []].append(span)
            }
        }
    }
}
