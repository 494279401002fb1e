public import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One thread's cache of free entries for one lookaside list, and that thread's counters for it.
///
/// Magazines live inline in their list's ``LookasideMagazineTable``, one per thread slot, so the
/// hot path reaches the calling thread's magazine with one addition (list table + the thread's
/// offset) and finds its entries right behind it, in the same few cache lines.
///
/// Only the owning thread touches `count` and the entries; the counters are written by
/// the owner alone (a relaxed load and store, no read-modify-write) and read by the tuner and by
/// statistics. `owner` is the owning thread's context while the thread uses the list, 0 before
/// its first call and after it exits: the hot path compares it with the calling thread.
@usableFromInline
struct LookasideMagazine: ~Copyable {
    /// How many entries a thread keeps per list at most, on top of the shared depot.
    @inlinable static var capacity: Int { 32 }
    /// Bytes of the header; the entry pointers follow it.
    @inlinable static var headerSize: Int { 80 }
    /// Bytes per magazine in the table: the header, then `capacity` entry pointers.
    static var stride: Int { headerSize + capacity * 8 }

    /// Entries in `entries`, not counting `last`.
    @usableFromInline var count: Int
    /// The entry freed last (nil: none), the top of the magazine kept apart from `entries`: an
    /// allocation that follows a free (the common rhythm) finds it with one load, instead of a
    /// load of `count` and then one of the entry it names, both waiting for the free's stores.
    /// Slow paths put it back among the entries first (`settle`).
    @usableFromInline var last: UnsafeMutableRawPointer?
    /// The owner's context while the magazine is valid; 0 after a flush of the list, which the
    /// owner catches up with (freeing what the magazine holds) on its next call. One compare on
    /// the hot path checks both "this thread's" and "not flushed".
    @usableFromInline let key: Atomic<UInt>
    @usableFromInline let allocates: Atomic<UInt64>
    let allocateMisses: Atomic<UInt64>
    @usableFromInline let frees: Atomic<UInt64>
    let freeMisses: Atomic<UInt64>
    /// The owning thread's context (as an integer), or 0.
    @usableFromInline let owner: Atomic<UInt>
    /// The next magazine of the same thread (under the thread registry's lock).
    var nextInThread: UnsafeMutablePointer<LookasideMagazine>?
    /// The list, set when a thread starts using the magazine.
    var core: UnsafeMutablePointer<LookasideCore>?

    /// Entries held, `last` included.
    var held: Int { count + (last == nil ? 0 : 1) }

    var ownerContext: UnsafeMutablePointer<ThreadContext>? {
        UnsafeMutablePointer(bitPattern: owner.load(ordering: .relaxed))
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
            surplus.append(magazine.pointee.core.unsafelyUnwrapped.retire(magazine, keepEntries: true))
        }
        return surplus
    }
}

/// A list's magazines: one per thread slot plus one that no thread ever owns (the offset of
/// threads without a slot, whose calls therefore always take the slow path). Mapped from the
/// system zero-filled, so a list costs memory only for the slots of threads that use it.
///
@usableFromInline
struct LookasideMagazineTable {
    @usableFromInline let base: UnsafeMutableRawPointer

    static var byteCount: Int { (ThreadRegistry.slotCount + 1) * LookasideMagazine.stride }

    /// The offset of a thread slot's magazine from the table's base (-1: the unowned one).
    static func offset(ofSlot slot: Int) -> Int {
        (slot >= 0 ? slot : ThreadRegistry.slotCount) * LookasideMagazine.stride
    }

    init() {
        guard let mapped = mmap(nil, Self.byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            mapped != MAP_FAILED
        else {
            BugCheck.raiseStatus(.insufficientResources, in: "ExInitializeLookasideListEx")
        }
        precondition(MemoryLayout<LookasideMagazine>.size <= LookasideMagazine.headerSize)
        base = mapped
        // Zero-filled memory is a valid unused magazine: count 0, counters 0, no owner, no key.
        base.bindMemory(to: UInt8.self, capacity: Self.byteCount)
    }

    func deallocate() { munmap(base, Self.byteCount) }

    @inlinable @inline(__always)
    func magazine(atOffset offset: Int) -> UnsafeMutablePointer<LookasideMagazine> {
        (base + offset).assumingMemoryBound(to: LookasideMagazine.self)
    }

    func magazine(inSlot slot: Int) -> UnsafeMutablePointer<LookasideMagazine> {
        magazine(atOffset: Self.offset(ofSlot: slot))
    }
}

extension UnsafeMutablePointer where Pointee == LookasideMagazine {
    /// Puts `last` back on top of the entries (owner thread only; there is always room: the
    /// magazine holds at most `capacity` entries, `last` included).
    func settle() {
        guard let last = pointee.last else { return }
        entries[pointee.count] = last
        pointee.count += 1
        pointee.last = nil
    }

    /// The entry pointers, right behind the header.
    @inlinable var entries: UnsafeMutablePointer<UnsafeMutableRawPointer> {
        @inline(__always) get {
            (UnsafeMutableRawPointer(self) + LookasideMagazine.headerSize).assumingMemoryBound(to: UnsafeMutableRawPointer.self)
        }
    }
}

/// Allocation and free counters shared by threads without a magazine and by retired magazines.
@usableFromInline
struct LookasideCounters: ~Copyable {
    let allocates = Atomic<UInt64>(0)
    let allocateMisses = Atomic<UInt64>(0)
    let frees = Atomic<UInt64>(0)
    let freeMisses = Atomic<UInt64>(0)

    /// Single-writer increment: the owner is the only thread that stores.
    @inlinable @inline(__always)
    static func bump(_ counter: borrowing Atomic<UInt64>, by amount: UInt64 = 1) {
        counter.store(counter.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    /// Counts a free, as the free's last access to the list: a releasing store (a plain store
    /// on x86), so that whoever reads the count with an acquiring load (statistics) may delete
    /// the list once it sees every entry back.
    @inlinable @inline(__always)
    static func countFree(_ counter: borrowing Atomic<UInt64>) {
        counter.store(counter.load(ordering: .relaxed) &+ 1, ordering: .releasing)
    }
}
