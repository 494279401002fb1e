@_spi(Runtime) package import NtKernel

/// Caller storage (an `NPAGED_LOOKASIDE_LIST` or `PAGED_LOOKASIDE_LIST`) holding an ECP
/// lookaside list: what the C routines pass as `PVOID Lookaside`.
@usableFromInline package struct EcpLookasideStorage: @unchecked Sendable {
    @usableFromInline package let storage: UnsafeMutableRawPointer
    @inlinable package init(_ storage: UnsafeMutableRawPointer) { self.storage = storage }

    /// Bytes the storage must have (the size of `NPAGED_LOOKASIDE_LIST`).
    package static let byteCount = 128

    /// Initializes an ECP lookaside list whose entries hold `size` bytes of context plus the
    /// header, non-paged with `nonPaged` (callable up to DISPATCH_LEVEL) else paged (up to
    /// APC_LEVEL). Corresponds to `FltInitExtraCreateParameterLookasideList`.
    package static func initialize(
        _ storage: UnsafeMutableRawPointer, filter: Filter, nonPaged: Bool, size: Int, tag: PoolTag,
        mirror: (@Sendable (LookasideStatistics) -> Void)? = nil
    ) -> EcpLookasideStorage {
        let routine: StaticString = "FltInitExtraCreateParameterLookasideList"
        requireIrql(nonPaged: nonPaged, routine: routine)
        _ = FilterTable.resolve(filter, routine: routine)
        // A size no entry can have (the C `SIZE_T` of 2^63 and up arrives as `Int.max`) makes
        // a list whose allocations fail, never an overflow.
        let header = ExtraCreateParameters.headerSize
        let entrySize = size > Int.max - header ? Int.max : Swift.max(0, size) + header
        let list = LookasideHandle.initializeLegacy(
            in: storage, entrySize: entrySize, poolType: nonPaged ? .nonPagedNx : .paged,
            tag: tag, allocator: nil, mirror: mirror, routine: routine)
        // The list counts its ECPs for the filter (see `Filter.outstandingEcps`).
        FilterTable.attachLookaside(storage, list: list, owner: filter)
        return EcpLookasideStorage(storage)
    }

    /// Deletes the list. ECPs still outstanding from it are not freed: they are reported as
    /// leaks. Corresponds to `FltDeleteExtraCreateParameterLookasideList`.
    /// - Returns: the number of ECPs reported as leaked.
    @discardableResult
    package func delete(filter: Filter, nonPaged: Bool) -> Int {
        let routine: StaticString = "FltDeleteExtraCreateParameterLookasideList"
        Self.requireIrql(nonPaged: nonPaged, routine: routine)
        _ = FilterTable.resolve(filter, routine: routine)
        let list = LookasideHandle(resolving: storage, routine: routine)
        // Its outstanding ECPs stay the filter's (reported again at unregistration).
        let outstanding = FilterTable.detachLookaside(storage, list: list)
        if outstanding > 0 {
            VerifierLog.report(
                "\(routine): \(outstanding) extra create parameter(s) from the list at \(storage) (tag '\(list.tag)') were never freed (leaked)")
        }
        list.delete(clearing: storage)
        return max(0, outstanding)
    }

    static func requireIrql(nonPaged: Bool, routine: StaticString) {
        let limit: Irql = nonPaged ? .dispatch : .apc
        let irql = Irql.current
        if irql > limit { BugCheck.irqlTooHigh("\(routine)", limit: limit, current: irql) }
    }
}

/// An ECP lookaside list owned by Swift code: storage and list together, deleted with the object.
package final class EcpLookaside: @unchecked Sendable {
    package let filter: Filter
    package let nonPaged: Bool
    let storage: EcpLookasideStorage

    /// Corresponds to `FltInitExtraCreateParameterLookasideList`.
    package init(filter: Filter, contextSize: Int, tag: PoolTag, nonPaged: Bool = true) {
        self.filter = filter
        self.nonPaged = nonPaged
        let memory = UnsafeMutableRawPointer.allocate(byteCount: EcpLookasideStorage.byteCount, alignment: 64)
        storage = EcpLookasideStorage.initialize(memory, filter: filter, nonPaged: nonPaged, size: contextSize, tag: tag)
    }

    deinit {
        storage.delete(filter: filter, nonPaged: nonPaged)
        storage.storage.deallocate()
    }

    /// An ECP of `type` with `size` bytes of context (from the list when it fits). Corresponds
    /// to `FltAllocateExtraCreateParameterFromLookasideList`.
    package func allocate(
        _ type: EcpType, size: Int, flags: EcpAllocationFlags = [], cleanup: EcpCleanup = .none
    ) throws(NTStatus) -> UnsafeMutableRawPointer {
        guard let size32 = UInt32(exactly: size) else { throw .integerOverflow }
        return try ExtraCreateParameters.allocate(
            filter: filter, type: type, size: size32, flags: flags, cleanup: cleanup, from: storage)
    }

    /// `allocate(_:size:)` for an ECP without cleanup: the C door's inline path (an entry of
    /// the calling thread's cache, with the filter and IRQL checks it makes) when it applies,
    /// else the checked path.
    @inline(__always)
    package func allocateWithoutCleanup(_ type: EcpType, size: Int) throws(NTStatus) -> UnsafeMutableRawPointer {
        if let size32 = UInt32(exactly: size),
            let result = withUnsafeBytes(of: type, { bytes in
                ExtraCreateParameters.allocateFromList(
                    filter: filter, typeAt: bytes.baseAddress.unsafelyUnwrapped, size: size32, cleanupRoutine: 0, from: storage)
            })
        {
            return try result.get()
        }
        return try allocate(type, size: size)
    }

    /// Corresponds to `FltFreeExtraCreateParameter`.
    package func free(_ context: UnsafeMutableRawPointer) { ExtraCreateParameters.free(filter: filter, context) }

    /// The list's counters.
    package var statistics: LookasideStatistics { LookasideHandle(resolving: storage.storage, routine: "statistics").statistics }
}

extension EcpLookaside {
    /// A typed ECP: `value` stored in a context of `Context`'s size (from the list when it
    /// fits). The pointer stays valid until the ECP is freed.
    package func allocate<Context: BitwiseCopyable>(
        _ type: EcpType, _ value: Context, flags: EcpAllocationFlags = [], cleanup: EcpCleanup = .none
    ) throws(NTStatus) -> UnsafeMutablePointer<Context> {
        let context = try allocate(type, size: MemoryLayout<Context>.size, flags: flags, cleanup: cleanup)
        return context.initializeMemory(as: Context.self, repeating: value, count: 1)
    }
}
