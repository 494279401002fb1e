// C exports: the executive pool.
public import CWdf
import NtKernel

@c @implementation
public func ExAllocatePoolWithTag(_ PoolType: POOL_TYPE, _ NumberOfBytes: SIZE_T, _ Tag: ULONG) -> PVOID? {
    Pool.allocateOrNil(NtKernel.PoolType(rawValue: PoolType.rawValue), byteCount: clampedSize(NumberOfBytes), tag: PoolTag(rawValue: Tag))
}

@c @implementation
public func ExAllocatePoolWithQuotaTag(_ PoolType: POOL_TYPE, _ NumberOfBytes: SIZE_T, _ Tag: ULONG) -> PVOID? {
    try? Pool.allocateWithQuota(NtKernel.PoolType(rawValue: PoolType.rawValue), byteCount: clampedSize(NumberOfBytes), tag: PoolTag(rawValue: Tag))
}

@c @implementation
public func ExAllocatePool2(_ Flags: POOL_FLAGS, _ NumberOfBytes: SIZE_T, _ Tag: ULONG) -> PVOID? {
    try? Pool.allocate(flags: PoolFlags(rawValue: Flags), byteCount: clampedSize(NumberOfBytes), tag: PoolTag(rawValue: Tag))
}

@c @implementation
public func ExFreePoolWithTag(_ P: PVOID!, _ Tag: ULONG) {
    guard let P else { invalidFree("ExFreePoolWithTag") }
    Pool.free(P, tagValue: Tag, routine: "ExFreePoolWithTag")
}

@c @implementation
public func ExFreePool(_ P: PVOID!) {
    guard let P else { invalidFree("ExFreePool") }
    Pool.free(P, tagValue: 0, routine: "ExFreePool")
}

private func invalidFree(_ routine: String) -> Never {
    BugCheck.badPoolCaller(.invalidAddress, 0, 0, 0, "\(routine): NULL is not a pool block")
}
