public import Synchronization
internal import CRuntimeShims

/// Where a list's entries come from when its caches are empty, and where they go when the caches
/// are full: the pool (with the list's type and tag) or the caller's own routines.
package struct LookasideAllocator: Sendable {
    /// Called on an allocation miss with the list's pool type, entry size and tag; returns an
    /// entry or nil.
    package var allocate: @Sendable (_ poolType: PoolType, _ byteCount: Int, _ tag: PoolTag) -> UnsafeMutableRawPointer?
    /// Called with an entry the list does not keep.
    package var free: @Sendable (_ entry: UnsafeMutableRawPointer) -> Void

    package init(
        allocate: @escaping @Sendable (PoolType, Int, PoolTag) -> UnsafeMutableRawPointer?,
        free: @escaping @Sendable (UnsafeMutableRawPointer) -> Void
    ) {
        self.allocate = allocate
        self.free = free
    }
}

/// A lookaside list's counters, as the public fields of `GENERAL_LOOKASIDE` show them.
public struct LookasideStatistics: Hashable, Sendable {
    /// `Depth`: how many entries the list keeps now (tuned every 3 s).
    public var depth: Int
    /// `MaximumDepth`.
    public var maximumDepth: Int
    /// `TotalAllocates`.
    public var totalAllocates: UInt64
    /// `AllocateMisses`: allocations the cache could not serve.
    public var allocateMisses: UInt64
    /// `TotalFrees`.
    public var totalFrees: UInt64
    /// `FreeMisses`: frees the cache could not keep.
    public var freeMisses: UInt64
    /// Totals at the last depth-tuning scan.
    public var lastTotalAllocates: UInt64
    /// `LastAllocateMisses` (at the last tuning scan).
    public var lastAllocateMisses: UInt64
    /// Entries cached now in the shared depot and the calling thread's magazine (other threads'
    /// magazines hold at most `LookasideMagazine.capacity` each on top).
    public var cachedEntries: Int

    /// The fraction of allocations served from the cache (0...1; 0 before the first).
    public var hitRate: Double {
        totalAllocates == 0 ? 0 : Double(totalAllocates - min(allocateMisses, totalAllocates)) / Double(totalAllocates)
    }
}

/// The shared part of a lookaside list: validated parameters, the depot under its lock, Depth,
/// the per-thread magazine table, and the counters of retired magazines.
///
/// Lives in memory of its own (not in the caller's `LOOKASIDE_LIST_EX`, which only points here),
/// so the hot path never writes a line another thread reads.
@usableFromInline
struct LookasideCore: ~Copyable {
    let entrySize: Int
    let poolType: PoolType
    let tag: PoolTag
    let maximumDepth: Int
    let raiseOnFailure: Bool
    @usableFromInline let irqlLimit: Irql
    let allocator: LookasideAllocator?
    /// Entries come straight from the pool's engine: no custom routines, and a pool type whose
    /// checks were already made (the list checks the IRQL itself).
    let usesPoolDirectly: Bool
    let name: StaticString

    // Read on every call, written every few seconds.
    @usableFromInline let depth = Atomic<Int>(4)
    /// `min(LookasideMagazine.capacity, depth - depotCount)`: a free goes into the calling
    /// thread's magazine while the magazine holds fewer entries (kept up to date under the depot
    /// lock whenever Depth or the depot changes).
    @usableFromInline let freeLimit = Atomic<Int>(4)
    /// One magazine per thread slot, inline.
    @usableFromInline let magazines = LookasideMagazineTable()

    // Written when entries move between threads.
    let depot: KernelLock<DepotStack>
    @usableFromInline let depotCount = Atomic<Int>(0)
    /// Counters of threads without a magazine slot and of magazines given back.
    let shared = LookasideCounters()

    // The tuner's state (under the tuner's lock).
    let lastTotalAllocates = Atomic<UInt64>(0)
    let lastAllocateMisses = Atomic<UInt64>(0)
    var nextScan: Duration = .zero
    /// Called with fresh statistics after each scan and flush: the C layer mirrors them into the
    /// caller's structure.
    var mirror: (@Sendable (LookasideStatistics) -> Void)? = nil
    var tuner: LookasideTuner? = nil

    /// Records the depot's size and the free limit that follows from it (under the depot lock).
    func setDepotCount(_ count: Int) {
        depotCount.store(count, ordering: .relaxed)
        freeLimit.store(Swift.min(LookasideMagazine.capacity, depth.load(ordering: .relaxed) - count), ordering: .relaxed)
    }

    struct DepotStack: @unchecked Sendable {
        let entries: UnsafeMutablePointer<UnsafeMutableRawPointer>
        var count = 0
    }

    init(entrySize: Int, poolType: PoolType, tag: PoolTag, maximumDepth: Int, raiseOnFailure: Bool,
         allocator: LookasideAllocator?, name: StaticString) {
        self.entrySize = entrySize
        self.poolType = poolType
        self.tag = tag
        self.maximumDepth = maximumDepth
        self.raiseOnFailure = raiseOnFailure
        self.irqlLimit = poolType.irqlLimit
        self.allocator = allocator
        usesPoolDirectly = allocator == nil && !poolType.isMustSucceed && !poolType.contains(.raiseIfAllocationFailure)
        self.name = name
        depot = KernelLock(DepotStack(entries: .allocate(capacity: maximumDepth)))
    }
}

extension UnsafeMutablePointer where Pointee == LookasideCore {
    // MARK: Slow paths

    /// Everything `allocate` does not do inline: the IRQL check, the thread's first call on the
    /// list, catching up with a flush, refilling from the depot, and misses.
    @usableFromInline @inline(never)
    func allocateSlow(routine: StaticString) -> UnsafeMutableRawPointer? {
        if nt_driver_verifier_active() != 0 {
            let entry = allocateUnverified(routine: routine)
            if let entry { LookasideReuse.handOut(entry, byteCount: pointee.entrySize, routine: routine) }
            return entry
        }
        return allocateUnverified(routine: routine)
    }

    func allocateUnverified(routine: StaticString) -> UnsafeMutableRawPointer? {
        let context = ThreadContext.current
        if context.pointee.irql > pointee.irqlLimit.rawValue { irqlFailure(context, routine: routine) }
        guard let magazine = magazine(for: context) else { return allocateShared() }
        if magazine.pointee.key.load(ordering: .relaxed) != UInt(bitPattern: context) { drain(magazine) }
        magazine.settle()
        LookasideCounters.bump(magazine.pointee.allocates)
        if magazine.pointee.count > 0 {
            magazine.pointee.count -= 1
            return magazine.entries[magazine.pointee.count]
        }
        return refillOrMiss(magazine)
    }

    /// Everything `free` does not do inline: the IRQL check, the thread's first call on the list,
    /// catching up with a flush, free misses (Depth reached), and spilling a full magazine.
    @usableFromInline @inline(never)
    func freeSlow(_ entry: UnsafeMutableRawPointer, routine: StaticString) {
        if nt_driver_verifier_active() != 0 {
            let context = ThreadContext.current
            if context.pointee.irql > pointee.irqlLimit.rawValue { irqlFailure(context, routine: routine) }
            LookasideReuse.takeBack(entry, byteCount: pointee.entrySize)
        }
        freeUnverified(entry, routine: routine)
    }

    func freeUnverified(_ entry: UnsafeMutableRawPointer, routine: StaticString) {
        let context = ThreadContext.current
        if context.pointee.irql > pointee.irqlLimit.rawValue { irqlFailure(context, routine: routine) }
        guard let magazine = magazine(for: context) else { return freeShared(entry) }
        if magazine.pointee.key.load(ordering: .relaxed) != UInt(bitPattern: context) { drain(magazine) }
        magazine.settle()
        // The free is counted last: once counted, the list may be deleted (see `countFree`).
        defer { LookasideCounters.countFree(magazine.pointee.frees) }
        let count = magazine.pointee.count
        if count + pointee.depotCount.load(ordering: .relaxed) >= pointee.depth.load(ordering: .relaxed) {
            LookasideCounters.bump(magazine.pointee.freeMisses)
            release(entry)
            return
        }
        if count == LookasideMagazine.capacity { spill(magazine) }
        magazine.entries[magazine.pointee.count] = entry
        magazine.pointee.count += 1
    }

    /// The calling thread's magazine, which starts being this thread's on its first call; nil
    /// for a thread without a slot.
    @inline(__always)
    func magazine(for context: UnsafeMutablePointer<ThreadContext>) -> UnsafeMutablePointer<LookasideMagazine>? {
        guard context.pointee.slot >= 0 else { return nil }
        let magazine = pointee.magazines.magazine(atOffset: context.pointee.magazineOffset)
        if magazine.pointee.owner.load(ordering: .relaxed) != UInt(bitPattern: context) { adopt(magazine, for: context) }
        return magazine
    }

    /// Makes the magazine of the calling thread's slot its own (its first call on the list).
    @inline(never)
    func adopt(_ magazine: UnsafeMutablePointer<LookasideMagazine>, for context: UnsafeMutablePointer<ThreadContext>) {
        ThreadRegistry.state.withLock { _ in
            magazine.pointee.count = 0
            magazine.pointee.last = nil
            magazine.pointee.core = self
            magazine.pointee.nextInThread = context.pointee.magazines
            context.pointee.magazines = magazine
            magazine.pointee.owner.store(UInt(bitPattern: context), ordering: .relaxed)
            magazine.pointee.key.store(UInt(bitPattern: context), ordering: .relaxed)
        }
    }

    /// The magazine of a thread slot, if a live thread uses it.
    func magazine(inSlot slot: Int) -> UnsafeMutablePointer<LookasideMagazine>? {
        let magazine = pointee.magazines.magazine(inSlot: slot)
        return magazine.pointee.owner.load(ordering: .relaxed) == 0 ? nil : magazine
    }

    @inline(never)
    func irqlFailure(_ context: UnsafeMutablePointer<ThreadContext>, routine: StaticString) -> Never {
        BugCheck.irqlTooHigh("\(routine)", limit: pointee.irqlLimit, current: Irql(rawValue: context.pointee.irql))
    }

    /// Moves a batch from the depot into an empty magazine (depot top becomes magazine top, so
    /// the order stays last-in first-out); with nothing there, counts a miss and calls the
    /// allocate routine.
    @inline(never)
    func refillOrMiss(_ magazine: UnsafeMutablePointer<LookasideMagazine>) -> UnsafeMutableRawPointer? {
        if pointee.depotCount.load(ordering: .relaxed) > 0 {
            let moved = pointee.depot.withLock { depot -> Int in
                let moved = Swift.min(LookasideMagazine.capacity / 2, depot.count)
                depot.count -= moved
                magazine.entries.initialize(from: depot.entries + depot.count, count: moved)
                pointee.setDepotCount(depot.count)
                return moved
            }
            if moved > 0 {
                magazine.pointee.count = moved - 1
                return magazine.entries[moved - 1]
            }
        }
        LookasideCounters.bump(magazine.pointee.allocateMisses)
        return obtain()
    }

    /// Moves the older half of a full magazine to the depot, which keeps at most Depth entries;
    /// what does not fit goes to the free routine as free misses.
    @inline(never)
    func spill(_ magazine: UnsafeMutablePointer<LookasideMagazine>) {
        let half = magazine.pointee.count / 2
        let accepted = pushToDepot(magazine.entries, count: half)
        for index in accepted..<half { release(magazine.entries[index]) }
        if half > accepted { LookasideCounters.bump(magazine.pointee.freeMisses, by: UInt64(half - accepted)) }
        let remaining = magazine.pointee.count - half
        magazine.entries.update(from: magazine.entries + half, count: remaining)
        magazine.pointee.count = remaining
    }

    /// Moves up to `count` entries into the depot while it holds fewer than Depth; returns how
    /// many it took.
    func pushToDepot(_ entries: UnsafeMutablePointer<UnsafeMutableRawPointer>, count: Int) -> Int {
        pointee.depot.withLock { depot -> Int in
            let room = Swift.max(0, Swift.min(pointee.depth.load(ordering: .relaxed), pointee.maximumDepth) - depot.count)
            let accepted = Swift.min(count, room)
            (depot.entries + depot.count).initialize(from: entries, count: accepted)
            depot.count += accepted
            pointee.setDepotCount(depot.count)
            return accepted
        }
    }

    /// A thread without a magazine slot works on the depot directly.
    @inline(never)
    func allocateShared() -> UnsafeMutableRawPointer? {
        pointee.shared.allocates.add(1, ordering: .relaxed)
        let entry = pointee.depot.withLock { depot -> UnsafeMutableRawPointer? in
            guard depot.count > 0 else { return nil }
            depot.count -= 1
            pointee.setDepotCount(depot.count)
            return depot.entries[depot.count]
        }
        if let entry { return entry }
        pointee.shared.allocateMisses.add(1, ordering: .relaxed)
        return obtain()
    }

    @inline(never)
    func freeShared(_ entry: UnsafeMutableRawPointer) {
        // Counted last (see `LookasideCounters.countFree`).
        defer { pointee.shared.frees.wrappingAdd(1, ordering: .releasing) }
        let kept = pointee.depot.withLock { depot -> Bool in
            guard depot.count < Swift.min(pointee.depth.load(ordering: .relaxed), pointee.maximumDepth) else { return false }
            depot.entries[depot.count] = entry
            depot.count += 1
            pointee.setDepotCount(depot.count)
            return true
        }
        if !kept {
            pointee.shared.freeMisses.add(1, ordering: .relaxed)
            release(entry)
        }
    }

    /// A new entry from the allocate routine (or the pool); with the raise-on-failure flag, a
    /// failure raises `STATUS_INSUFFICIENT_RESOURCES`.
    func obtain() -> UnsafeMutableRawPointer? {
        let entry: UnsafeMutableRawPointer?
        if pointee.usesPoolDirectly, nt_driver_verifier_active() == 0 {
            let type = pointee.poolType
            entry = try? PoolAllocator.allocate(
                byteCount: pointee.entrySize, paged: type.isPaged, cacheAligned: type.isCacheAligned,
                tag: pointee.tag.rawValue, chargeQuota: false, zero: type.contains(.zeroAllocation),
                context: ThreadContext.current)
        } else if let allocator = pointee.allocator {
            entry = allocator.allocate(pointee.poolType, pointee.entrySize, pointee.tag)
        } else {
            entry = try? Pool.allocate(pointee.poolType, byteCount: pointee.entrySize, tag: pointee.tag)
        }
        if entry == nil, pointee.raiseOnFailure {
            BugCheck.raiseStatus(.insufficientResources, in: "\(pointee.name)")
        }
        return entry
    }

    /// Hands an entry to the free routine (or the pool).
    func release(_ entry: UnsafeMutableRawPointer) {
        if pointee.usesPoolDirectly, nt_driver_verifier_active() == 0 {
            PoolAllocator.free(entry, tag: pointee.tag.rawValue, routine: "ExFreeToLookasideListEx")
        } else if let allocator = pointee.allocator {
            allocator.free(entry)
        } else {
            Pool.free(entry, tag: pointee.tag)
        }
    }

    /// Frees what a magazine holds after a flush of the list, and makes it valid again (owner
    /// thread only).
    @inline(never)
    func drain(_ magazine: UnsafeMutablePointer<LookasideMagazine>) {
        magazine.pointee.key.store(magazine.pointee.owner.load(ordering: .relaxed), ordering: .relaxed)
        magazine.settle()
        let count = magazine.pointee.count
        magazine.pointee.count = 0
        for index in 0..<count { release(magazine.entries[index]) }
    }

    // MARK: Management

    /// Frees every cached entry: the depot and the calling thread's magazine at once, other
    /// threads' magazines at their next call on this list (or when they exit). Corresponds to
    /// `ExFlushLookasideListEx`.
    func flush() {
        let context = ThreadContext.current
        ThreadRegistry.state.withLock { _ in
            for slot in 0..<ThreadRegistry.slotCount {
                magazine(inSlot: slot)?.pointee.key.store(0, ordering: .relaxed)
            }
        }
        let taken = takeDepot()
        for entry in taken { release(entry) }
        if context.pointee.slot >= 0, let magazine = magazine(inSlot: context.pointee.slot) {
            drain(magazine)
        }
        publish()
    }

    func takeDepot() -> [UnsafeMutableRawPointer] {
        pointee.depot.withLock { depot in
            let taken = Array(UnsafeBufferPointer(start: depot.entries, count: depot.count))
            depot.count = 0
            pointee.setDepotCount(0)
            return taken
        }
    }

    /// Gives a magazine back (its thread exits, or the list is deleted): its entries go to the
    /// depot while there is room under Depth, and the slot becomes free for the next thread.
    /// The counters stay in the magazine (statistics sum every slot). Returns the entries the
    /// depot did not take: the caller hands them to the free routine once it holds no lock.
    func retire(_ magazine: UnsafeMutablePointer<LookasideMagazine>, keepEntries: Bool) -> LookasideSurplus {
        magazine.settle()
        let count = magazine.pointee.count
        var accepted = 0
        if keepEntries, magazine.pointee.key.load(ordering: .relaxed) == magazine.pointee.owner.load(ordering: .relaxed) {
            accepted = pushToDepot(magazine.entries, count: count)
        }
        let surplus = LookasideSurplus(
            entries: Array(UnsafeBufferPointer(start: magazine.entries + accepted, count: count - accepted)),
            allocator: pointee.allocator, tag: pointee.tag)
        magazine.pointee.count = 0
        magazine.pointee.nextInThread = nil
        magazine.pointee.owner.store(0, ordering: .relaxed)
        magazine.pointee.key.store(0, ordering: .relaxed)
        return surplus
    }

    /// Current counters: the shared ones plus every slot's.
    func statistics() -> LookasideStatistics {
        var allocates = pointee.shared.allocates.load(ordering: .relaxed)
        var allocateMisses = pointee.shared.allocateMisses.load(ordering: .relaxed)
        var frees = pointee.shared.frees.load(ordering: .acquiring)
        var freeMisses = pointee.shared.freeMisses.load(ordering: .relaxed)
        var cached = pointee.depotCount.load(ordering: .relaxed)
        let current = ThreadContext.currentIfAttached.map { UInt(bitPattern: $0) } ?? 0
        ThreadRegistry.state.withLock { _ in
            for slot in 0..<ThreadRegistry.slotCount {
                let magazine = pointee.magazines.magazine(inSlot: slot)
                allocates &+= magazine.pointee.allocates.load(ordering: .relaxed)
                allocateMisses &+= magazine.pointee.allocateMisses.load(ordering: .relaxed)
                frees &+= magazine.pointee.frees.load(ordering: .acquiring)
                freeMisses &+= magazine.pointee.freeMisses.load(ordering: .relaxed)
                if current != 0, magazine.pointee.owner.load(ordering: .relaxed) == current {
                    cached += magazine.pointee.held
                }
            }
        }
        return LookasideStatistics(
            depth: pointee.depth.load(ordering: .relaxed), maximumDepth: pointee.maximumDepth,
            totalAllocates: allocates, allocateMisses: allocateMisses, totalFrees: frees, freeMisses: freeMisses,
            lastTotalAllocates: pointee.lastTotalAllocates.load(ordering: .relaxed),
            lastAllocateMisses: pointee.lastAllocateMisses.load(ordering: .relaxed),
            cachedEntries: cached)
    }

    func publish() {
        guard let mirror = pointee.mirror else { return }
        mirror(statistics())
    }

    /// Deletes the list: every magazine and the depot are emptied through the free routine.
    /// The caller guarantees no other thread uses the list any more. Corresponds to
    /// `ExDeleteLookasideListEx`.
    func delete() {
        let context = ThreadContext.current
        if context.pointee.irql > pointee.irqlLimit.rawValue { irqlFailure(context, routine: "ExDeleteLookasideListEx") }
        pointee.tuner?.unregister(self)
        let surplus = ThreadRegistry.state.withLock { _ -> [LookasideSurplus] in
            var surplus: [LookasideSurplus] = []
            for slot in 0..<ThreadRegistry.slotCount {
                guard let magazine = magazine(inSlot: slot), let owner = magazine.pointee.ownerContext else { continue }
                // Unlink from the owner's list.
                if owner.pointee.magazines == magazine {
                    owner.pointee.magazines = magazine.pointee.nextInThread
                } else {
                    var previous = owner.pointee.magazines
                    while let current = previous, current.pointee.nextInThread != magazine {
                        previous = current.pointee.nextInThread
                    }
                    previous?.pointee.nextInThread = magazine.pointee.nextInThread
                }
                surplus.append(retire(magazine, keepEntries: false))
            }
            return surplus
        }
        // The free routine runs with no lock held: it may call back into the runtime.
        for item in surplus { item.release() }
        for entry in takeDepot() { release(entry) }
        pointee.depot.withLock { $0.entries.deallocate() }
        pointee.magazines.deallocate()
        deinitialize(count: 1)
        deallocate()
    }

    /// One depth-tuning step, from the allocations and misses since the last one.
    func tune() {
        let statistics = statistics()
        let allocations = statistics.totalAllocates &- pointee.lastTotalAllocates.load(ordering: .relaxed)
        let misses = statistics.allocateMisses &- pointee.lastAllocateMisses.load(ordering: .relaxed)
        pointee.lastTotalAllocates.store(statistics.totalAllocates, ordering: .relaxed)
        pointee.lastAllocateMisses.store(statistics.allocateMisses, ordering: .relaxed)
        let depth = pointee.depth.load(ordering: .relaxed)
        let maximum = pointee.maximumDepth
        let newDepth: Int
        if allocations < 75 {
            newDepth = Swift.max(4, depth - 10)
        } else {
            let ratio = Int(misses * 1000 / allocations)
            if ratio < 5 {
                newDepth = Swift.max(4, depth - 1)
            } else {
                newDepth = Swift.min(maximum, depth + Swift.min(30, ratio * (maximum - depth) / 2000 + 5))
            }
        }
        pointee.depot.withLock { depot in
            pointee.depth.store(newDepth, ordering: .relaxed)
            pointee.setDepotCount(depot.count)
        }
        publish()
    }
}

/// Entries a list no longer keeps, with what it takes to free them after every lock is released.
struct LookasideSurplus: @unchecked Sendable {
    let entries: [UnsafeMutableRawPointer]
    let allocator: LookasideAllocator?
    let tag: PoolTag

    func release() {
        for entry in entries {
            if let allocator { allocator.free(entry) } else { Pool.free(entry, tag: tag) }
        }
    }
}

extension ThreadContext {
    /// The calling thread's context if it has one, without creating it.
    static var currentIfAttached: UnsafeMutablePointer<ThreadContext>? {
        nt_thread_context_get()?.assumingMemoryBound(to: ThreadContext.self)
    }
}
