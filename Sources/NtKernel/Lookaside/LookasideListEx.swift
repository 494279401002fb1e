/// What an allocation from a lookaside list does when no entry can be had.
@usableFromInline package enum LookasideFailurePolicy: Sendable {
    /// Return nothing (the Swift API throws `.insufficientResources`; C gets NULL).
    case returnNull
    /// `EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL`: raise `STATUS_INSUFFICIENT_RESOURCES`.
    case raise
}

/// An executive lookaside list: a cache of fixed-size entries in front of the pool (or of your
/// own allocate and free routines), with a Depth that tunes itself.
///
/// Allocation and free are safe from any number of threads and take no lock on the common path:
/// each thread keeps up to ``LookasideListEx/threadCacheCapacity`` entries of its own, in front of a
/// shared depot that holds the rest. For one thread the Depth rule of the Windows list holds
/// exactly (at most Depth entries cached); with several threads, each may cache up to that many
/// more. Corresponds to `LOOKASIDE_LIST_EX` and the `Ex…LookasideListEx` routines.
@usableFromInline package final class LookasideListEx: @unchecked Sendable {
    let core: UnsafeMutablePointer<LookasideCore>

    /// Entries a thread keeps for itself per list, on top of the shared depot.
    package static let threadCacheCapacity = LookasideMagazine.capacity

    /// Creates a list. Corresponds to `ExInitializeLookasideListEx`; the checks come in its order.
    ///
    /// - Parameters:
    ///   - entrySize: bytes per entry (raised to at least 8).
    ///   - poolType: the pool entries come from (non-paged lists work up to `DISPATCH_LEVEL`,
    ///     paged ones up to `APC_LEVEL`).
    ///   - tag: the pool tag of the entries.
    ///   - depth: 0 (maximum Depth 256) or 256...1024 (the maximum Depth). Depth starts at 4.
    ///   - failurePolicy: what an allocation that cannot be served does.
    ///   - allocator: your own allocate and free routines, or nil for the pool.
    ///   - tuner: the depth tuner (``LookasideTuner/shared`` runs in real time).
    /// - Throws: `.invalidParameter8` for a bad depth, `.invalidParameter4` for a bad pool type.
    package convenience init(
        entrySize: Int, poolType: PoolType = .nonPaged, tag: PoolTag, depth: Int = 0,
        failurePolicy: LookasideFailurePolicy = .returnNull, allocator: LookasideAllocator? = nil,
        tuner: LookasideTuner = .shared
    ) throws(NTStatus) {
        let core = try Self.makeCore(
            entrySize: entrySize, poolType: poolType.rawValue, flags: failurePolicy == .raise ? 1 : 0, tag: tag,
            depth: depth, allocator: allocator, tuner: tuner, mirror: nil, routine: "ExInitializeLookasideListEx")
        self.init(core: core)
    }

    init(core: UnsafeMutablePointer<LookasideCore>) { self.core = core }

    deinit { core.delete() }

    /// Validates the parameters in the order of `ExInitializeLookasideListEx` and builds a list.
    static func makeCore(
        entrySize: Int, poolType: UInt32, flags: UInt32, tag: PoolTag, depth: Int, allocator: LookasideAllocator?,
        tuner: LookasideTuner, mirror: (@Sendable (LookasideStatistics) -> Void)?, routine: StaticString
    ) throws(NTStatus) -> UnsafeMutablePointer<LookasideCore> {
        let maximumDepth: Int
        switch depth {
        case 0: maximumDepth = 256
        case 256...1024: maximumDepth = depth
        default: throw .invalidParameter8
        }
        let size = max(8, entrySize)
        guard flags <= 2 else { throw .invalidParameter5 }
        guard poolType & ~0x3E7 == 0, poolType & 3 != 3 else { throw .invalidParameter4 }
        return makeValidatedCore(
            entrySize: size, poolType: PoolType(rawValue: poolType), raiseOnFailure: flags == 1, tag: tag,
            maximumDepth: maximumDepth, allocator: allocator, tuner: tuner, mirror: mirror, routine: routine)
    }

    /// Builds a list from parameters already checked (the legacy routines check nothing).
    static func makeValidatedCore(
        entrySize: Int, poolType: PoolType, raiseOnFailure: Bool, tag: PoolTag, maximumDepth: Int,
        allocator: LookasideAllocator?, tuner: LookasideTuner, mirror: (@Sendable (LookasideStatistics) -> Void)?,
        routine: StaticString
    ) -> UnsafeMutablePointer<LookasideCore> {
        let irql = Irql.current
        if irql > poolType.irqlLimit { BugCheck.irqlTooHigh("\(routine)", limit: poolType.irqlLimit, current: irql) }
        let core = UnsafeMutablePointer<LookasideCore>.allocate(capacity: 1)
        core.initialize(to: LookasideCore(
            entrySize: entrySize, poolType: poolType, tag: tag, maximumDepth: maximumDepth,
            raiseOnFailure: raiseOnFailure, allocator: allocator, name: routine))
        core.pointee.mirror = mirror
        core.pointee.tuner = tuner
        tuner.register(core)
        core.publish()
        return core
    }

    /// The list as a plain value, for callers that keep it alive themselves and want no
    /// reference counting on their hot path.
    package var handle: LookasideHandle { LookasideHandle(core: core) }

    /// The size of each entry.
    package var entrySize: Int { core.pointee.entrySize }
    package var poolType: PoolType { core.pointee.poolType }
    package var tag: PoolTag { core.pointee.tag }

    /// Takes an entry (old contents are kept when it is recycled). Corresponds to
    /// `ExAllocateFromLookasideListEx`.
    /// - Throws: `.insufficientResources` when the cache is empty and the allocate routine fails.
    @inlinable
    package func allocate() throws(NTStatus) -> UnsafeMutableRawPointer {
        guard let entry = allocateEntry() else { throw .insufficientResources }
        return entry
    }

    @usableFromInline
    func allocateEntry() -> UnsafeMutableRawPointer? { core.allocate(routine: "ExAllocateFromLookasideListEx") }

    /// Gives an entry back. Corresponds to `ExFreeToLookasideListEx`.
    package func free(_ entry: UnsafeMutableRawPointer) { core.free(entry, routine: "ExFreeToLookasideListEx") }

    /// Lends an entry to `body` as a buffer of ``entrySize`` bytes and gives it back afterwards.
    package func withEntry<Result, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        guard let entry = allocateEntry() else {
            BugCheck.raiseStatus(.insufficientResources, in: "LookasideListEx.withEntry")
        }
        defer { free(entry) }
        return try body(UnsafeMutableRawBufferPointer(start: entry, count: entrySize))
    }

    /// Frees every cached entry through the free routine. Corresponds to `ExFlushLookasideListEx`.
    package func flush() { core.flush() }

    /// The counters (exact when the threads using the list are quiet).
    package var statistics: LookasideStatistics { core.statistics() }
}
