// C exports: executive lookaside lists (LOOKASIDE_LIST_EX and the legacy NPAGED/PAGED lists).
// The list's state lives in the Swift layer; the caller's structure holds a checked reference to
// it and mirrors the public counters after every tuning scan and flush.
public import CWdf
@_spi(Runtime) import NtKernel

/// A pointer captured by a callback that may run on another thread.
struct SendablePointer<Pointee>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Pointee>
}

/// Writes the public counters into a legacy list's structure in caller storage.
func lookasideMirror(_ storage: UnsafeMutableRawPointer) -> @Sendable (LookasideStatistics) -> Void {
    mirror(into: storage.assumingMemoryBound(to: GENERAL_LOOKASIDE_POOL.self))
}

/// Writes the public counters into the caller's structure.
private func mirror(into list: UnsafeMutablePointer<GENERAL_LOOKASIDE_POOL>) -> @Sendable (LookasideStatistics) -> Void {
    let target = SendablePointer(pointer: list)
    return { statistics in
        let list = target.pointer
        list.pointee.Depth = USHORT(truncatingIfNeeded: statistics.depth)
        list.pointee.MaximumDepth = USHORT(truncatingIfNeeded: statistics.maximumDepth)
        list.pointee.TotalAllocates = ULONG(truncatingIfNeeded: statistics.totalAllocates)
        list.pointee.AllocateMisses = ULONG(truncatingIfNeeded: statistics.allocateMisses)
        list.pointee.TotalFrees = ULONG(truncatingIfNeeded: statistics.totalFrees)
        list.pointee.FreeMisses = ULONG(truncatingIfNeeded: statistics.freeMisses)
        list.pointee.LastTotalAllocates = ULONG(truncatingIfNeeded: statistics.lastTotalAllocates)
        list.pointee.LastAllocateMisses = ULONG(truncatingIfNeeded: statistics.lastAllocateMisses)
    }
}

private func storage<T>(_ list: UnsafeMutablePointer<T>) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(list) }

private func requireList(_ list: UnsafeMutableRawPointer?, _ routine: StaticString) -> UnsafeMutableRawPointer {
    LookasideHandle.requireStorage(list, routine: routine)
}

// MARK: LOOKASIDE_LIST_EX

@c @implementation
public func ExInitializeLookasideListEx(
    _ Lookaside: PLOOKASIDE_LIST_EX!, _ Allocate: PALLOCATE_FUNCTION_EX?, _ Free: PFREE_FUNCTION_EX?,
    _ PoolType: POOL_TYPE, _ Flags: ULONG, _ Size: SIZE_T, _ Tag: ULONG, _ Depth: USHORT
) -> NTSTATUS {
    let raw = requireList(Lookaside.map { UnsafeMutableRawPointer($0) }, "ExInitializeLookasideListEx")
    let list = raw.assumingMemoryBound(to: LOOKASIDE_LIST_EX.self)
    var allocator: LookasideAllocator? = nil
    if Allocate != nil || Free != nil {
        let owner = SendablePointer(pointer: list)
        allocator = LookasideAllocator(
            allocate: { poolType, size, tag in
                if let Allocate { return Allocate(POOL_TYPE(rawValue: poolType.rawValue), SIZE_T(size), tag.rawValue, owner.pointer) }
                return try? Pool.allocate(poolType, byteCount: size, tag: tag)
            },
            free: { entry in
                if let Free { Free(entry, owner.pointer) } else { Pool.free(entry) }
            })
    }
    do {
        _ = try LookasideHandle.initialize(
            in: raw, entrySize: clampedSize(Size), poolType: PoolType.rawValue, flags: Flags, tag: PoolTag(rawValue: Tag),
            depth: Int(Depth), allocator: allocator,
            mirror: mirror(into: raw.assumingMemoryBound(to: GENERAL_LOOKASIDE_POOL.self)),
            routine: "ExInitializeLookasideListEx")
    } catch {
        return error.rawValue
    }
    list.pointee.L.`Type` = PoolType
    list.pointee.L.Tag = Tag
    list.pointee.L.Size = ULONG(clamping: max(8, unsignedSize(Size)))
    list.pointee.L.AllocateEx = Allocate
    list.pointee.L.FreeEx = Free
    return STATUS_SUCCESS
}

@c @implementation
public func ExAllocateFromLookasideListEx(_ Lookaside: PLOOKASIDE_LIST_EX!) -> PVOID? {
    LookasideHandle.allocate(from: UnsafeMutableRawPointer(Lookaside), routine: "ExAllocateFromLookasideListEx")
}

@c @implementation
public func ExFreeToLookasideListEx(_ Lookaside: PLOOKASIDE_LIST_EX!, _ Entry: PVOID!) {
    LookasideHandle.free(Entry, to: UnsafeMutableRawPointer(Lookaside), routine: "ExFreeToLookasideListEx")
}

@c @implementation
public func ExDeleteLookasideListEx(_ Lookaside: PLOOKASIDE_LIST_EX!) {
    let raw = requireList(UnsafeMutableRawPointer(Lookaside), "ExDeleteLookasideListEx")
    LookasideHandle(resolving: raw, routine: "ExDeleteLookasideListEx").delete(clearing: raw)
}

@c @implementation
public func ExFlushLookasideListEx(_ Lookaside: PLOOKASIDE_LIST_EX!) {
    let raw = requireList(UnsafeMutableRawPointer(Lookaside), "ExFlushLookasideListEx")
    LookasideHandle(resolving: raw, routine: "ExFlushLookasideListEx").flush()
}

// MARK: NPAGED_LOOKASIDE_LIST and PAGED_LOOKASIDE_LIST (legacy)
// Their structures are 64-byte aligned, which Swift does not import: they arrive as opaque
// pointers, and their first 96 bytes have the layout of GENERAL_LOOKASIDE_POOL.

private func initializeLegacy(
    _ list: OpaquePointer?, _ allocate: PALLOCATE_FUNCTION?, _ free: PFREE_FUNCTION?, poolType: NtKernel.PoolType,
    size: SIZE_T, tag: ULONG, routine: StaticString
) {
    let raw = requireList(UnsafeMutableRawPointer(list), routine)
    let general = raw.assumingMemoryBound(to: GENERAL_LOOKASIDE_POOL.self)
    var allocator: LookasideAllocator? = nil
    if allocate != nil || free != nil {
        allocator = LookasideAllocator(
            allocate: { poolType, size, tag in
                if let allocate { return allocate(POOL_TYPE(rawValue: poolType.rawValue), SIZE_T(size), tag.rawValue) }
                return try? Pool.allocate(poolType, byteCount: size, tag: tag)
            },
            free: { entry in
                if let free { free(entry) } else { Pool.free(entry) }
            })
    }
    _ = LookasideHandle.initializeLegacy(
        in: raw, entrySize: clampedSize(size), poolType: poolType, tag: PoolTag(rawValue: tag), allocator: allocator,
        mirror: mirror(into: general), routine: routine)
    general.pointee.`Type` = POOL_TYPE(rawValue: poolType.rawValue)
    general.pointee.Tag = tag
    general.pointee.Size = ULONG(clamping: max(8, unsignedSize(size)))
    general.pointee.Allocate = allocate
    general.pointee.Free = free
}

@c @implementation
public func ExInitializeNPagedLookasideList(
    _ Lookaside: PNPAGED_LOOKASIDE_LIST!, _ Allocate: PALLOCATE_FUNCTION?, _ Free: PFREE_FUNCTION?, _ Flags: ULONG,
    _ Size: SIZE_T, _ Tag: ULONG, _ Depth: USHORT
) {
    let nx = Flags & ULONG(POOL_NX_ALLOCATION) != 0
    initializeLegacy(
        Lookaside, Allocate, Free, poolType: nx ? .nonPagedNx : .nonPaged, size: Size, tag: Tag,
        routine: "ExInitializeNPagedLookasideList")
}

@c @implementation
public func ExAllocateFromNPagedLookasideList(_ Lookaside: PNPAGED_LOOKASIDE_LIST!) -> PVOID? {
    LookasideHandle.allocateByCall(from: UnsafeMutableRawPointer(Lookaside), routine: "ExAllocateFromNPagedLookasideList")
}

@c @implementation
public func ExFreeToNPagedLookasideList(_ Lookaside: PNPAGED_LOOKASIDE_LIST!, _ Entry: PVOID!) {
    LookasideHandle.freeByCall(Entry, to: UnsafeMutableRawPointer(Lookaside), routine: "ExFreeToNPagedLookasideList")
}

@c @implementation
public func ExDeleteNPagedLookasideList(_ Lookaside: PNPAGED_LOOKASIDE_LIST!) {
    let raw = requireList(UnsafeMutableRawPointer(Lookaside), "ExDeleteNPagedLookasideList")
    LookasideHandle(resolving: raw, routine: "ExDeleteNPagedLookasideList").delete(clearing: raw)
}

@c @implementation
public func ExInitializePagedLookasideList(
    _ Lookaside: PPAGED_LOOKASIDE_LIST!, _ Allocate: PALLOCATE_FUNCTION?, _ Free: PFREE_FUNCTION?, _ Flags: ULONG,
    _ Size: SIZE_T, _ Tag: ULONG, _ Depth: USHORT
) {
    initializeLegacy(Lookaside, Allocate, Free, poolType: .paged, size: Size, tag: Tag, routine: "ExInitializePagedLookasideList")
}

@c @implementation
public func ExAllocateFromPagedLookasideList(_ Lookaside: PPAGED_LOOKASIDE_LIST!) -> PVOID? {
    LookasideHandle.allocateByCall(from: UnsafeMutableRawPointer(Lookaside), routine: "ExAllocateFromPagedLookasideList")
}

@c @implementation
public func ExFreeToPagedLookasideList(_ Lookaside: PPAGED_LOOKASIDE_LIST!, _ Entry: PVOID!) {
    LookasideHandle.freeByCall(Entry, to: UnsafeMutableRawPointer(Lookaside), routine: "ExFreeToPagedLookasideList")
}

@c @implementation
public func ExDeletePagedLookasideList(_ Lookaside: PPAGED_LOOKASIDE_LIST!) {
    let raw = requireList(UnsafeMutableRawPointer(Lookaside), "ExDeletePagedLookasideList")
    LookasideHandle(resolving: raw, routine: "ExDeletePagedLookasideList").delete(clearing: raw)
}
