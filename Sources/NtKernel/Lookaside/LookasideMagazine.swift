/// One thread's cache of free entries for one lookaside list, and that thread's counters for it.
///
/// Only the owning thread touches `count` and `entries`; the counters are written by the owner
/// alone (a relaxed load and store, no read-modify-write) and read by the tuner and by
/// statistics. A magazine is created the first time a thread uses a list and given back when
/// the thread exits or the list is deleted.
struct LookasideMagazine: ~Copyable {
    /// How many entries a thread keeps per list at most, on top of the shared depot.
    static let capacity = 32

    var count = 0
    let entries: UnsafeMutablePointer<UnsafeMutableRawPointer>
    /// The list's flush epoch this magazine has caught up with.
    var epoch: UInt64
    let counters = LookasideCounters()
    let core: UnsafeMutablePointer<LookasideCore>
    let owner: UnsafeMutablePointer<ThreadContext>
    /// The next magazine of the same thread.
    var nextInThread: UnsafeMutablePointer<LookasideMagazine>? = nil

    init(core: UnsafeMutablePointer<LookasideCore>, owner: UnsafeMutablePointer<ThreadContext>, epoch: UInt64) {
        entries = .allocate(capacity: Self.capacity)
        self.core = core
        self.owner = owner
        self.epoch = epoch
    }

    /// Gives back every magazine a thread owns (thread exit). Entries go to their list's depot
    /// while it has room under Depth; counters are folded into the list's shared counters. Called
    /// with the thread registry locked; returns what the depots did not take, for the caller to
    /// free once the lock is released.
    static func releaseAll(ownedBy context: UnsafeMutablePointer<ThreadContext>) -> [LookasideSurplus] {
        var surplus: [LookasideSurplus] = []
        var next = context.pointee.magazines
        context.pointee.magazines = nil
        while let magazine = next {
            next = magazine.pointee.nextInThread
            let core = magazine.pointee.core
            core.pointee.magazines[context.pointee.slot].store(0, ordering: .releasing)
            surplus.append(core.retire(magazine, keepEntries: true))
        }
        return surplus
    }
}

import Synchronization

/// Allocation and free counters: per magazine (single writer) or shared (atomic adds).
struct LookasideCounters: ~Copyable {
    let allocates = Atomic<UInt64>(0)
    let allocateMisses = Atomic<UInt64>(0)
    let frees = Atomic<UInt64>(0)
    let freeMisses = Atomic<UInt64>(0)

    /// Single-writer increment: the owner is the only thread that stores.
    @inline(__always)
    static func bump(_ counter: borrowing Atomic<UInt64>, by amount: UInt64 = 1) {
        counter.store(counter.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }
}
