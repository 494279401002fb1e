public import NtKernel

/// A minifilter registered from Swift, for extra create parameters (ECPs): unregistered when its
/// last reference goes. Every ECP, ECP list and ECP lookaside list made for it keeps it alive,
/// so it is never unregistered under them. Corresponds to `PFLT_FILTER` from `FltRegisterFilter`
/// (with no operations; the create path is driven from C) and `FltUnregisterFilter`.
///
/// The lifetime model is the one of the `Wdf` module: what one piece of code uses (an
/// ``ExtraCreateParameter``, an ``ExtraCreateParameterList``) is a `~Copyable` owner freed when it
/// ends; what tasks share (a `Minifilter`, an ``EcpLookasideList``) is a `Sendable` class.
public final class Minifilter: Sendable {
    let filter: Filter

    /// Registers a filter for this program. Corresponds to `FltRegisterFilter`.
    /// - Throws: `.insufficientResources`.
    public init() throws(NTStatus) {
        filter = try Filter.register(driver: nil)
    }

    deinit { filter.unregister() }

    /// ECPs allocated for this filter and not freed yet (what unregistering reports as leaks).
    public var outstandingParameters: Int { filter.outstandingEcps }
}

/// An ECP lookaside list: ECP contexts of one size cached in front of the pool. Shared by any
/// number of tasks; every ECP from it keeps it (and its filter) alive, and the last reference
/// deletes it. Corresponds to `FltInitExtraCreateParameterLookasideList`,
/// `FltAllocateExtraCreateParameterFromLookasideList` and `FltDeleteExtraCreateParameterLookasideList`.
public final class EcpLookasideList: Sendable {
    /// Declared before `filter`: stored properties are released in declaration order, so the
    /// list is deleted while its filter is still registered.
    let list: EcpLookaside
    let filter: Minifilter
    /// The context size the list caches (larger ECPs come from the pool under its tag).
    public let contextSize: Int

    /// Creates a list of `contextSize`-byte ECP contexts under `tag`. Corresponds to
    /// `FltInitExtraCreateParameterLookasideList`.
    /// - Throws: `.invalidParameter`, explained, for a `contextSize` outside 1...65535 or an
    ///   invalid tag.
    public init(filter: Minifilter, contextSize: Int, tag: PoolTag, nonPaged: Bool = true) throws(NTStatus) {
        guard (1...65535).contains(contextSize) else { throw NTStatus.invalidParameter.explained("contextSize must be 1...65535") }
        guard tag.isValid else { throw NTStatus.invalidParameter.explained(PoolTag.invalidExplanation) }
        self.filter = filter
        list = EcpLookaside(filter: filter.filter, contextSize: contextSize, tag: tag, nonPaged: nonPaged)
        self.contextSize = contextSize
    }

    /// An ECP of `type` with `size` bytes of context (the list's size by default; from the list
    /// when it fits, else from the pool), zeroed. `cleanup` runs once when the ECP is freed.
    /// Corresponds to `FltAllocateExtraCreateParameterFromLookasideList`.
    /// - Throws: `.invalidParameter`, explained, for a `size` under 1;
    ///   `.integerOverflow` for sizes near 4 GiB; `.insufficientResources`.
    public func allocate(_ type: EcpType, size: Int? = nil, cleanup: (@Sendable (EcpType) -> Void)? = nil) throws(NTStatus)
        -> ExtraCreateParameter
    {
        let size = size ?? contextSize
        guard size > 0 else { throw NTStatus.invalidParameter.explained("size must be at least 1") }
        let context =
            if let cleanup { try list.allocate(type, size: size, cleanup: ExtraCreateParameter.cleanup(cleanup)) } else {
                try list.allocateWithoutCleanup(type, size: size)
            }
        let parameter = ExtraCreateParameter(filter: filter, context: context, type: type, byteCount: size, list: self)
        parameter.fill(with: 0)
        return parameter
    }

    /// The list's counters.
    public var statistics: LookasideStatistics { list.statistics }
}

/// An extra create parameter owned by Swift: freed (its cleanup runs) when the owner ends or by
/// ``free()``, unless it was moved into an ``ExtraCreateParameterList``, which then owns it. Its
/// context is read and written through `DriverBuffer`. Corresponds to the context
/// `FltAllocateExtraCreateParameter` returns and `FltFreeExtraCreateParameter` takes.
public struct ExtraCreateParameter: ~Copyable, @unchecked Sendable, DriverBuffer {
    let filter: Minifilter
    let context: UnsafeMutableRawPointer
    /// Whether this owner still frees the ECP (false once a list took it: see `relinquish()`).
    var owned = true
    let list: EcpLookasideList?
    /// The ECP's type.
    public let type: EcpType
    /// The context's size in bytes.
    public let byteCount: Int

    init(filter: Minifilter, context: UnsafeMutableRawPointer, type: EcpType, byteCount: Int, list: EcpLookasideList?) {
        self.filter = filter
        self.context = context
        self.type = type
        self.byteCount = byteCount
        self.list = list
    }

    /// An ECP of `type` with `size` bytes of context from the pool under `tag`, zeroed.
    /// `cleanup` runs once when it is freed. Corresponds to `FltAllocateExtraCreateParameter`.
    /// - Throws: `.invalidParameter`, explained, for a `size` under 1 or an invalid tag;
    ///   `.integerOverflow` for sizes near 4 GiB; `.insufficientResources`.
    public init(
        filter: Minifilter, type: EcpType, size: Int, tag: PoolTag, cleanup: (@Sendable (EcpType) -> Void)? = nil
    ) throws(NTStatus) {
        guard size > 0 else { throw NTStatus.invalidParameter.explained("size must be at least 1") }
        guard tag.isValid else { throw NTStatus.invalidParameter.explained(PoolTag.invalidExplanation) }
        guard let size32 = UInt32(exactly: size) else { throw .integerOverflow }
        let context = try ExtraCreateParameters.allocate(
            filter: filter.filter, type: type, size: size32, flags: [.nonPagedPool], cleanup: Self.cleanup(cleanup), tag: tag)
        self.init(filter: filter, context: context, type: type, byteCount: size, list: nil)
        fill(with: 0)
    }

    deinit {
        if owned { ExtraCreateParameters.free(filter: filter.filter, context) }
    }

    /// Ends this owner without freeing the ECP (a list took it). A consuming method, not a
    /// store to the consumed parameter in `insert`: with such a store, Swift 6.3 skips the
    /// parameter's deinit on the path that throws, and the rejected ECP would leak.
    consuming func relinquish() { owned = false }

    /// Frees the ECP now (its cleanup runs). Corresponds to `FltFreeExtraCreateParameter`.
    public consuming func free() {}

    /// Lends the context to `body` as raw memory valid only inside `body`.
    public func withUnsafeMutableBytes<Result: ~Copyable, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeMutableRawBufferPointer(start: context, count: byteCount))
    }

    static func cleanup(_ callback: (@Sendable (EcpType) -> Void)?) -> EcpCleanup {
        guard let callback else { return .none }
        return .callback { _, type in callback(type) }
    }
}

/// Whether an ``ExtraCreateParameter`` owner still frees its ECP.
/// An ECP list owned by Swift: freed with the ECPs in it (each cleanup runs once) when the owner
/// ends or by ``free()``. Corresponds to `PECP_LIST` from `FltAllocateExtraCreateParameterList`,
/// `FltInsertExtraCreateParameter`, `FltFindExtraCreateParameter`, `FltGetNextExtraCreateParameter`
/// and `FltFreeExtraCreateParameterList`.
public struct ExtraCreateParameterList: ~Copyable, @unchecked Sendable {
    let filter: Minifilter
    let list: EcpList

    /// An empty list. Corresponds to `FltAllocateExtraCreateParameterList`.
    /// - Throws: `.insufficientResources`.
    public init(filter: Minifilter) throws(NTStatus) {
        self.filter = filter
        list = try EcpList.allocate(filter: filter.filter)
    }

    deinit { list.free() }

    /// Frees the list and its ECPs now. Corresponds to `FltFreeExtraCreateParameterList`.
    public consuming func free() {}

    /// Moves `parameter` into the list, which then owns it. Corresponds to
    /// `FltInsertExtraCreateParameter`.
    /// - Throws: `.invalidParameter` when the list has an ECP of that type already (the
    ///   parameter is then freed).
    public func insert(_ parameter: consuming ExtraCreateParameter) throws(NTStatus) {
        try list.insert(parameter.context)
        parameter.relinquish()
    }

    /// The number of ECPs in the list.
    public var count: Int { list.count }

    /// The types of the ECPs, in insertion order (`FltGetNextExtraCreateParameter`).
    public var types: [EcpType] { list.map(\.type) }

    /// A copy of the context of the ECP of `type`, or nil when the list has none. Corresponds to
    /// `FltFindExtraCreateParameter`.
    public func context(of type: EcpType) -> [UInt8]? {
        guard let found = try? list.find(type) else { return nil }
        return Array(UnsafeRawBufferPointer(start: found.context, count: found.size))
    }

    /// Marks the ECP of `type` acknowledged (a filter that used it says so). Corresponds to
    /// `FltAcknowledgeEcp`.
    /// - Throws: `.notFound` when the list has no ECP of `type`.
    public func acknowledge(_ type: EcpType) throws(NTStatus) {
        ExtraCreateParameters.acknowledge(filter: filter.filter, try list.find(type).context)
    }

    /// Whether the ECP of `type` is acknowledged (nil when the list has none). Corresponds to
    /// `FltIsEcpAcknowledged`.
    public func isAcknowledged(_ type: EcpType) -> Bool? {
        guard let found = try? list.find(type) else { return nil }
        return ExtraCreateParameters.isAcknowledged(filter: filter.filter, found.context)
    }
}
