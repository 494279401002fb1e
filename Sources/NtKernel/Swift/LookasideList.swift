/// An executive lookaside list for Swift: a cache of fixed-size entries in front of the pool,
/// with a Depth that tunes itself; per-thread caches in front of a shared depot, so any number
/// of tasks may share one list (it is `Sendable`) and take entries without a lock.
///
/// The list is a class: it lives while anything uses it, and every ``LookasideEntry`` keeps
/// its list alive, so a list is never deleted under its entries. The last reference going
/// deletes it. Corresponds to `LOOKASIDE_LIST_EX` with `ExInitializeLookasideListEx`,
/// `ExAllocateFromLookasideListEx`, `ExFreeToLookasideListEx` and `ExDeleteLookasideListEx`.
///
/// ```swift
/// let list = try LookasideList(entrySize: 256, tag: "SmRq")
/// let entry = try list.allocate()        // given back when `entry` ends
/// try entry.copy(from: [1, 2, 3])
/// ```
public final class LookasideList: Sendable {
    let list: LookasideListEx
    let core: LookasideHandle

    /// Creates a list. Corresponds to `ExInitializeLookasideListEx` (with the pool's allocate
    /// and free routines and no flags).
    /// - Parameters:
    ///   - entrySize: bytes per entry, at least 1 (raised to 8 internally).
    ///   - poolType: the pool entries come from (paged lists work up to `APC_LEVEL`).
    ///   - tag: the entries' pool tag.
    ///   - depth: 0 (maximum Depth 256) or 256...1024 (the maximum Depth).
    /// - Throws: `.invalidParameter`, explained, for an `entrySize` under 1, a `depth` out of
    ///   range, a pool type that is not one, or an invalid tag.
    public init(entrySize: Int, poolType: PoolType = .nonPagedNx, tag: PoolTag, depth: Int = 0) throws(NTStatus) {
        guard entrySize > 0, entrySize <= Int(UInt32.max) else {
            throw NTStatus.invalidParameter.explained("entrySize must be 1...4294967295")
        }
        guard depth == 0 || (256...1024).contains(depth) else {
            throw NTStatus.invalidParameter.explained("depth must be 0 or 256...1024")
        }
        guard tag.isValid else { throw NTStatus.invalidParameter.explained(PoolTag.invalidExplanation) }
        let list: LookasideListEx
        do {
            list = try LookasideListEx(entrySize: entrySize, poolType: poolType, tag: tag, depth: depth)
        } catch {
            throw error == .invalidParameter4
                ? NTStatus.invalidParameter.explained("poolType must be a paged or non-paged pool type") : error
        }
        self.list = list
        core = list.handle
    }

    /// The size of every entry.
    public var entrySize: Int { list.entrySize }
    /// The pool the entries come from.
    public var poolType: PoolType { list.poolType }
    /// The entries' pool tag.
    public var tag: PoolTag { list.tag }

    /// Takes an entry (its old contents are kept when it is recycled: see
    /// ``DriverBuffer/fill(with:)``). Corresponds to `ExAllocateFromLookasideListEx`.
    /// - Throws: `.insufficientResources` when the cache is empty and the pool has no memory.
    public func allocate() throws(NTStatus) -> LookasideEntry {
        LookasideEntry(list: self, address: try list.allocate())
    }

    /// Lends an entry to `body` and gives it back afterwards. Corresponds to
    /// `ExAllocateFromLookasideListEx` and `ExFreeToLookasideListEx` around the code using it.
    /// - Throws: `.insufficientResources` (then `body` does not run), or what `body` throws.
    public func withEntry<Result: ~Copyable>(_ body: (borrowing LookasideEntry) throws(NTStatus) -> Result) throws(NTStatus) -> Result {
        let entry = try allocate()
        return try body(entry)
    }

    /// Frees every cached entry back to the pool. Corresponds to `ExFlushLookasideListEx`.
    public func flush() { list.flush() }

    /// The counters (exact when the threads using the list are quiet), as the public fields of
    /// `GENERAL_LOOKASIDE` show them.
    public var statistics: LookasideStatistics { list.statistics }
}

/// An entry taken from a ``LookasideList``: given back to its list when the owner's lifetime
/// ends (or by ``free()``); it keeps its list alive meanwhile. It cannot be copied, so it
/// cannot be given back twice; it can move to another task. Corresponds to the buffer
/// `ExAllocateFromLookasideListEx` returns and `ExFreeToLookasideListEx` takes.
public struct LookasideEntry: ~Copyable, @unchecked Sendable, DriverBuffer {
    let list: LookasideList
    let address: UnsafeMutableRawPointer

    init(list: LookasideList, address: UnsafeMutableRawPointer) {
        self.list = list
        self.address = address
    }

    deinit { list.list.free(address) }

    /// Gives the entry back now. Corresponds to `ExFreeToLookasideListEx`.
    public consuming func free() {}

    /// The entry's size (its list's `entrySize`).
    public var byteCount: Int { list.core.entrySize }

    /// Lends the entry to `body` as raw memory valid only inside `body`.
    public func withUnsafeMutableBytes<Result: ~Copyable, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeMutableRawBufferPointer(start: address, count: byteCount))
    }
}
