public import NtKernel

/// A framework memory object owned by Swift: a buffer with an object's lifetime. Deleted when the
/// owner's lifetime ends (or by ``delete()``), or earlier with its parent; it cannot be copied,
/// so it cannot be deleted twice. Its bytes are read and written through `DriverBuffer`.
///
/// ```swift
/// let memory = try WdfMemory(size: 64, tag: "SmMm", attributes: ObjectAttributes(parent: request))
/// try memory.copy(from: [1, 2, 3])
/// ```
///
/// Corresponds to `WDFMEMORY` (`WdfMemoryCreate`, `WdfMemoryGetBuffer`, `WdfObjectDelete`).
public struct WdfMemory: ~Copyable, Sendable, FrameworkObject, DriverBuffer {
    let ownership: ObjectOwnership
    /// Where the buffer is, and how big (fixed for the object's life).
    nonisolated(unsafe) let base: UnsafeMutableRawPointer
    /// The buffer's size in bytes. Corresponds to `WdfMemoryGetBuffer(Memory, &Size)`.
    public let byteCount: Int
    /// Keeps the list the buffer came from alive while the memory is (nil for pool memory).
    let list: WdfLookaside?

    /// The memory object's handle (`WDFMEMORY`).
    public var object: WdfObject { ownership.object }

    /// Creates a memory object with a new buffer of `size` bytes (not zeroed: see
    /// `DriverBuffer.fill(with:)`; 16-byte aligned, page-aligned at a page or more), accounted
    /// under `tag` (nil: the driver's tag). Corresponds to `WdfMemoryCreate`.
    /// - Throws: `.invalidParameter`, explained, for a `size` under 1 or an invalid tag;
    ///   `.insufficientResources`; `.deletePending` when the parent is being deleted.
    public init(size: Int, poolType: PoolType = .nonPagedNx, tag: PoolTag? = nil, attributes: ObjectAttributes = ObjectAttributes())
        throws(NTStatus)
    {
        guard size > 0 else { throw NTStatus.invalidParameter.explained("size must be at least 1") }
        if let tag, !tag.isValid { throw NTStatus.invalidParameter.explained(PoolTag.invalidExplanation) }
        let object = try createWithAttributes(attributes) { (lowered) throws(NTStatus) in
            try WdfMemoryHandle.create(attributes: lowered, poolType: poolType, tag: tag, size: size).object
        }
        self.init(adopting: object, list: nil)
    }

    init(adopting object: WdfObject, list: WdfLookaside?) {
        ownership = ObjectOwnership(adopting: object)
        let (buffer, size) = MemoryObjects.buffer(of: object)
        base = buffer
        byteCount = size
        self.list = list
    }

    deinit { ownership.end() }

    /// Deletes the memory object now (its buffer goes back to the pool or its lookaside list).
    /// Corresponds to `WdfObjectDelete`.
    public consuming func delete() {}

    /// Lends the buffer to `body` as raw memory valid only inside `body`. Corresponds to
    /// `WdfMemoryGetBuffer`.
    public func withUnsafeMutableBytes<Result: ~Copyable, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeMutableRawBufferPointer(start: base, count: byteCount))
    }

    /// Lends the object's context of type `Context` to `body`; nil when the object has none.
    /// Corresponds to `WdfObjectGetTypedContext`.
    public func withContext<Context, Result>(_ type: Context.Type, _ body: (inout Context) throws -> Result) rethrows -> Result? {
        try ContextStorage.withContext(object, type, body)
    }
}
