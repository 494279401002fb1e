import Synchronization
internal import CRuntimeShims

/// Where a list's entries come from when its caches are empty, and where they go when the caches
/// are full: the pool (with the list's type and tag) or the caller's own routines.
public struct LookasideAllocator: Sendable {
    /// Called on an allocation miss with the list's pool type, entry size and tag; returns an
    /// entry or nil.
    public var allocate: @Sendable (_ poolType: PoolType, _ byteCount: Int, _ tag: PoolTag) -> UnsafeMutableRawPointer?
    /// Called with an entry the list does not keep.
    public var free: @Sendable (_ entry: UnsafeMutableRawPointer) -> Void

    public init(
        allocate: @escaping @Sendable (PoolType, Int, PoolTag) -> UnsafeMutableRawPointer?,
        free: @escaping @Sendable (UnsafeMutableRawPointer) -> Void
    ) {
        self.allocate = allocate
        self.free = free
    }
}

/// A lookaside list's counters, as the public fields of `GENERAL_LOOKASIDE` show them.
public struct LookasideStatistics: Hashable, Sendable {
    public var depth: Int
    public var maximumDepth: Int
    public var totalAllocates: UInt64
    public var allocateMisses: UInt64
    public var totalFrees: UInt64
    public var freeMisses: UInt64
    /// Totals at the last depth-tuning scan.
    public var lastTotalAllocates: UInt64
    public var lastAllocateMisses: UInt64
    /// Entries cached now in the shared depot and the calling thread's magazine (other threads'
    /// magazines hold at most `LookasideMagazine.capacity` each on top).
    public var cachedEntries: Int

    /// Allocations served from the cache, in percent.
    public var hitRate: Double {
        totalAllocates == 0 ? 0 : Double(totalAllocates - min(allocateMisses, totalAllocates)) * 100 / Double(totalAllocates)
    }
}

/// The shared part of a lookaside list: validated parameters, the depot under its lock, Depth,
/// the per-thread magazine table, and the counters of retired magazines.
///
/// Lives in memory of its own (not in the caller's `LOOKASIDE_LIST_EX`, which only points here),
/// so the hot path never writes a line another thread reads.
struct LookasideCore: ~Copyable {
    let entrySize: Int
    let poolType: PoolType
    let tag: PoolTag
    let maximumDepth: Int
    let raiseOnFailure: Bool
    let irqlLimit: Irql
    let allocator: LookasideAllocator?
    /// Entries come straight from the pool's engine: no custom routines, and a pool type whose
    /// checks were already made (the list checks the IRQL itself).
    let usesPoolDirectly: Bool
    let name: StaticString

    // Read on every call, written every few seconds.
    let depth = Atomic<Int>(4)
    let flushEpoch = Atomic<UInt64>(0)
    /// Magazine addresses by thread slot (0: none yet), as integers (see `ThreadAccounting.chunks`).
    let magazines: UnsafeMutablePointer<Atomic<UInt>>

    // Written when entries move between threads.
    let depot: KernelLock<DepotStack>
    let depotCount = Atomic<Int>(0)
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
        magazines = .allocate(capacity: ThreadRegistry.slotCount)
        for slot in 0..<ThreadRegistry.slotCount { (magazines + slot).initialize(to: Atomic(0)) }
    }
}

extension UnsafeMutablePointer where Pointee == LookasideCore {
    // MARK: Hot path

    /// Takes an entry: the thread's magazine, else a batch from the depot, else the allocate
    /// routine (a miss). Corresponds to `ExAllocateFromLookasideListEx`.
    @inline(__always)
    func allocate(routine: StaticString) -> UnsafeMutableRawPointer? {
        let context = ThreadContext.current
        if context.pointee.irql > pointee.irqlLimit.rawValue { irqlFailure(context, routine: routine) }
        guard let magazine = magazine(for: context) else { return allocateShared() }
        if magazine.pointee.epoch != pointee.flushEpoch.load(ordering: .relaxed) { drain(magazine) }
        LookasideCounters.bump(magazine.pointee.counters.allocates)
        if magazine.pointee.count > 0 {
            magazine.pointee.count -= 1
            return magazine.pointee.entries[magazine.pointee.count]
        }
        return refillOrMiss(magazine)
    }

    /// Returns an entry: into the thread's magazine while the list caches fewer than Depth
    /// entries (this thread's magazine plus the depot), else to the free routine (a free miss).
    /// Corresponds to `ExFreeToLookasideListEx`.
    @inline(__always)
    func free(_ entry: UnsafeMutableRawPointer, routine: StaticString) {
        let context = ThreadContext.current
        if context.pointee.irql > pointee.irqlLimit.rawValue { irqlFailure(context, routine: routine) }
        guard let magazine = magazine(for: context) else { return freeShared(entry) }
        if magazine.pointee.epoch != pointee.flushEpoch.load(ordering: .relaxed) { drain(magazine) }
        LookasideCounters.bump(magazine.pointee.counters.frees)
        let count = magazine.pointee.count
        if count + pointee.depotCount.load(ordering: .relaxed) >= pointee.depth.load(ordering: .relaxed) {
            LookasideCounters.bump(magazine.pointee.counters.freeMisses)
            release(entry)
            return
        }
        if count == LookasideMagazine.capacity { spill(magazine) }
        magazine.pointee.entries[magazine.pointee.count] = entry
        magazine.pointee.count += 1
    }

    @inline(__always)
    func magazine(for context: UnsafeMutablePointer<ThreadContext>) -> UnsafeMutablePointer<LookasideMagazine>? {
        let slot = context.pointee.slot
        guard slot >= 0 else { return nil }
        return UnsafeMutablePointer<LookasideMagazine>(bitPattern: pointee.magazines[slot].load(ordering: .relaxed)) ?? createMagazine(context)
    }

    /// The magazine of a thread slot, if that thread has used this list.
    func magazine(inSlot slot: Int) -> UnsafeMutablePointer<LookasideMagazine>? {
        UnsafeMutablePointer<LookasideMagazine>(bitPattern: pointee.magazines[slot].load(ordering: .acquiring))
    }

    // MARK: Slow paths

    @inline(never)
    func irqlFailure(_ context: UnsafeMutablePointer<ThreadContext>, routine: StaticString) -> Never {
        BugCheck.irqlTooHigh("\(routine)", limit: pointee.irqlLimit, current: Irql(rawValue: context.pointee.irql))
    }

    @inline(never)
    func createMagazine(_ context: UnsafeMutablePointer<ThreadContext>) -> UnsafeMutablePointer<LookasideMagazine> {
        let magazine = UnsafeMutablePointer<LookasideMagazine>.allocate(capacity: 1)
        magazine.initialize(to: LookasideMagazine(core: self, owner: context, epoch: pointee.flushEpoch.load(ordering: .relaxed)))
        ThreadRegistry.state.withLock { _ in
            magazine.pointee.nextInThread = context.pointee.magazines
            context.pointee.magazines = magazine
            pointee.magazines[context.pointee.slot].store(UInt(bitPattern: magazine), ordering: .releasing)
        }
        return magazine
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
                magazine.pointee.entries.initialize(from: depot.entries + depot.count, count: moved)
                pointee.depotCount.store(depot.count, ordering: .relaxed)
                return moved
            }
            if moved > 0 {
                magazine.pointee.count = moved - 1
                return magazine.pointee.entries[moved - 1]
            }
        }
        LookasideCounters.bump(magazine.pointee.counters.allocateMisses)
        return obtain()
    }

    /// Moves the older half of a full magazine to the depot, which keeps at most Depth entries;
    /// what does not fit goes to the free routine as free misses.
    @inline(never)
    func spill(_ magazine: UnsafeMutablePointer<LookasideMagazine>) {
        let half = magazine.pointee.count / 2
        let accepted = pushToDepot(magazine.pointee.entries, count: half)
        for index in accepted..<half { release(magazine.pointee.entries[index]) }
        if half > accepted { LookasideCounters.bump(magazine.pointee.counters.freeMisses, by: UInt64(half - accepted)) }
        let remaining = magazine.pointee.count - half
        magazine.pointee.entries.update(from: magazine.pointee.entries + half, count: remaining)
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
            pointee.depotCount.store(depot.count, ordering: .relaxed)
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
            pointee.depotCount.store(depot.count, ordering: .relaxed)
            return depot.entries[depot.count]
        }
        if let entry { return entry }
        pointee.shared.allocateMisses.add(1, ordering: .relaxed)
        return obtain()
    }

    @inline(never)
    func freeShared(_ entry: UnsafeMutableRawPointer) {
        pointee.shared.frees.add(1, ordering: .relaxed)
        let kept = pointee.depot.withLock { depot -> Bool in
            guard depot.count < Swift.min(pointee.depth.load(ordering: .relaxed), pointee.maximumDepth) else { return false }
            depot.entries[depot.count] = entry
            depot.count += 1
            pointee.depotCount.store(depot.count, ordering: .relaxed)
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
        if pointee.usesPoolDirectly {
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
        if pointee.usesPoolDirectly {
            PoolAllocator.free(entry, tag: pointee.tag.rawValue, routine: "ExFreeToLookasideListEx")
        } else if let allocator = pointee.allocator {
            allocator.free(entry)
        } else {
            Pool.free(entry, tag: pointee.tag)
        }
    }

    /// Frees what a magazine holds after a flush of the list.
    @inline(never)
    func drain(_ magazine: UnsafeMutablePointer<LookasideMagazine>) {
        magazine.pointee.epoch = pointee.flushEpoch.load(ordering: .relaxed)
        let count = magazine.pointee.count
        magazine.pointee.count = 0
        for index in 0..<count { release(magazine.pointee.entries[index]) }
    }

    // MARK: Management

    /// Frees every cached entry: the depot and the calling thread's magazine at once, other
    /// threads' magazines at their next call on this list (or when they exit). Corresponds to
    /// `ExFlushLookasideListEx`.
    func flush() {
        let context = ThreadContext.current
        pointee.flushEpoch.add(1, ordering: .relaxed)
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
            pointee.depotCount.store(0, ordering: .relaxed)
            return taken
        }
    }

    /// Gives a magazine back: its entries to the depot (while there is room under Depth), its
    /// counters to the shared ones; then frees it. Returns the entries the depot did not take:
    /// the caller hands them to the free routine once it holds no lock.
    func retire(_ magazine: UnsafeMutablePointer<LookasideMagazine>, keepEntries: Bool) -> LookasideSurplus {
        let count = magazine.pointee.count
        var accepted = 0
        if keepEntries, magazine.pointee.epoch == pointee.flushEpoch.load(ordering: .relaxed) {
            accepted = pushToDepot(magazine.pointee.entries, count: count)
        }
        let surplus = LookasideSurplus(
            entries: Array(UnsafeBufferPointer(start: magazine.pointee.entries + accepted, count: count - accepted)),
            allocator: pointee.allocator, tag: pointee.tag)
        pointee.shared.allocates.add(magazine.pointee.counters.allocates.load(ordering: .relaxed), ordering: .relaxed)
        pointee.shared.allocateMisses.add(
            magazine.pointee.counters.allocateMisses.load(ordering: .relaxed), ordering: .relaxed)
        pointee.shared.frees.add(magazine.pointee.counters.frees.load(ordering: .relaxed), ordering: .relaxed)
        pointee.shared.freeMisses.add(magazine.pointee.counters.freeMisses.load(ordering: .relaxed), ordering: .relaxed)
        magazine.pointee.entries.deallocate()
        magazine.deinitialize(count: 1)
        magazine.deallocate()
        return surplus
    }

    /// Current counters: the shared ones plus every live magazine's.
    func statistics() -> LookasideStatistics {
        var allocates = pointee.shared.allocates.load(ordering: .relaxed)
        var allocateMisses = pointee.shared.allocateMisses.load(ordering: .relaxed)
        var frees = pointee.shared.frees.load(ordering: .relaxed)
        var freeMisses = pointee.shared.freeMisses.load(ordering: .relaxed)
        var cached = pointee.depotCount.load(ordering: .relaxed)
        ThreadRegistry.state.withLock { _ in
            for slot in 0..<ThreadRegistry.slotCount {
                guard let magazine = magazine(inSlot: slot) else { continue }
                allocates &+= magazine.pointee.counters.allocates.load(ordering: .relaxed)
                allocateMisses &+= magazine.pointee.counters.allocateMisses.load(ordering: .relaxed)
                frees &+= magazine.pointee.counters.frees.load(ordering: .relaxed)
                freeMisses &+= magazine.pointee.counters.freeMisses.load(ordering: .relaxed)
                if magazine.pointee.owner == ThreadContext.currentIfAttached {
                    cached += magazine.pointee.count
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
                guard let magazine = magazine(inSlot: slot) else { continue }
                pointee.magazines[slot].store(0, ordering: .releasing)
                // Unlink from the owner's list.
                let owner = magazine.pointee.owner
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
        pointee.magazines.deinitialize(count: ThreadRegistry.slotCount)
        pointee.magazines.deallocate()
        deinitialize(count: 1)
        deallocate()
    }

    /// One depth-tuning step (SPEC §4), from the allocations and misses since the last one.
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
        pointee.depth.store(newDepth, ordering: .relaxed)
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
