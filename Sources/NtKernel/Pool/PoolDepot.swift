import Synchronization

/// The shared store of free blocks of one bin, behind a lock. Threads move blocks to and from it
/// in batches (half a thread cache at a time), so the lock is taken once per batch, not per block.
struct PoolDepot: ~Copyable {
    struct Stack: @unchecked Sendable {
        var entries: UnsafeMutablePointer<UnsafeMutableRawPointer> = .allocate(capacity: 64)
        var count = 0
        var capacity = 64

        mutating func reserve(_ extra: Int) {
            guard count + extra > capacity else { return }
            var newCapacity = capacity * 2
            while newCapacity < count + extra { newCapacity *= 2 }
            let newEntries = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: newCapacity)
            newEntries.moveInitialize(from: entries, count: count)
            entries.deallocate()
            entries = newEntries
            capacity = newCapacity
        }
    }

    let stack = KernelLock(Stack())

    /// Moves `count` blocks from `source` into the depot.
    func put(_ source: UnsafeMutablePointer<UnsafeMutableRawPointer>, count: Int) {
        stack.withLock { stack in
            stack.reserve(count)
            (stack.entries + stack.count).initialize(from: source, count: count)
            stack.count += count
        }
    }

    /// Moves up to `count` blocks into `destination`; returns how many moved.
    func take(into destination: UnsafeMutablePointer<UnsafeMutableRawPointer>, count: Int) -> Int {
        stack.withLock { stack in
            let moved = min(count, stack.count)
            stack.count -= moved
            destination.initialize(from: stack.entries + stack.count, count: moved)
            return moved
        }
    }
}

/// One depot per bin, shared by all threads.
enum PoolDepots {
    struct Table: @unchecked Sendable { let depots: UnsafeMutablePointer<PoolDepot> }
    static let table: Table = {
        let depots = UnsafeMutablePointer<PoolDepot>.allocate(capacity: PoolSizeClass.binCount)
        for index in 0..<PoolSizeClass.binCount { (depots + index).initialize(to: PoolDepot()) }
        return Table(depots: depots)
    }()
}
