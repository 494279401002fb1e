/// A `POOL_TYPE` value: the base type in the low bits, plus modifier bits.
///
/// Bit 0 = paged, bit 1 = must-succeed, bit 2 = cache aligned, 0x20 = session. Modifiers: 0x8
/// `POOL_QUOTA_FAIL_INSTEAD_OF_RAISE`, 0x10 `POOL_RAISE_IF_ALLOCATION_FAILURE`, 0x100 cold
/// (advisory), 0x200 NX, 0x400 zero.
@frozen
public struct PoolType: RawRepresentable, Hashable, Sendable {
    /// The C `POOL_TYPE` value.
    public let rawValue: UInt32
    /// A pool type from its C value.
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `NonPagedPool` (0).
    @inlinable public static var nonPaged: PoolType { PoolType(rawValue: 0) }
    /// `NonPagedPoolExecute` (0, the same as `NonPagedPool`).
    @inlinable public static var nonPagedExecute: PoolType { PoolType(rawValue: 0) }
    /// `PagedPool` (1).
    @inlinable public static var paged: PoolType { PoolType(rawValue: 1) }
    /// `NonPagedPoolMustSucceed` (2): stops with `BAD_POOL_CALLER`, as on Windows.
    @inlinable public static var nonPagedMustSucceed: PoolType { PoolType(rawValue: 2) }
    /// `DontUseThisType` (3).
    @inlinable public static var dontUseThisType: PoolType { PoolType(rawValue: 3) }
    /// `NonPagedPoolCacheAligned` (4).
    @inlinable public static var nonPagedCacheAligned: PoolType { PoolType(rawValue: 4) }
    /// `PagedPoolCacheAligned` (5).
    @inlinable public static var pagedCacheAligned: PoolType { PoolType(rawValue: 5) }
    /// `NonPagedPoolCacheAlignedMustS` (6).
    @inlinable public static var nonPagedCacheAlignedMustSucceed: PoolType { PoolType(rawValue: 6) }
    /// `NonPagedPoolSession` (32).
    @inlinable public static var nonPagedSession: PoolType { PoolType(rawValue: 32) }
    /// `PagedPoolSession` (33).
    @inlinable public static var pagedSession: PoolType { PoolType(rawValue: 33) }
    /// `NonPagedPoolNx` (512): the default for new code.
    @inlinable public static var nonPagedNx: PoolType { PoolType(rawValue: 512) }
    /// `NonPagedPoolNxCacheAligned` (516).
    @inlinable public static var nonPagedNxCacheAligned: PoolType { PoolType(rawValue: 516) }
    /// `NonPagedPoolSessionNx` (544).
    @inlinable public static var nonPagedSessionNx: PoolType { PoolType(rawValue: 544) }

    /// `POOL_QUOTA_FAIL_INSTEAD_OF_RAISE`: a quota allocation that fails returns NULL.
    @inlinable public static var quotaFailInsteadOfRaise: PoolType { PoolType(rawValue: 0x8) }
    /// `POOL_RAISE_IF_ALLOCATION_FAILURE`: a failed allocation raises.
    @inlinable public static var raiseIfAllocationFailure: PoolType { PoolType(rawValue: 0x10) }
    /// `POOL_COLD_ALLOCATION` (advisory).
    @inlinable public static var cold: PoolType { PoolType(rawValue: 0x100) }
    /// `POOL_NX_ALLOCATION`.
    @inlinable public static var nxAllocation: PoolType { PoolType(rawValue: 0x200) }
    /// `POOL_ZERO_ALLOCATION`: the block is zeroed.
    @inlinable public static var zeroAllocation: PoolType { PoolType(rawValue: 0x400) }

    /// Whether the pool is paged (bit 0).
    @inlinable public var isPaged: Bool { rawValue & 0x1 != 0 }
    /// Whether the type asks for must-succeed pool (bit 1).
    @inlinable public var isMustSucceed: Bool { rawValue & 0x2 != 0 }
    /// Whether blocks are cache aligned (bit 2).
    @inlinable public var isCacheAligned: Bool { rawValue & 0x4 != 0 }
    /// Whether the type is session pool (0x20).
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
    /// The C `POOL_FLAGS` value.
    public let rawValue: UInt64
    /// Flags from their C value.
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// `POOL_FLAG_USE_QUOTA`.
    @inlinable public static var useQuota: PoolFlags { PoolFlags(rawValue: 0x1) }
    /// `POOL_FLAG_UNINITIALIZED`.
    @inlinable public static var uninitialized: PoolFlags { PoolFlags(rawValue: 0x2) }
    /// `POOL_FLAG_SESSION`.
    @inlinable public static var session: PoolFlags { PoolFlags(rawValue: 0x4) }
    /// `POOL_FLAG_CACHE_ALIGNED`.
    @inlinable public static var cacheAligned: PoolFlags { PoolFlags(rawValue: 0x8) }
    /// `POOL_FLAG_RAISE_ON_FAILURE`.
    @inlinable public static var raiseOnFailure: PoolFlags { PoolFlags(rawValue: 0x20) }
    /// `POOL_FLAG_NON_PAGED`.
    @inlinable public static var nonPaged: PoolFlags { PoolFlags(rawValue: 0x40) }
    /// `POOL_FLAG_NON_PAGED_EXECUTE`.
    @inlinable public static var nonPagedExecute: PoolFlags { PoolFlags(rawValue: 0x80) }
    /// `POOL_FLAG_PAGED`.
    @inlinable public static var paged: PoolFlags { PoolFlags(rawValue: 0x100) }

    /// Every bit of the low 32 that has a meaning; any other low bit fails the call.
    public static let known: PoolFlags = [
        .useQuota, .uninitialized, .session, .cacheAligned, .raiseOnFailure, .nonPaged,
        .nonPagedExecute, .paged,
    ]
}
