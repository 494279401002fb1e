/// A block of pool memory that Swift owns: allocated by the initializer, freed (with its tag)
/// when the owner's lifetime ends or by ``free()``. It cannot be copied, so it cannot be freed
/// twice or forgotten; it can be moved to another task (`Sendable`).
///
/// ```swift
/// let block = try PoolBlock(.nonPagedNx, byteCount: 200, tag: "Samp")
/// try block.copy(from: [1, 2, 3])
/// ```
///
/// Corresponds to `ExAllocatePoolWithTag` and `ExFreePoolWithTag`.
public struct PoolBlock: ~Copyable, @unchecked Sendable, DriverBuffer {
    let base: UnsafeMutableRawPointer
    /// The bytes asked for (the block's usable size).
    public let byteCount: Int
    /// The tag the block is accounted under (and freed with).
    public let tag: PoolTag

    /// Allocates `byteCount` bytes of `type` pool under `tag`, not zeroed unless `type` has
    /// `.zeroAllocation` (use ``DriverBuffer/fill(with:)``). Corresponds to `ExAllocatePoolWithTag`.
    /// - Throws: `.invalidParameter` for a `byteCount` under 1 or a tag that is not one
    ///   (``PoolTag/invalid``), `.insufficientResources` when there is no memory. Stops as the C
    ///   routine does only for what C cannot survive either: must-succeed pool, or an IRQL above
    ///   the pool's (`BAD_POOL_CALLER`).
    public init(_ type: PoolType = .nonPagedNx, byteCount: Int, tag: PoolTag) throws(NTStatus) {
        guard byteCount > 0 else { throw NTStatus.invalidParameter.explained("byteCount must be at least 1") }
        guard tag.isValid else { throw NTStatus.invalidParameter.explained(PoolTag.invalidExplanation) }
        // A failure is thrown, never raised: POOL_RAISE_IF_ALLOCATION_FAILURE is dropped.
        base = try Pool.allocate(PoolType(rawValue: type.rawValue & ~PoolType.raiseIfAllocationFailure.rawValue), byteCount: byteCount, tag: tag)
        self.byteCount = byteCount
        self.tag = tag
    }

    deinit { Pool.free(base, tag: tag) }

    /// Frees the block now. Corresponds to `ExFreePoolWithTag`.
    public consuming func free() {}

    /// Lends the block to `body` as raw memory valid only inside `body`.
    public func withUnsafeMutableBytes<Result: ~Copyable, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeMutableRawBufferPointer(start: base, count: byteCount))
    }
}

extension PoolTag {
    /// What a Swift routine's status says about a tag that is not one.
    package static var invalidExplanation: String { "tag must be 1-4 printable ASCII characters" }
}

extension Pool {
    /// Allocates a block, lends it to `body`, and frees it afterwards. Corresponds to
    /// `ExAllocatePoolWithTag` and `ExFreePoolWithTag` around the code that uses the block.
    /// - Throws: what ``PoolBlock/init(_:byteCount:tag:)`` throws (`body` does not run), or
    ///   what `body` throws.
    public static func withAllocation<Result: ~Copyable>(
        _ type: PoolType = .nonPagedNx, byteCount: Int, tag: PoolTag, _ body: (borrowing PoolBlock) throws(NTStatus) -> Result
    ) throws(NTStatus) -> Result {
        let block = try PoolBlock(type, byteCount: byteCount, tag: tag)
        return try body(block)
    }
}
