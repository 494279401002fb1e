internal import CRuntimeShims

/// The executive pool: tagged blocks of paged or non-paged memory, with per-tag accounting.
///
/// From Swift, a block is a ``PoolBlock`` (freed when its owner ends) or lent for a scope by
/// ``withAllocation(_:byteCount:tag:_:)``; ``tagUsage()`` is what poolmon shows. Blocks under a
/// page are 16-byte aligned (64 for cache-aligned types) and never cross a page; blocks of a page
/// or more are page-aligned. Every block is accounted under its tag (protected bit ignored) and
/// pool kind, with its whole size (header and rounding included). Corresponds to the `ExAllocatePool…`
/// and `ExFreePool…` routines and to `ZwQuerySystemInformation(SystemPoolTagInformation)`.
public enum Pool {
    /// Allocates `byteCount` bytes of `type` pool under `tag`, not zeroed (unless `type` carries
    /// `.zeroAllocation`). Corresponds to `ExAllocatePoolWithTag`.
    ///
    /// - Throws: `.insufficientResources` when there is no memory (a raise instead, with
    ///   `.raiseIfAllocationFailure`), `.invalidParameter` for a zero-byte request (also a
    ///   verifier message).
    package static func allocate(_ type: PoolType, byteCount: Int, tag: PoolTag) throws(NTStatus) -> UnsafeMutableRawPointer {
        if nt_driver_verifier_active() == 0, let block = PoolAllocator.allocateQuickly(type, byteCount: byteCount, tag: tag.rawValue) { return block }
        return try allocate(type, byteCount: byteCount, tag: tag, quota: false, routine: "ExAllocatePoolWithTag")
    }

    /// `allocate(_:byteCount:tag:)` with the C routine's contract, for its export: the block, or
    /// nil where that throws. One call, with the common case inline (no error to hand back).
    package static func allocateOrNil(_ type: PoolType, byteCount: Int, tag: PoolTag) -> UnsafeMutableRawPointer? {
        if nt_driver_verifier_active() == 0, let block = PoolAllocator.allocateQuickly(type, byteCount: byteCount, tag: tag.rawValue) { return block }
        return allocateGenerallyOrNil(type, byteCount: byteCount, tag: tag)
    }

    /// The checked path behind `allocateOrNil` (out of line: the inline path keeps no frame).
    @inline(never)
    static func allocateGenerallyOrNil(_ type: PoolType, byteCount: Int, tag: PoolTag) -> UnsafeMutableRawPointer? {
        try? allocate(type, byteCount: byteCount, tag: tag, quota: false, routine: "ExAllocatePoolWithTag")
    }

    /// Allocates like `allocate(_:byteCount:tag:)` and charges the whole block to the calling
    /// thread's process (System is never charged). Corresponds to `ExAllocatePoolWithQuotaTag`.
    ///
    /// A failed allocation raises `STATUS_INSUFFICIENT_RESOURCES` and a failed charge raises
    /// `STATUS_QUOTA_EXCEEDED`, unless `type` carries `.quotaFailInsteadOfRaise`: then the failure
    /// is thrown.
    package static func allocateWithQuota(_ type: PoolType, byteCount: Int, tag: PoolTag) throws(NTStatus)
        -> UnsafeMutableRawPointer
    {
        try allocate(type, byteCount: byteCount, tag: tag, quota: true, routine: "ExAllocatePoolWithQuotaTag")
    }

    /// Allocates with `POOL_FLAGS`, zeroed unless `.uninitialized`. Corresponds to
    /// `ExAllocatePool2`.
    ///
    /// - Throws: `.invalidParameter` for an unknown flag in the low 32 bits, not exactly one of the
    ///   pool kinds, a zero tag or zero bytes; `.quotaExceeded` or `.insufficientResources`. With
    ///   `.raiseOnFailure` every failure raises instead.
    package static func allocate(flags: PoolFlags, byteCount: Int, tag: PoolTag) throws(NTStatus) -> UnsafeMutableRawPointer {
        let context = ThreadContext.current
        let routine: StaticString = "ExAllocatePool2"
        let raise = flags.contains(.raiseOnFailure)
        func fail(_ status: NTStatus) throws(NTStatus) -> Never {
            if raise { BugCheck.raiseStatus(status, in: "\(routine)") }
            throw status
        }
        let low = PoolFlags(rawValue: flags.rawValue & 0xFFFF_FFFF)
        let kinds = low.intersection([.paged, .nonPaged, .nonPagedExecute])
        guard low.subtracting(.known).isEmpty, kinds.rawValue.nonzeroBitCount == 1, tag.rawValue != 0 else {
            try fail(.invalidParameter)
        }
        let paged = kinds == .paged
        Irql.require(atMost: paged ? .apc : .dispatch, current: context.pointee.irql, routine: routine, poolAllocation: byteCount, paged: paged)
        guard byteCount > 0 else {
            VerifierLog.report("\(routine): zero-byte request for tag '\(tag)' returns NULL")
            try fail(.invalidParameter)
        }
        do {
            let equivalentType: UInt32 = (paged ? 1 : (kinds == .nonPaged ? 0x200 : 0)) | (flags.contains(.cacheAligned) ? 4 : 0)
            return try PoolAllocator.allocateChecked(
                byteCount: byteCount, paged: paged, cacheAligned: flags.contains(.cacheAligned), tag: tag.rawValue,
                chargeQuota: flags.contains(.useQuota), zero: !flags.contains(.uninitialized), context: context,
                poolType: equivalentType)
        } catch {
            try fail(error.status)
        }
    }

    @inline(never)
    static func allocate(_ type: PoolType, byteCount: Int, tag: PoolTag, quota: Bool, routine: StaticString) throws(NTStatus)
        -> UnsafeMutableRawPointer
    {
        let context = ThreadContext.current
        if type.isMustSucceed {
            BugCheck.badPoolCaller(
                .mustSucceed, UInt(type.rawValue), UInt(bitPattern: byteCount), UInt(tag.rawValue),
                "\(routine): must-succeed pool (type \(type.rawValue)) may not be requested")
        }
        Irql.require(atMost: type.irqlLimit, current: context.pointee.irql, routine: routine, poolAllocation: byteCount, paged: type.isPaged)
        guard byteCount > 0 else {
            VerifierLog.report("\(routine): zero-byte request for tag '\(tag)' returns NULL")
            throw .invalidParameter
        }
        do {
            return try PoolAllocator.allocateChecked(
                byteCount: byteCount, paged: type.isPaged, cacheAligned: type.isCacheAligned, tag: tag.rawValue,
                chargeQuota: quota, zero: type.contains(.zeroAllocation), context: context, poolType: type.rawValue)
        } catch {
            let raises = quota ? !type.contains(.quotaFailInsteadOfRaise) : type.contains(.raiseIfAllocationFailure)
            if raises { BugCheck.raiseStatus(error.status, in: "\(routine)") }
            throw error.status
        }
    }

    /// Frees a block. With a tag, the tag must match the block's (protected bit ignored); a block
    /// allocated with a protected tag must be freed with its tag. Corresponds to
    /// `ExFreePoolWithTag` (and `ExFreePool` when `tag` is nil).
    ///
    /// Bug checks `BAD_POOL_CALLER`: 0x99 for an address that is not a pool block, 0x07 for a block
    /// already freed, 0x09 above the pool's IRQL, 0x0A for a wrong tag.
    package static func free(_ block: UnsafeMutableRawPointer, tag: PoolTag? = nil) {
        free(block, tagValue: tag?.rawValue ?? 0, routine: tag == nil ? "ExFreePool" : "ExFreePoolWithTag")
    }

    /// `free(_:tag:)` with the tag as the C routines pass it (0: none given), for their exports.
    package static func free(_ block: UnsafeMutableRawPointer, tagValue: UInt32, routine: StaticString) {
        if nt_driver_verifier_active() == 0, PoolAllocator.freeQuickly(block, tag: tagValue) { return }
        freeGenerally(block, tagValue: tagValue, routine: routine)
    }

    @inline(never)
    static func freeGenerally(_ block: UnsafeMutableRawPointer, tagValue: UInt32, routine: StaticString) {
        if nt_driver_verifier_active() != 0, DriverVerifier.free(block, tag: tagValue, routine: routine) { return }
        PoolAllocator.free(block, tag: tagValue, routine: routine)
    }

    /// What the pool knows about a live block (tag, sizes, kind, charged process), or nil when
    /// `block` is not a live pool block.
    package static func blockInfo(_ block: UnsafeRawPointer) -> PoolBlockInfo? {
        if nt_driver_verifier_active() != 0, let info = SpecialPool.info(block) { return info }
        return PoolAllocator.info(UnsafeMutableRawPointer(mutating: block))
    }

    /// Whether `address` starts a live pool block, a freed one (whose memory the pool still
    /// owns), or is no pool block at all. Reads only pool-owned memory.
    package static func blockStatus(_ address: UnsafeRawPointer) -> PoolBlockStatus {
        if nt_driver_verifier_active() != 0, let live = SpecialPool.status(address) { return live ? .allocated : .free }
        switch PoolAllocator.locate(UnsafeMutableRawPointer(mutating: address)) {
        case .small(let header, _):
            switch header.pointee.state {
            case BlockState.allocated: return .allocated
            case BlockState.free: return .free
            default: return .notABlock
            }
        case .large(let entry):
            return entry.pointee.state == BlockState.allocated ? .allocated : .free
        case .invalid:
            return .notABlock
        }
    }

    /// Per-tag usage, as poolmon shows it (and as `ZwQuerySystemInformation` with
    /// `SystemPoolTagInformation` returns it), sorted by tag. Exact once the threads that
    /// allocate are quiet.
    public static func tagUsage() -> [PoolTagUsage] { PoolAccounting.snapshot() }

    /// The usage of one tag, or nil if it was never used.
    public static func usage(of tag: PoolTag) -> PoolTagUsage? {
        tagUsage().first { $0.tag == tag.unprotected }
    }
}

/// What `Pool.blockStatus` finds at an address.
package enum PoolBlockStatus: Sendable {
    case allocated
    case free
    case notABlock
}

extension Irql {
    /// A pool routine above its pool's IRQL: `BAD_POOL_CALLER` 0x08 (p2 the IRQL, p3 1 for paged,
    /// p4 the size).
    @inline(__always)
    static func require(atMost limit: Irql, current: UInt8, routine: StaticString, poolAllocation byteCount: Int, paged: Bool) {
        if current > limit.rawValue {
            BugCheck.badPoolCaller(
                .allocateAtBadIrql, UInt(current), paged ? 1 : 0, UInt(bitPattern: byteCount),
                "\(routine) at IRQL \(current): \(paged ? "paged" : "non-paged") pool may be allocated at IRQL <= \(limit.name) only")
        }
    }
}
