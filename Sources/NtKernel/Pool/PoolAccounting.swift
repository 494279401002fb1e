import Synchronization

/// Allocation, free and byte counters of one (tag, paged|non-paged) pair in one thread.
struct TagCounters: ~Copyable {
    let allocations = Atomic<UInt64>(0)
    let frees = Atomic<UInt64>(0)
    let bytes = Atomic<Int64>(0)
}

/// One thread's tag counters: only the owning thread writes them (a relaxed load and store, no
/// read-modify-write), readers sum every thread's with relaxed loads. Counts are therefore exact
/// once the threads are quiet, and close while they run, as on Windows.
struct ThreadAccounting: ~Copyable {
    static let chunkSize = 64
    static let chunkCount = TagRegistry.capacity / chunkSize

    /// Chunk addresses (0: not made yet). Kept as integers: ThreadSanitizer builds reject atomic
    /// optional pointers in this toolchain.
    let chunks: UnsafeMutablePointer<Atomic<UInt>>

    init() {
        chunks = .allocate(capacity: Self.chunkCount)
        for index in 0..<Self.chunkCount { (chunks + index).initialize(to: Atomic(0)) }
    }

    /// The counters of registry row `index` (non-mutating: other threads read this structure).
    @inline(__always)
    func counters(at index: Int) -> UnsafeMutablePointer<TagCounters> {
        let chunk = chunk(index / Self.chunkSize) ?? newChunk(index / Self.chunkSize)
        return chunk + index % Self.chunkSize
    }

    @inline(__always)
    func chunk(_ chunkIndex: Int) -> UnsafeMutablePointer<TagCounters>? {
        UnsafeMutablePointer(bitPattern: chunks[chunkIndex].load(ordering: .acquiring))
    }

    @inline(never)
    func newChunk(_ chunkIndex: Int) -> UnsafeMutablePointer<TagCounters> {
        let chunk = UnsafeMutablePointer<TagCounters>.allocate(capacity: Self.chunkSize)
        for index in 0..<Self.chunkSize { (chunk + index).initialize(to: TagCounters()) }
        chunks[chunkIndex].store(UInt(bitPattern: chunk), ordering: .releasing)
        return chunk
    }
}

extension UnsafeMutablePointer where Pointee == TagCounters {
    // This thread's own counters: single writer, so a load and a store, no atomic
    // read-modify-write. Each touches only the counters that change.

    @inline(__always)
    func recordAllocation(bytes: Int) {
        pointee.allocations.store(pointee.allocations.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        pointee.bytes.store(pointee.bytes.load(ordering: .relaxed) &+ Int64(bytes), ordering: .relaxed)
    }

    @inline(__always)
    func recordFree(bytes: Int) {
        pointee.frees.store(pointee.frees.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        pointee.bytes.store(pointee.bytes.load(ordering: .relaxed) &- Int64(bytes), ordering: .relaxed)
    }
}

/// Gives every (tag, paged) pair a small index, shared by all threads. Entries are added with a
/// compare-and-swap and never removed, so lookups take no lock.
enum TagRegistry {
    static let capacity = 16384

    struct Keys: @unchecked Sendable { let slots: UnsafeMutablePointer<Atomic<UInt64>> }
    static let keys: Keys = {
        let slots = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: capacity)
        for index in 0..<capacity { (slots + index).initialize(to: Atomic(0)) }
        return Keys(slots: slots)
    }()

    /// The key of a (tag, paged) pair: never zero.
    @inline(__always)
    static func key(tag: UInt32, paged: Bool) -> UInt64 {
        (1 << 40) | (paged ? 1 << 32 : 0) | UInt64(tag & ~PoolTag.protectedBit)
    }

    static func index(forKey key: UInt64) -> Int {
        var hash = (key &* 0x9E37_79B9_7F4A_7C15) >> 50
        let slots = keys.slots
        for _ in 0..<capacity - 1 {
            let slot = Int(hash) & (capacity - 2)  // the last slot is the overflow row
            let current = slots[slot].load(ordering: .acquiring)
            if current == key { return slot }
            if current == 0 {
                let (exchanged, original) = slots[slot].compareExchange(
                    expected: 0, desired: key, ordering: .acquiringAndReleasing)
                if exchanged || original == key { return slot }
            }
            hash &+= 1
        }
        return capacity - 1
    }

    static func key(at index: Int) -> UInt64 { keys.slots[index].load(ordering: .acquiring) }
}

/// What poolmon shows for one tag: counts and bytes in use, paged and non-paged.
public struct PoolTagUsage: Hashable, Sendable {
    /// The tag (protected bit cleared).
    public var tag: PoolTag
    /// Paged allocations so far (`PagedAllocs`).
    public var pagedAllocations: UInt64 = 0
    /// Paged frees so far (`PagedFrees`).
    public var pagedFrees: UInt64 = 0
    /// Paged bytes in use (`PagedUsed`).
    public var pagedBytes: Int = 0
    /// Non-paged allocations so far (`NonPagedAllocs`).
    public var nonPagedAllocations: UInt64 = 0
    /// Non-paged frees so far (`NonPagedFrees`).
    public var nonPagedFrees: UInt64 = 0
    /// Non-paged bytes in use (`NonPagedUsed`).
    public var nonPagedBytes: Int = 0

    /// A tag with nothing counted yet.
    public init(tag: PoolTag) { self.tag = tag }
}

/// Per-tag accounting: recording (per thread) and reading (summed over threads).
enum PoolAccounting {
    struct Totals { var allocations: UInt64 = 0; var frees: UInt64 = 0; var bytes: Int64 = 0 }
    /// Counters of threads that have exited, by registry index.
    private static let retired = KernelLock([Int: Totals]())

    /// This thread's counters for (tag, paged), through a one-entry cache of the last key.
    @inline(__always)
    static func counters(_ context: UnsafeMutablePointer<ThreadContext>, tag: UInt32, paged: Bool)
        -> UnsafeMutablePointer<TagCounters>
    {
        let key = TagRegistry.key(tag: tag, paged: paged)
        if context.pointee.lastTagKey == key, let counters = context.pointee.lastTagCounters { return counters }
        return lookUpCounters(context, key: key)
    }

    /// `counters(_:tag:paged:)` for another key than the last one: finds its registry row and
    /// makes it the last one.
    @inline(never)
    static func lookUpCounters(_ context: UnsafeMutablePointer<ThreadContext>, key: UInt64) -> UnsafeMutablePointer<TagCounters> {
        let index = TagRegistry.index(forKey: key)
        // Read the pointer first: a chained access through the non-copyable context miscompiles
        // under ThreadSanitizer (Swift 6.3.1).
        let accounting = context.pointee.accounting
        let counters = accounting.pointee.counters(at: index)
        context.pointee.lastTagKey = key
        context.pointee.lastTagCounters = counters
        return counters
    }

    @inline(__always)
    static func recordAllocation(_ context: UnsafeMutablePointer<ThreadContext>, tag: UInt32, paged: Bool, bytes: Int) {
        counters(context, tag: tag, paged: paged).recordAllocation(bytes: bytes)
    }

    @inline(__always)
    static func recordFree(_ context: UnsafeMutablePointer<ThreadContext>, tag: UInt32, paged: Bool, bytes: Int) {
        counters(context, tag: tag, paged: paged).recordFree(bytes: bytes)
    }

    /// Adds one thread's counters to `totals`, by registry index.
    static func accumulate(_ accounting: UnsafeMutablePointer<ThreadAccounting>, into totals: inout [Int: Totals]) {
        for chunkIndex in 0..<ThreadAccounting.chunkCount {
            guard let chunk = accounting.pointee.chunk(chunkIndex) else { continue }
            for offset in 0..<ThreadAccounting.chunkSize {
                let counters = chunk + offset
                let allocations = counters.pointee.allocations.load(ordering: .relaxed)
                let frees = counters.pointee.frees.load(ordering: .relaxed)
                guard allocations != 0 || frees != 0 else { continue }
                let index = chunkIndex * ThreadAccounting.chunkSize + offset
                totals[index, default: Totals()].allocations &+= allocations
                totals[index, default: Totals()].frees &+= frees
                totals[index, default: Totals()].bytes &+= counters.pointee.bytes.load(ordering: .relaxed)
            }
        }
    }

    /// Folds an exiting thread's counters into the retired totals and frees them. Called with the
    /// thread registry locked.
    static func retire(_ accounting: UnsafeMutablePointer<ThreadAccounting>) {
        retired.withLock { accumulate(accounting, into: &$0) }
        for chunkIndex in 0..<ThreadAccounting.chunkCount {
            guard let chunk = accounting.pointee.chunk(chunkIndex) else { continue }
            chunk.deinitialize(count: ThreadAccounting.chunkSize)
            chunk.deallocate()
        }
        accounting.pointee.chunks.deinitialize(count: ThreadAccounting.chunkCount)
        accounting.pointee.chunks.deallocate()
        accounting.deinitialize(count: 1)
        accounting.deallocate()
    }

    /// Every tag with any activity, sorted by tag value.
    static func snapshot() -> [PoolTagUsage] {
        // The retired totals are read inside the registry lock: a thread that exits retires its
        // counters under that lock, so it is counted exactly once, live or retired.
        var totals: [Int: Totals] = [:]
        ThreadRegistry.whileLocked { threads in
            totals = retired.withLock { $0 }
            for thread in threads { accumulate(thread.pointee.accounting, into: &totals) }
        }
        var byTag: [UInt32: PoolTagUsage] = [:]
        for (index, total) in totals {
            let key = TagRegistry.key(at: index)
            let tag = index == TagRegistry.capacity - 1 ? PoolTag("Ovfl").rawValue : UInt32(truncatingIfNeeded: key)
            var usage = byTag[tag] ?? PoolTagUsage(tag: PoolTag(rawValue: tag))
            if key & (1 << 32) != 0 {
                usage.pagedAllocations &+= total.allocations
                usage.pagedFrees &+= total.frees
                usage.pagedBytes &+= Int(total.bytes)
            } else {
                usage.nonPagedAllocations &+= total.allocations
                usage.nonPagedFrees &+= total.frees
                usage.nonPagedBytes &+= Int(total.bytes)
            }
            byTag[tag] = usage
        }
        return byTag.values.sorted { $0.tag.rawValue < $1.tag.rawValue }
    }
}
