/// A lookaside list that lives in caller-owned storage (`LOOKASIDE_LIST_EX`,
/// `NPAGED_LOOKASIDE_LIST`, `PAGED_LOOKASIDE_LIST`): the routines of the C front door work on
/// it. Its first 16 bytes (the `ListHead`) hold a check word and the address of the list's state,
/// so a list that was never initialized, or was deleted, is recognized instead of followed.
@_spi(Runtime) public struct LookasideHandle: @unchecked Sendable {
    @usableFromInline let core: UnsafeMutablePointer<LookasideCore>

    init(core: UnsafeMutablePointer<LookasideCore>) { self.core = core }

    /// `DRIVER_VERIFIER_DETECTED_VIOLATION` parameter 1 for a list that is not initialized.
    package static let notInitializedViolation: UInt = 0xF0

    @inlinable static var checkWord: UInt { 0x4C6F_6F6B_6173_6964 }  // "Lookasid"

    /// Initializes the list in `storage` with the checks of `ExInitializeLookasideListEx`.
    /// `mirror` receives fresh counters after every tuning scan and flush.
    package static func initialize(
        in storage: UnsafeMutableRawPointer, entrySize: Int, poolType: UInt32, flags: UInt32, tag: PoolTag,
        depth: Int, allocator: LookasideAllocator?, mirror: (@Sendable (LookasideStatistics) -> Void)?,
        routine: StaticString
    ) throws(NTStatus) -> LookasideHandle {
        let core = try LookasideListEx.makeCore(
            entrySize: entrySize, poolType: poolType, flags: flags, tag: tag, depth: depth, allocator: allocator,
            tuner: .shared, mirror: mirror, routine: routine)
        return install(core, in: storage)
    }

    /// Initializes a legacy list (`ExInitialize[N]PagedLookasideList`): nothing is checked,
    /// Depth starts at 4 with a maximum of 256.
    package static func initializeLegacy(
        in storage: UnsafeMutableRawPointer, entrySize: Int, poolType: PoolType, tag: PoolTag,
        allocator: LookasideAllocator?, mirror: (@Sendable (LookasideStatistics) -> Void)?, routine: StaticString
    ) -> LookasideHandle {
        let core = LookasideListEx.makeValidatedCore(
            entrySize: max(8, entrySize), poolType: poolType, raiseOnFailure: false, tag: tag, maximumDepth: 256,
            allocator: allocator, tuner: .shared, mirror: mirror, routine: routine)
        return install(core, in: storage)
    }

    private static func install(_ core: UnsafeMutablePointer<LookasideCore>, in storage: UnsafeMutableRawPointer) -> LookasideHandle {
        let address = UInt(bitPattern: core)
        storage.storeBytes(of: address ^ checkWord, as: UInt.self)
        storage.storeBytes(of: address, toByteOffset: 8, as: UInt.self)
        return LookasideHandle(core: core)
    }

    /// The list initialized in `storage`; bug check `DRIVER_VERIFIER_DETECTED_VIOLATION`
    /// (p1 0xF0, p2 the storage address) when there is none.
    @inlinable @inline(__always)
    public init(resolving storage: UnsafeMutableRawPointer, routine: StaticString) {
        let check = storage.load(as: UInt.self)
        let address = storage.load(fromByteOffset: 8, as: UInt.self)
        guard address != 0, check ^ address == Self.checkWord,
            let core = UnsafeMutablePointer<LookasideCore>(bitPattern: address)
        else { Self.notInitialized(storage, routine: routine) }
        self.core = core
    }

    @usableFromInline @inline(never)
    static func notInitialized(_ storage: UnsafeMutableRawPointer, routine: StaticString) -> Never {
        BugCheck.raise(
            .driverVerifierDetectedViolation, notInitializedViolation, UInt(bitPattern: storage), 0, 0,
            "\(routine): the lookaside list at \(storage) is not initialized (or was deleted)")
    }

    @inlinable @inline(__always)
    package func allocate(routine: StaticString) -> UnsafeMutableRawPointer? { core.allocate(routine: routine) }

    /// An entry from the calling thread's cache, or nil, having done nothing, when taking one
    /// needs more (an empty cache, the thread's first call, a flush to catch up with, an IRQL
    /// too high). For a caller with its own inline fast path and a checked path to fall back
    /// to: no call on the way, so the caller's values need not survive one.
    @inlinable @inline(__always)
    public func allocateCached() -> UnsafeMutableRawPointer? { core.allocateFromMagazine() }

    @inlinable @inline(__always)
    package func free(_ entry: UnsafeMutableRawPointer, routine: StaticString) { core.free(entry, routine: routine) }

    package func flush() { core.flush() }

    /// The size of the list's entries.
    public var entrySize: Int { core.pointee.entrySize }
    package var poolType: PoolType { core.pointee.poolType }
    package var tag: PoolTag { core.pointee.tag }

    package var statistics: LookasideStatistics { core.statistics() }

    /// Deletes the list and clears `storage`, so later calls on it bug check.
    package func delete(clearing storage: UnsafeMutableRawPointer) {
        storage.storeBytes(of: 0, as: UInt.self)
        storage.storeBytes(of: 0, toByteOffset: 8, as: UInt.self)
        core.delete()
    }
}
