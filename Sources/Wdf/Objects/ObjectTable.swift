import Synchronization
internal import CRuntimeShims
import NtKernel
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A thread's cache of free slot indices (and its creation counter), so creating and deleting
/// objects takes no lock in the common case. Given back to the shared free list at thread exit.
struct SlotCache {
    static let capacity = 64

    /// The slot freed last (0: none), kept apart from `indices`: a create that follows a delete
    /// (the common rhythm) finds its slot with one load, instead of a load of `count` and then
    /// one of the entry it names, both waiting for the delete's stores.
    var last: UInt32 = 0
    var count = 0
    let indices: UnsafeMutablePointer<UInt32>
    /// Creations by this thread so far: orders objects whose parent is the driver.
    var created: UInt64 = 0

    @inline(__always)
    static var current: UnsafeMutablePointer<SlotCache> {
        if let raw = nt_wdf_slot_cache_get() { return raw.assumingMemoryBound(to: SlotCache.self) }
        return make()
    }

    /// Sets the thread-exit hook once (it gives a cache's slots back).
    private static let exitHook: Void = ThreadStorageKey.objectTable.setExitHook { raw in
        nt_wdf_slot_cache_set(nil)
        let cache = raw.assumingMemoryBound(to: SlotCache.self)
        if cache.pointee.last != 0 {
            withUnsafePointer(to: cache.pointee.last) { ObjectTable.giveBack(UnsafeBufferPointer(start: $0, count: 1)) }
        }
        ObjectTable.giveBack(UnsafeBufferPointer(start: cache.pointee.indices, count: cache.pointee.count))
        cache.pointee.indices.deallocate()
        cache.deallocate()
    }

    @inline(never)
    static func make() -> UnsafeMutablePointer<SlotCache> {
        _ = exitHook
        let cache = UnsafeMutablePointer<SlotCache>.allocate(capacity: 1)
        cache.initialize(to: SlotCache(indices: .allocate(capacity: capacity)))
        // Kept in the runtime's thread storage (so thread exit gives it back) and in a C
        // thread-local for the hot path.
        ThreadStorageKey.objectTable.value = UnsafeMutableRawPointer(cache)
        nt_wdf_slot_cache_set(UnsafeMutableRawPointer(cache))
        return cache
    }
}

/// Every framework object's slot, in one address-space reservation that is never freed, plus
/// the locks that guard parent/child links. Slot `i` is at `base + i × 40`, its cold record
/// (`ObjectColdSlot`) a fixed distance further on, in a second half of the reservation that the
/// kernel maps in only where an object first uses its own. Finding a slot is arithmetic on its
/// index: no table to load on the way.
///
/// Slots are made (their generation set) a chunk at a time, as slot numbers are first handed
/// out. Validation reads only slot memory: a handle is live when its marker is right, the
/// slot's generation matches and the slot is in use. A handle to a slot never made reads
/// zeros (the kernel's zero page), which no live object has.
enum ObjectTable {
    static let chunkSize = 4096
    static let chunkCount = 4096  // 16M objects
    static var slotCount: Int { chunkSize * chunkCount }
    /// From a slot to its cold record.
    static var coldOffset: Int { slotCount * MemoryLayout<ObjectSlot>.stride }

    /// The reservation: every slot, then every cold record (nil until the first slot is made;
    /// a constant-initialized global, so reading it needs no lazy-initialization check).
    nonisolated(unsafe) static var base: UnsafeMutableRawPointer? = nil

    private struct FreeList: @unchecked Sendable {
        /// The first slot of the first chain (0: none).
        var chains: UInt32 = 0
        /// The next never-used slot (slot 0 is never used: 0 means "none" in links).
        var next: UInt32 = 1
    }

    /// The links of a free slot in the shared free list, kept in its `buffer` field (which no
    /// one reads while the slot is free, and `create` resets): the next slot of its chain in
    /// the low 32 bits, and, in a chain's first slot, the first slot of the next chain in the
    /// high 32 bits.
    enum FreeChain {
        @inline(__always)
        static func links(of index: UInt32) -> (nextInChain: UInt32, nextChain: UInt32) {
            let bits = UInt(bitPattern: slot(index).pointee.buffer)
            return (UInt32(truncatingIfNeeded: bits), UInt32(truncatingIfNeeded: bits >> 32))
        }

        @inline(__always)
        static func setLinks(of index: UInt32, nextInChain: UInt32, nextChain: UInt32 = 0) {
            slot(index).pointee.buffer = UnsafeMutableRawPointer(bitPattern: UInt(nextChain) << 32 | UInt(nextInChain))
        }
    }

    private static let freeList = KernelLock(FreeList())

    /// Stripe locks for child lists: a parent's list is guarded by `stripeLocks[parent % count]`.
    /// Made with the table, before its first slot (so before any parent), and never freed: a
    /// constant-initialized global, read without a lazy-initialization call (`swift_once`, a
    /// call on every access on Linux, was one per child linked or unlinked).
    static let stripeCount = 64
    nonisolated(unsafe) private static var stripeLocks: UnsafeMutablePointer<KernelLock<Void>>? = nil

    @inline(__always)
    static func slot(_ index: UInt32) -> UnsafeMutablePointer<ObjectSlot> {
        (base.unsafelyUnwrapped + Int(index) &* MemoryLayout<ObjectSlot>.stride).assumingMemoryBound(to: ObjectSlot.self)
    }

    /// Runs `body` holding the lock that guards the child list of `parent`.
    static func withChildList<R>(of parent: UInt32, _ body: () throws(NTStatus) -> R) throws(NTStatus) -> R {
        try stripeLocks.unsafelyUnwrapped[Int(parent) % stripeCount].withLock { _ throws(NTStatus) -> R in try body() }
    }

    /// Takes a free slot (state still free), or throws when the table is full: from the calling
    /// thread's cache, refilled from the shared free list half a cache at a time.
    @inline(__always)
    static func allocateSlot() throws(NTStatus) -> UInt32 {
        let cache = SlotCache.current
        let last = cache.pointee.last
        if last != 0 {
            cache.pointee.last = 0
            return last
        }
        if cache.pointee.count == 0, refill(cache) == 0 { throw .insufficientResources }
        cache.pointee.count -= 1
        return cache.pointee.indices[cache.pointee.count]
    }

    @inline(never)
    static func refill(_ cache: UnsafeMutablePointer<SlotCache>) -> Int {
        let wanted = SlotCache.capacity / 2
        let (chain, fresh) = freeList.withLock { list -> (chain: UInt32, fresh: Int) in
            if list.chains != 0 {
                let chain = list.chains
                list.chains = FreeChain.links(of: chain).nextChain
                return (chain, 0)
            }
            var fresh = 0
            while fresh < wanted, list.next < UInt32(slotCount) {
                let index = list.next
                // A chunk that cannot be mapped: no slot for now (the create fails with
                // STATUS_INSUFFICIENT_RESOURCES); a later refill tries again.
                if Int(index) % chunkSize == 0 || index == 1, !makeChunk(Int(index) / chunkSize) { break }
                list.next += 1
                cache.pointee.indices[fresh] = index
                fresh += 1
            }
            return (0, fresh)
        }
        // The chain is this thread's now: its links are read, and cleared, outside the lock.
        var moved = fresh
        var next = chain
        while next != 0 {
            cache.pointee.indices[moved] = next
            moved += 1
            let following = FreeChain.links(of: next).nextInChain
            slot(next).pointee.buffer = nil
            next = following
        }
        // Taken from the end: a chain's first slot (the last one given back) first, and fresh
        // slots lowest index first, so consecutive creations get ascending slots (a parent's
        // children then lie in address order, which the delete walk streams through).
        var taken = UnsafeMutableBufferPointer(start: cache.pointee.indices, count: moved)
        taken.reverse()
        cache.pointee.count = moved
        return moved
    }

    /// Gives slots back to the shared free list, as one chain whose first slot is the last of
    /// `indices` (the one a thread freed last, the likeliest to be in cache). At most
    /// `SlotCache.capacity` slots, at least one.
    static func giveBack(_ indices: UnsafeBufferPointer<UInt32>) {
        guard let first = indices.last else { return }
        // indices[k] links to indices[k - 1]; the first slot's links are set under the lock.
        for position in 0..<indices.count - 1 {
            FreeChain.setLinks(of: indices[position], nextInChain: position > 0 ? indices[position - 1] : 0)
        }
        let second = indices.count > 1 ? indices[indices.count - 2] : 0
        freeList.withLock { list in
            FreeChain.setLinks(of: first, nextInChain: second, nextChain: list.chains)
            list.chains = first
        }
    }

    /// One past the highest slot ever handed out.
    static var highWaterMark: UInt32 { freeList.withLock { $0.next } }

    /// Makes the slots of a chunk (their generation starts at 1), reserving the table first
    /// if need be; false when the reservation cannot be made. Called under the free list's lock.
    private static func makeChunk(_ chunkIndex: Int) -> Bool {
        if base == nil {
            precondition(MemoryLayout<ObjectColdSlot>.stride == MemoryLayout<ObjectSlot>.stride)
            // A quarter of the way predictor's period past the pool's phase (its cold half,
            // 640 MiB on, lands three quarters past): the first slots, a process's hottest,
            // never share a predictor entry with the first pool blocks. Placed at the pool's
            // phase, a lookaside memory object's pair cost twice as much.
            guard let mapping = PoolArena.reservation(bytes: 2 * coldOffset, phase: PoolArena.wayPredictorPeriod / 4)
            else { return false }
            mapping.bindMemory(to: ObjectSlot.self, capacity: slotCount)
            (mapping + coldOffset).bindMemory(to: ObjectColdSlot.self, capacity: slotCount)
            let locks = UnsafeMutablePointer<KernelLock<Void>>.allocate(capacity: stripeCount)
            for index in 0..<stripeCount { (locks + index).initialize(to: KernelLock(())) }
            stripeLocks = locks
            base = mapping
        }
        // The chunk's slots and cold records become writable (the cold ones stay as mapped:
        // zero, every cold record's empty state, and the kernel maps them in on first touch).
        let first = slot(UInt32(chunkIndex * chunkSize))
        let bytes = chunkSize * MemoryLayout<ObjectSlot>.stride
        guard mprotect(first, bytes, PROT_READ | PROT_WRITE) == 0,
            mprotect(UnsafeMutableRawPointer(first) + coldOffset, bytes, PROT_READ | PROT_WRITE) == 0
        else { return false }
        for offset in 0..<chunkSize { (first + offset).initialize(to: ObjectSlot()) }
        return true
    }

    /// Returns a slot: its generation moves on, so every handle to it goes stale.
    @inline(__always)
    static func freeSlot(_ index: UInt32) {
        let slot = slot(index)
        var generation = slot.pointee.generation.load(ordering: .relaxed) &+ 1
        if generation >= 1 << WdfObject.generationBits { generation = 1 }
        slot.pointee.generation.store(generation, ordering: .releasing)
        slot.pointee.state.store(SlotState.free, ordering: .releasing)
        let cache = SlotCache.current
        let previous = cache.pointee.last
        cache.pointee.last = index
        guard previous != 0 else { return }
        if cache.pointee.count == SlotCache.capacity {
            // The upper half (the slots freed last) goes back, as one chain: nothing moves.
            let half = SlotCache.capacity / 2
            giveBack(UnsafeBufferPointer(start: cache.pointee.indices + half, count: SlotCache.capacity - half))
            cache.pointee.count = half
        }
        cache.pointee.indices[cache.pointee.count] = previous
        cache.pointee.count += 1
    }

    /// Runs `body` with one past the highest slot handed out, holding the allocation lock.
    static func withFreeListLocked(_ body: (UInt32) -> Void) { freeList.withLock { body($0.next) } }

    static func countSlotsInUse() -> [Int] {
        freeList.withLock { list -> [Int] in
            var counts = [Int](repeating: 0, count: Int(UInt8.max) + 1)
            var index: UInt32 = 1
            while index < list.next {
                let slot = slot(index)
                if slot.pointee.state.load(ordering: .acquiring) != SlotState.free {
                    counts[Int(slot.pointee.kind)] += 1
                }
                index += 1
            }
            return counts
        }
    }

    /// The slot of a live (or deleted but still referenced) object, or nil. A handle's 24 index
    /// bits always name a slot of the reservation (chunkSize × chunkCount = 2^24), and slot 0
    /// is never used (its state stays free), so the marker, the generation and the state are
    /// all there is to check.
    @inline(__always)
    static func lookup(_ handle: WdfObject) -> UnsafeMutablePointer<ObjectSlot>? {
        guard let index = handle.index, base != nil else { return nil }
        let slot = slot(index)
        guard slot.pointee.generation.load(ordering: .acquiring) == handle.generation,
            slot.pointee.state.load(ordering: .acquiring) != SlotState.free
        else { return nil }
        return slot
    }

    /// The slot of `handle`, of one of `kinds` if given; anything else is bug check
    /// `WDF_VIOLATION` (0x10D) with parameter 1 = 5 (`WDF_INVALID_HANDLE`), parameter 2 = the
    /// handle.
    @inline(__always)
    static func resolve(_ handle: WdfObject, kinds: ObjectKinds = .any, routine: StaticString)
        -> UnsafeMutablePointer<ObjectSlot>
    {
        guard let slot = lookup(handle) else { invalidHandle(handle, routine: routine) }
        if !kinds.contains(kind: slot.pointee.kind) { wrongKind(handle, slot: slot, kinds: kinds, routine: routine) }
        return slot
    }

    @inline(never)
    static func invalidHandle(_ handle: WdfObject, routine: StaticString) -> Never {
        BugCheck.raise(.wdfViolation, 0x5, handle.rawValue, 0, 0, "\(routine): \(handle) is not a live framework object handle")
    }

    @inline(never)
    static func wrongKind(_ handle: WdfObject, slot: UnsafeMutablePointer<ObjectSlot>, kinds: ObjectKinds, routine: StaticString)
        -> Never
    {
        let actual = ObjectKind(rawValue: slot.pointee.kind).map { "\($0)" } ?? "?"
        BugCheck.raise(
            .wdfViolation, 0x5, handle.rawValue, UInt(slot.pointee.kind), 0,
            "\(routine): \(handle) is a \(actual), not a \(kinds.names)")
    }

    static func index(of slot: UnsafeMutablePointer<ObjectSlot>, handle: WdfObject) -> UInt32 { handle.index! }

    static func handle(of index: UInt32) -> WdfObject {
        WdfObject(index: index, generation: slot(index).pointee.generation.load(ordering: .acquiring))
    }

    /// `WDF_VIOLATION` with parameter 1 = 4 (`WDF_REQUIRED_PARAMETER_IS_NULL`).
    static func requiredParameterMissing(_ name: String, routine: StaticString) -> Never {
        BugCheck.raise(.wdfViolation, 0x4, 0, 0, 0, "\(routine): the required parameter \(name) is NULL")
    }
}
