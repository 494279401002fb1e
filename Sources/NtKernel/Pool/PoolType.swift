/// A `POOL_TYPE` value: the base type in the low bits, plus modifier bits.
///
/// Bit 0 = paged, bit 1 = must-succeed, bit 2 = cache aligned, 0x20 = session. Modifiers: 0x8
/// `POOL_QUOTA_FAIL_INSTEAD_OF_RAISE`, 0x10 `POOL_RAISE_IF_ALLOCATION_FAILURE`, 0x100 cold
/// (advisory), 0x200 NX, 0x400 zero.
@frozen
public struct PoolType: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let nonPaged = PoolType(rawValue: 0)
    public static let nonPagedExecute = PoolType(rawValue: 0)
    public static let paged = PoolType(rawValue: 1)
    public static let nonPagedMustSucceed = PoolType(rawValue: 2)
    public static let dontUseThisType = PoolType(rawValue: 3)
    public static let nonPagedCacheAligned = PoolType(rawValue: 4)
    public static let pagedCacheAligned = PoolType(rawValue: 5)
    public static let nonPagedCacheAlignedMustSucceed = PoolType(rawValue: 6)
    public static let nonPagedSession = PoolType(rawValue: 32)
    public static let pagedSession = PoolType(rawValue: 33)
    public static let nonPagedNx = PoolType(rawValue: 512)
    public static let nonPagedNxCacheAligned = PoolType(rawValue: 516)
    public static let nonPagedSessionNx = PoolType(rawValue: 544)

    /// `POOL_QUOTA_FAIL_INSTEAD_OF_RAISE`: a quota allocation that fails returns NULL.
    public static let quotaFailInsteadOfRaise = PoolType(rawValue: 0x8)
    /// `POOL_RAISE_IF_ALLOCATION_FAILURE`: a failed allocation raises.
    public static let raiseIfAllocationFailure = PoolType(rawValue: 0x10)
    /// `POOL_COLD_ALLOCATION` (advisory).
    public static let cold = PoolType(rawValue: 0x100)
    /// `POOL_NX_ALLOCATION`.
    public static let nxAllocation = PoolType(rawValue: 0x200)
    /// `POOL_ZERO_ALLOCATION`: the block is zeroed.
    public static let zeroAllocation = PoolType(rawValue: 0x400)

    @inlinable public var isPaged: Bool { rawValue & 0x1 != 0 }
    @inlinable public var isMustSucceed: Bool { rawValue & 0x2 != 0 }
    @inlinable public var isCacheAligned: Bool { rawValue & 0x4 != 0 }
    @inlinable public var isSession: Bool { rawValue & 0x20 != 0 }

    /// The highest IRQL this pool may be allocated or freed at.
    @inlinable public var irqlLimit: Irql { isPaged ? .apc : .dispatch }

    /// Combines a base type with modifiers, e.g. `.nonPaged.union(.zeroAllocation)`.
    @inlinable public func union(_ other: PoolType) -> PoolType { PoolType(rawValue: rawValue | other.rawValue) }
    @inlinable public func contains(_ other: PoolType) -> Bool { rawValue & other.rawValue == other.rawValue }
}

/// `POOL_FLAGS` for `ExAllocatePool2`: exactly one of `.paged`, `.nonPaged`, `.nonPagedExecute`.
@frozen
public struct PoolFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let useQuota = PoolFlags(rawValue: 0x1)
    public static let uninitialized = PoolFlags(rawValue: 0x2)
    public static let session = PoolFlags(rawValue: 0x4)
    public static let cacheAligned = PoolFlags(rawValue: 0x8)
    public static let raiseOnFailure = PoolFlags(rawValue: 0x20)
    public static let nonPaged = PoolFlags(rawValue: 0x40)
    public static let nonPagedExecute = PoolFlags(rawValue: 0x80)
    public static let paged = PoolFlags(rawValue: 0x100)

    /// Every bit of the low 32 that has a meaning; any other low bit fails the call.
    public static let known: PoolFlags = [
        .useQuota, .uninitialized, .session, .cacheAligned, .raiseOnFailure, .nonPaged,
        .nonPagedExecute, .paged,
    ]
}
