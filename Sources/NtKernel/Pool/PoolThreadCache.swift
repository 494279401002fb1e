#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One thread's free blocks of one size class (or large page count): a small LIFO stack.
struct PoolBin {
    var count = 0
    var capacity = 0
    var entries: UnsafeMutablePointer<UnsafeMutableRawPointer>? = nil
}

/// A thread's pool caches: one bin per size class, in front of the shared depots. Only the owning
/// thread touches them (thread exit hands them back under the thread registry lock).
struct PoolThreadCache: ~Copyable {
    let bins: UnsafeMutablePointer<PoolBin>

    init() {
        bins = .allocate(capacity: PoolSizeClass.binCount)
        bins.initialize(repeating: PoolBin(), count: PoolSizeClass.binCount)
    }

    static func create(for context: UnsafeMutablePointer<ThreadContext>) -> UnsafeMutablePointer<PoolThreadCache> {
        let cache = UnsafeMutablePointer<PoolThreadCache>.allocate(capacity: 1)
        cache.initialize(to: PoolThreadCache())
        context.pointee.poolCache = cache
        return cache
    }

    /// Gives every cached block back to its depot and frees the cache.
    static func release(_ cache: UnsafeMutablePointer<PoolThreadCache>) {
        for index in 0..<PoolSizeClass.binCount {
            let bin = cache.pointee.bins + index
            guard let entries = bin.pointee.entries else { continue }
            if bin.pointee.count > 0 { PoolDepots.table.depots[index].put(entries, count: bin.pointee.count) }
            entries.deallocate()
        }
        cache.pointee.bins.deallocate()
        cache.deinitialize(count: 1)
        cache.deallocate()
    }
}

extension UnsafeMutablePointer where Pointee == PoolBin {
    /// Makes room for the bin's entries on first use.
    @inline(never)
    func prepare(bin index: Int) -> UnsafeMutablePointer<UnsafeMutableRawPointer> {
        let capacity = PoolSizeClass.threadCapacity(bin: index)
        let entries = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: capacity)
        pointee.entries = entries
        pointee.capacity = capacity
        return entries
    }

    /// Takes half a bin's worth from the depot; returns how many arrived.
    @inline(never)
    func refill(bin index: Int) -> Int {
        let entries = pointee.entries ?? prepare(bin: index)
        let moved = PoolDepots.table.depots[index].take(into: entries, count: pointee.capacity / 2)
        pointee.count = moved
        return moved
    }

    /// Moves the older half of a full bin to the depot.
    @inline(never)
    func spill(bin index: Int) {
        guard let entries = pointee.entries else { return }
        let half = pointee.count / 2
        PoolDepots.table.depots[index].put(entries, count: half)
        memmove(entries, entries + half, (pointee.count - half) * MemoryLayout<UnsafeMutableRawPointer>.stride)
        pointee.count -= half
    }
}
