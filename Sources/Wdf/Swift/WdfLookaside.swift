public import NtKernel

/// A lookaside-list object: framework memory objects whose buffers come from a lookaside list
/// (no heap allocation once the list is warm). Shared by any number of tasks (it is a
/// `Sendable` class); every ``WdfMemory`` made from it keeps it alive, and the last reference
/// going deletes it. Corresponds to `WDFLOOKASIDE` (`WdfLookasideListCreate`,
/// `WdfMemoryCreateFromLookaside`).
///
/// ```swift
/// let buffers = try WdfLookaside(bufferSize: 512, tag: "SmWb")
/// let memory = try buffers.makeMemory(parent: request)   // deleted with the request at the latest
/// ```
public final class WdfLookaside: Sendable, FrameworkObject {
    let ownership: ObjectOwnership
    let handle: WdfLookasideHandle
    /// The size of every buffer.
    public let bufferSize: Int

    /// The list object's handle (`WDFLOOKASIDE`).
    public var object: WdfObject { ownership.object }

    /// Creates a list of `bufferSize`-byte buffers from `poolType` pool under `tag` (nil: the
    /// driver's tag). Corresponds to `WdfLookasideListCreate`.
    /// - Throws: `.invalidParameter`, explained, for a `bufferSize` under 1 or an invalid tag;
    ///   `.integerOverflow` for a `bufferSize` over 4 GiB; `.insufficientResources`.
    public init(
        bufferSize: Int, poolType: PoolType = .nonPagedNx, tag: PoolTag? = nil, attributes: ObjectAttributes = ObjectAttributes()
    ) throws(NTStatus) {
        guard bufferSize > 0 else { throw NTStatus.invalidParameter.explained("bufferSize must be at least 1") }
        if let tag, !tag.isValid { throw NTStatus.invalidParameter.explained(PoolTag.invalidExplanation) }
        var made: WdfLookasideHandle?
        let object = try createWithAttributes(attributes) { (lowered) throws(NTStatus) in
            let handle = try WdfLookasideHandle.create(attributes: lowered, bufferSize: bufferSize, poolType: poolType, tag: tag)
            made = handle
            return handle.object
        }
        handle = made!
        self.bufferSize = bufferSize
        ownership = ObjectOwnership(adopting: object)
    }

    deinit { ownership.end() }

    /// A memory object whose buffer comes from this list (old contents kept: see
    /// `DriverBuffer.fill(with:)`), parented to `parent`: it is deleted when its owner ends
    /// or with `parent`, whichever comes first. Corresponds to `WdfMemoryCreateFromLookaside`
    /// and `WdfObjectDelete`.
    /// - Throws: `.insufficientResources`.
    public func makeMemory<Parent: FrameworkObject & ~Copyable>(parent: borrowing Parent) throws(NTStatus) -> WdfMemory {
        WdfMemory(adopting: try LookasideObjects.createMemory(from: object, parent: parent.object).object, list: self)
    }

    /// A memory object whose buffer comes from this list, parented as the list's memory
    /// attributes say (the driver). Corresponds to `WdfMemoryCreateFromLookaside`.
    /// - Throws: `.insufficientResources`.
    public func makeMemory() throws(NTStatus) -> WdfMemory {
        WdfMemory(adopting: try LookasideObjects.createMemory(from: object).object, list: self)
    }

    /// The executive list's counters (`LookasideStatistics.hitRate` is a fraction).
    public var statistics: LookasideStatistics { handle.statistics! }
}
