public import Synchronization
@_spi(Runtime) public import NtKernel

/// What runs when an ECP is freed: nothing, a Swift closure, or a C routine
/// `VOID Cleanup(PVOID EcpContext, LPCGUID EcpType)`.
package enum EcpCleanup: Sendable {
    case none
    case callback(@Sendable (_ context: UnsafeMutableRawPointer, _ type: EcpType) -> Void)
    /// The address of a C cleanup routine.
    case cRoutine(address: UInt)
}

/// `FSRTL_ALLOCATE_ECP_FLAGS`.
package struct EcpAllocationFlags: OptionSet, Sendable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }
    /// `FSRTL_ALLOCATE_ECP_FLAG_CHARGE_QUOTA`.
    package static let chargeQuota = EcpAllocationFlags(rawValue: 0x1)
    /// `FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL`.
    package static let nonPagedPool = EcpAllocationFlags(rawValue: 0x2)
}

/// The hidden header in front of every ECP context (80 bytes, so the context stays 16-byte
/// aligned): type, cleanup, flags, size, source lookaside, owning filter, list links.
///
/// Laid out for the allocation fast path, which writes it with four stores: magic, size and
/// flags; the type; the cleanup and the list (0); the source list. `next` is written when the
/// ECP joins a list (the only time it is read); `filter` only for a pool ECP (an ECP from a list
/// is its list's owner's). The fast paths use the offsets of `EcpLayout`.
struct EcpHeader {
    var magic: UInt32
    var size: UInt32
    var flags: UInt32
    var reserved: UInt32
    var type: EcpType
    /// The cleanup: a C routine's address, or (with `swiftCleanup` in `flags`) a retained
    /// `CleanupBox`; 0 for none.
    var cleanup: UInt
    /// The list that holds this ECP, or 0.
    var list: UInt
    /// The caller storage of the ECP lookaside list the memory came from, or 0 (pool).
    var lookaside: UInt
    /// The next ECP's context in the list that holds this one (0 at the tail). Meaningful only
    /// while `list` is not 0.
    var next: UInt
    /// The filter that allocated a pool ECP. Meaningful only while `lookaside` is 0.
    var filter: UInt
    var reserved2: UInt

    static var size: Int { EcpLayout.size }
    static var liveMagic: UInt32 { EcpLayout.liveMagic }
    static var freedMagic: UInt32 { EcpLayout.freedMagic }

    static var acknowledged: UInt32 { 0x1 }
    static var fromUserMode: UInt32 { 0x2 }
    /// `cleanup` is a retained `CleanupBox`, not a C routine.
    static var swiftCleanup: UInt32 { 0x4 }

    /// Whether `EcpLayout` matches the struct (a test checks it).
    static var layoutIsConsistent: Bool {
        MemoryLayout<EcpHeader>.size == EcpLayout.size
            && MemoryLayout<EcpHeader>.offset(of: \.magic) == EcpLayout.magicAndSize
            && MemoryLayout<EcpHeader>.offset(of: \.size) == EcpLayout.magicAndSize + 4
            && MemoryLayout<EcpHeader>.offset(of: \.flags) == EcpLayout.magicAndSize + 8
            && MemoryLayout<EcpHeader>.offset(of: \.reserved) == EcpLayout.magicAndSize + 12
            && MemoryLayout<EcpHeader>.offset(of: \.type) == EcpLayout.type
            && MemoryLayout<EcpHeader>.offset(of: \.cleanup) == EcpLayout.cleanup
            && MemoryLayout<EcpHeader>.offset(of: \.list) == EcpLayout.list
            && MemoryLayout<EcpHeader>.offset(of: \.list) == EcpLayout.cleanup + 8
            && MemoryLayout<EcpHeader>.offset(of: \.lookaside) == EcpLayout.lookaside
    }

    @inline(__always)
    static func of(_ context: UnsafeMutableRawPointer) -> UnsafeMutablePointer<EcpHeader> {
        (context - size).assumingMemoryBound(to: EcpHeader.self)
    }
}

/// Byte offsets of `EcpHeader`'s fields, for the inlinable fast paths (checked against the
/// struct by `EcpHeader.layoutIsConsistent`).
@usableFromInline
enum EcpLayout {
    @inlinable static var size: Int { 80 }
    /// Magic and size, then flags and a reserved word: 16 bytes.
    @inlinable static var magicAndSize: Int { 0 }
    @inlinable static var type: Int { 16 }
    /// The cleanup, then the list: 16 bytes.
    @inlinable static var cleanup: Int { 32 }
    @inlinable static var list: Int { 40 }
    @inlinable static var lookaside: Int { 48 }
    @inlinable static var liveMagic: UInt32 { 0x4563_7041 }  // "ApcE"
    @inlinable static var freedMagic: UInt32 { 0x4563_7046 }  // "FpcE"
}

final class CleanupBox: @unchecked Sendable {
    let body: @Sendable (UnsafeMutableRawPointer, EcpType) -> Void
    init(_ body: @escaping @Sendable (UnsafeMutableRawPointer, EcpType) -> Void) { self.body = body }
}

/// Checks an ECP pointer without reading memory the pool does not own:
/// `DRIVER_VERIFIER_DETECTED_VIOLATION` with p1 0xE0 (not an ECP), 0xE1 (already freed),
/// 0xE2 (freed while still in a list).
enum EcpCheck {
    static var notAnEcp: UInt { 0xE0 }
    static var alreadyFreed: UInt { 0xE1 }
    static var stillInList: UInt { 0xE2 }

    /// The header of a live ECP. A context recorded in `LiveEcps` is one (no further check);
    /// anything else goes through the pool's check before its memory is read.
    @inline(__always)
    static func header(_ context: UnsafeMutableRawPointer?, routine: StaticString) -> UnsafeMutablePointer<EcpHeader> {
        if let context, LiveEcps.contains(context) { return EcpHeader.of(context) }
        return fullCheck(context, routine: routine)
    }

    @inline(never)
    static func fullCheck(_ context: UnsafeMutableRawPointer?, routine: StaticString) -> UnsafeMutablePointer<EcpHeader> {
        guard let context else { fail(notAnEcp, nil, "\(routine): the ECP context is NULL") }
        let block = context - EcpHeader.size
        switch Pool.blockStatus(block) {
        case .allocated:
            let header = EcpHeader.of(context)
            switch header.pointee.magic {
            case EcpHeader.liveMagic: return header
            case EcpHeader.freedMagic: fail(alreadyFreed, context, "\(routine): the ECP at \(context) was already freed")
            default: fail(notAnEcp, context, "\(routine): \(context) is not an extra create parameter")
            }
        case .free:
            fail(alreadyFreed, context, "\(routine): the ECP at \(context) was already freed")
        case .notABlock:
            fail(notAnEcp, context, "\(routine): \(context) is not an extra create parameter")
        }
    }

    @inline(never)
    static func fail(_ reason: UInt, _ context: UnsafeMutableRawPointer?, _ explanation: String) -> Never {
        BugCheck.raise(.driverVerifierDetectedViolation, reason, UInt(bitPattern: context), 0, 0, explanation)
    }

    /// ECP routines run at IRQL <= APC_LEVEL.
    @inline(__always)
    static func requireApc(_ routine: StaticString) {
        let irql = Irql.current
        if irql > .apc { irqlTooHigh(routine, irql) }
    }

    @inline(never)
    static func irqlTooHigh(_ routine: StaticString, _ irql: Irql) -> Never {
        BugCheck.irqlTooHigh("\(routine)", limit: .apc, current: irql)
    }
}

/// Allocating, freeing and acknowledging ECPs. Contexts are not zeroed.
@usableFromInline package enum ExtraCreateParameters {
    /// Bytes of header in front of every context.
    package static var headerSize: Int { EcpHeader.size }

    /// Takes an ECP from an ECP lookaside list when `size` fits its entries (the quota flag is
    /// ignored), else from pool with the list's tag, the pool type from `flags` and the quota
    /// flag honoured. Corresponds to `FltAllocateExtraCreateParameterFromLookasideList`.
    /// - Throws: `.integerOverflow` for sizes near 4 GiB, `.insufficientResources`.
    package static func allocate(
        filter: Filter, type: EcpType, size: UInt32, flags: EcpAllocationFlags, cleanup: EcpCleanup,
        from lookaside: EcpLookasideStorage
    ) throws(NTStatus) -> UnsafeMutableRawPointer {
        let (block, source) = try lookasideOrPoolBlock(filter: filter, size: size, flags: flags, from: lookaside)
        return finish(block, filter: filter, type: type, size: size, cleanup: cleanup, lookaside: source)
    }

    /// `allocate(filter:type:size:flags:cleanup:from:)` with the cleanup given as the address of
    /// a C routine `VOID Cleanup(PVOID EcpContext, LPCGUID EcpType)` (0: none): what the C front
    /// door passes, without an enum to build and destroy per call.
    package static func allocate(
        filter: Filter, type: EcpType, size: UInt32, flags: EcpAllocationFlags, cleanupRoutine: UInt,
        from lookaside: EcpLookasideStorage
    ) throws(NTStatus) -> UnsafeMutableRawPointer {
        let (block, source) = try lookasideOrPoolBlock(filter: filter, size: size, flags: flags, from: lookaside)
        return finish(block, filter: filter, type: type, size: size, cleanup: cleanupRoutine, isSwift: false, lookaside: source)
    }

    /// `allocate(filter:type:size:flags:cleanupRoutine:from:)` for the common case, inlined into
    /// its caller (the C front door), with the type read from memory laid out like the C `GUID`:
    /// when the IRQL and the filter are fine and the context fits the list, the ECP is taken from
    /// the list here. Returns nil, having done nothing, for anything else: the caller then calls
    /// `allocate(filter:type:size:flags:cleanupRoutine:from:)`, which checks everything in the
    /// documented order.
    @_spi(Runtime) @inlinable @inline(__always)
    public static func allocateFromList(
        filter: Filter, typeAt type: UnsafeRawPointer, size: UInt32, cleanupRoutine: UInt, from lookaside: EcpLookasideStorage
    ) -> Result<UnsafeMutableRawPointer, NTStatus>? {
        let routine: StaticString = "FltAllocateExtraCreateParameterFromLookasideList"
        guard Irql.current <= .apc, let words = EcpHotTable.words, FilterTable.isRegistered(filter, in: words) else { return nil }
        // The general path's next check, with the same bug check for a list that is not one.
        let list = LookasideHandle(resolving: lookaside.storage, routine: routine)
        guard Int(size) &+ EcpLayout.size <= list.entrySize else { return nil }
        // Counted by the list: no counter of the filter's is written here. An empty cache (or
        // anything else the list does not do inline) takes the checked path.
        guard let block = list.allocateCached() else { return nil }
        // Four stores (see `EcpHeader`); a recycled entry keeps its old contents elsewhere.
        block.storeBytes(
            of: SIMD2<UInt64>(UInt64(EcpLayout.liveMagic) | UInt64(size) &<< 32, 0), toByteOffset: EcpLayout.magicAndSize,
            as: SIMD2<UInt64>.self)
        block.storeBytes(of: type.loadUnaligned(as: SIMD2<UInt64>.self), toByteOffset: EcpLayout.type, as: SIMD2<UInt64>.self)
        block.storeBytes(of: SIMD2<UInt64>(UInt64(cleanupRoutine), 0), toByteOffset: EcpLayout.cleanup, as: SIMD2<UInt64>.self)
        block.storeBytes(of: UInt(bitPattern: lookaside.storage), toByteOffset: EcpLayout.lookaside, as: UInt.self)
        let context = block + EcpLayout.size
        LiveEcps.slot(for: context, in: words).pointee.store(UInt(bitPattern: context), ordering: .relaxed)
        return .success(context)
    }

    /// The memory for an ECP: an entry of the list when it fits, else a pool block. Returns the
    /// block and the list's storage address (0 for pool).
    @inline(__always)
    static func lookasideOrPoolBlock(
        filter: Filter, size: UInt32, flags: EcpAllocationFlags, from lookaside: EcpLookasideStorage
    ) throws(NTStatus) -> (UnsafeMutableRawPointer, UInt) {
        let routine: StaticString = "FltAllocateExtraCreateParameterFromLookasideList"
        EcpCheck.requireApc(routine)
        let filterSlot = FilterTable.resolve(filter, routine: routine)
        let list = LookasideHandle(resolving: lookaside.storage, routine: routine)
        guard size <= UInt32.max - UInt32(EcpHeader.size) else { throw .integerOverflow }
        if Int(size) + EcpHeader.size <= list.entrySize {
            // Counted by the list: no counter of the filter's is written here. The low resources
            // simulation (VerifyDriverLevel 0x4) fails ECPs from lists too, not only pool blocks.
            guard !DriverVerifier.simulatesFailure(.ecp, tag: list.tag), let entry = list.allocate(routine: routine) else {
                FilterTable.lookasideAllocationFailed(lookaside.storage)
                throw .insufficientResources
            }
            return (entry, UInt(bitPattern: lookaside.storage))
        }
        let block = try poolBlock(size: size, flags: flags, tag: list.tag)
        filterSlot.pointee.outsideLists.wrappingAdd(1, ordering: .relaxed)
        return (block, 0)
    }

    /// Allocates an ECP from pool: non-paged (NX) with `.nonPagedPool`, else paged; quota with
    /// `.chargeQuota`. Corresponds to `FltAllocateExtraCreateParameter`.
    package static func allocate(
        filter: Filter, type: EcpType, size: UInt32, flags: EcpAllocationFlags, cleanup: EcpCleanup, tag: PoolTag
    ) throws(NTStatus) -> UnsafeMutableRawPointer {
        let routine: StaticString = "FltAllocateExtraCreateParameter"
        EcpCheck.requireApc(routine)
        let filterSlot = FilterTable.resolve(filter, routine: routine)
        guard size <= UInt32.max - UInt32(EcpHeader.size) else { throw .integerOverflow }
        let block = try poolBlock(size: size, flags: flags, tag: tag)
        filterSlot.pointee.outsideLists.wrappingAdd(1, ordering: .relaxed)
        return finish(block, filter: filter, type: type, size: size, cleanup: cleanup, lookaside: 0)
    }

    @inline(never)
    static func poolBlock(size: UInt32, flags: EcpAllocationFlags, tag: PoolTag) throws(NTStatus) -> UnsafeMutableRawPointer {
        let type: PoolType = flags.contains(.nonPagedPool) ? .nonPagedNx : .paged
        let bytes = Int(size) + EcpHeader.size
        do {
            if flags.contains(.chargeQuota) {
                return try Pool.allocateWithQuota(type.union(.quotaFailInsteadOfRaise), byteCount: bytes, tag: tag)
            }
            return try Pool.allocate(type, byteCount: bytes, tag: tag)
        } catch {
            throw .insufficientResources
        }
    }

    /// Writes the header (all 80 bytes: a recycled entry keeps its old contents) and records the
    /// ECP as live.
    @inline(__always)
    static func finish(
        _ block: UnsafeMutableRawPointer, filter: Filter, type: EcpType, size: UInt32, cleanup: EcpCleanup, lookaside: UInt
    ) -> UnsafeMutableRawPointer {
        switch cleanup {
        case .none:
            return finish(block, filter: filter, type: type, size: size, cleanup: 0, isSwift: false, lookaside: lookaside)
        case .cRoutine(let address):
            return finish(block, filter: filter, type: type, size: size, cleanup: address, isSwift: false, lookaside: lookaside)
        case .callback(let body):
            let box = UInt(bitPattern: retainedBox(body))
            return finish(block, filter: filter, type: type, size: size, cleanup: box, isSwift: true, lookaside: lookaside)
        }
    }

    @inline(__always)
    static func finish(
        _ block: UnsafeMutableRawPointer, filter: Filter, type: EcpType, size: UInt32, cleanup: UInt, isSwift: Bool,
        lookaside: UInt
    ) -> UnsafeMutableRawPointer {
        block.assumingMemoryBound(to: EcpHeader.self).initialize(to: EcpHeader(
            magic: EcpHeader.liveMagic, size: size, flags: isSwift ? EcpHeader.swiftCleanup : 0, reserved: 0, type: type,
            cleanup: cleanup, list: 0, lookaside: lookaside, next: 0, filter: filter.rawValue, reserved2: 0))
        let context = block + EcpHeader.size
        LiveEcps.insert(context)
        return context
    }

    @inline(never)
    static func retainedBox(_ body: @escaping @Sendable (UnsafeMutableRawPointer, EcpType) -> Void) -> UnsafeMutableRawPointer {
        Unmanaged.passRetained(CleanupBox(body)).toOpaque()
    }

    /// Runs the cleanup callback once with the context and its type, then returns the memory to
    /// its lookaside list or the pool. An ECP still in a list must be removed first (bug check).
    /// Corresponds to `FltFreeExtraCreateParameter`.
    ///
    /// Inlined into its caller: an ECP recorded live, from a lookaside list, in no list and
    /// without cleanup goes back to the calling thread's cache here; anything else goes to
    /// `freeChecked`, which checks everything in the documented order.
    @_spi(Runtime) @inlinable @inline(__always)
    public static func free(filter: Filter, _ context: UnsafeMutableRawPointer) {
        guard Irql.current <= .apc, let words = EcpHotTable.words, FilterTable.isRegistered(filter, in: words) else {
            return freeChecked(filter: filter, context)
        }
        let slot = LiveEcps.slot(for: context, in: words)
        let block = context - EcpLayout.size
        // Recorded live: the header is ours to read. No cleanup and in no list (one compare).
        guard slot.pointee.load(ordering: .relaxed) == UInt(bitPattern: context),
            block.load(fromByteOffset: EcpLayout.cleanup, as: SIMD2<UInt64>.self) == .zero,
            let storage = UnsafeMutableRawPointer(bitPattern: block.load(fromByteOffset: EcpLayout.lookaside, as: UInt.self))
        else { return freeChecked(filter: filter, context) }
        // Forgotten and marked freed before the memory goes back; counted by the list.
        slot.pointee.store(0, ordering: .relaxed)
        block.storeBytes(of: EcpLayout.freedMagic, toByteOffset: EcpLayout.magicAndSize, as: UInt32.self)
        LookasideHandle.free(block, to: storage, routine: "FltFreeExtraCreateParameter")
    }

    /// `free(filter:_:)` with every check, in order: IRQL, filter, the ECP (recorded live, else
    /// the pool's word on the block before its header is read), not in a list.
    @usableFromInline @inline(never)
    static func freeChecked(filter: Filter, _ context: UnsafeMutableRawPointer) {
        let routine: StaticString = "FltFreeExtraCreateParameter"
        EcpCheck.requireApc(routine)
        _ = FilterTable.resolve(filter, routine: routine)
        let header: UnsafeMutablePointer<EcpHeader>
        if let slot = LiveEcps.slot(for: context), slot.pointee.load(ordering: .relaxed) == UInt(bitPattern: context) {
            // Recorded live: its header is ours to read. Forgotten before the memory goes back.
            header = EcpHeader.of(context)
            if header.pointee.list != 0 { stillInList(context, routine: routine) }
            slot.pointee.store(0, ordering: .relaxed)
        } else {
            // Not recorded (another ECP took its slot), or no ECP at all: the pool decides.
            header = EcpCheck.fullCheck(context, routine: routine)
            if header.pointee.list != 0 { stillInList(context, routine: routine) }
        }
        giveBack(header, context: context)
    }

    @inline(never)
    static func stillInList(_ context: UnsafeMutableRawPointer, routine: StaticString) -> Never {
        EcpCheck.fail(EcpCheck.stillInList, context, "\(routine): the ECP at \(context) is still in an ECP list")
    }

    /// Cleanup, then back to the lookaside list or pool (used when a list is freed).
    static func release(_ header: UnsafeMutablePointer<EcpHeader>, context: UnsafeMutableRawPointer) {
        LiveEcps.remove(context)
        giveBack(header, context: context)
    }

    /// Marks the ECP freed, runs its cleanup, and returns its memory to the lookaside list or the
    /// pool. The caller has taken it out of `LiveEcps`.
    @inline(__always)
    static func giveBack(_ header: UnsafeMutablePointer<EcpHeader>, context: UnsafeMutableRawPointer) {
        header.pointee.magic = EcpHeader.freedMagic
        if header.pointee.cleanup != 0 { runCleanup(header, context: context) }
        let block = UnsafeMutableRawPointer(header)
        if let storage = UnsafeMutableRawPointer(bitPattern: header.pointee.lookaside) {
            // Counted by the list.
            LookasideHandle.free(block, to: storage, routine: "FltFreeExtraCreateParameter")
        } else {
            releaseToPool(header)
        }
    }

    @inline(never)
    static func runCleanup(_ header: UnsafeMutablePointer<EcpHeader>, context: UnsafeMutableRawPointer) {
        var type = header.pointee.type
        let cleanup = header.pointee.cleanup
        header.pointee.cleanup = 0
        if header.pointee.flags & EcpHeader.swiftCleanup == 0 {
            typealias CCleanup = @convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?) -> Void
            let routine = unsafeBitCast(cleanup, to: CCleanup.self)
            withUnsafePointer(to: &type) { routine(context, UnsafeRawPointer($0)) }
        } else if let box = UnsafeMutableRawPointer(bitPattern: cleanup) {
            Unmanaged<CleanupBox>.fromOpaque(box).takeRetainedValue().body(context, type)
        }
    }

    @inline(never)
    static func releaseToPool(_ header: UnsafeMutablePointer<EcpHeader>) {
        if let slot = FilterTable.lookup(Filter(rawValue: header.pointee.filter)) {
            slot.pointee.outsideLists.wrappingSubtract(1, ordering: .relaxed)
        }
        Pool.free(UnsafeMutableRawPointer(header))
    }

    /// The size the ECP was allocated with.
    package static func size(of context: UnsafeMutableRawPointer) -> Int {
        Int(EcpCheck.header(context, routine: "EcpSize").pointee.size)
    }

    /// The ECP's type.
    package static func type(of context: UnsafeMutableRawPointer) -> EcpType {
        EcpCheck.header(context, routine: "EcpType").pointee.type
    }

    /// Corresponds to `FltAcknowledgeEcp`.
    package static func acknowledge(filter: Filter, _ context: UnsafeMutableRawPointer) {
        let header = check(filter, context, "FltAcknowledgeEcp")
        header.pointee.flags |= EcpHeader.acknowledged
    }

    /// Corresponds to `FltIsEcpAcknowledged`.
    package static func isAcknowledged(filter: Filter, _ context: UnsafeMutableRawPointer) -> Bool {
        check(filter, context, "FltIsEcpAcknowledged").pointee.flags & EcpHeader.acknowledged != 0
    }

    /// Clears the acknowledgment so the ECP can be sent again. Corresponds to
    /// `FltPrepareToReuseEcp`.
    package static func prepareToReuse(filter: Filter, _ context: UnsafeMutableRawPointer) {
        let header = check(filter, context, "FltPrepareToReuseEcp")
        header.pointee.flags &= ~EcpHeader.acknowledged
    }

    /// Whether the ECP came with a create the host issued as a user-mode request
    /// (`WdfHostCreateFile` with `UserMode`); false for every ECP a driver attached. Corresponds
    /// to `FltIsEcpFromUserMode`.
    package static func isFromUserMode(filter: Filter, _ context: UnsafeMutableRawPointer) -> Bool {
        check(filter, context, "FltIsEcpFromUserMode").pointee.flags & EcpHeader.fromUserMode != 0
    }

    static func check(_ filter: Filter, _ context: UnsafeMutableRawPointer?, _ routine: StaticString)
        -> UnsafeMutablePointer<EcpHeader>
    {
        EcpCheck.requireApc(routine)
        _ = FilterTable.resolve(filter, routine: routine)
        return EcpCheck.header(context, routine: routine)
    }
}
