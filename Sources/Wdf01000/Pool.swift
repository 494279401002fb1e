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

@c @implementation
public func ExAllocatePoolWithTagPriority(_ PoolType: POOL_TYPE, _ NumberOfBytes: SIZE_T, _ Tag: ULONG, _ Priority: EX_POOL_PRIORITY) -> PVOID? {
    Pool.allocateOrNil(NtKernel.PoolType(rawValue: PoolType.rawValue), byteCount: Int(clamping: NumberOfBytes), tag: PoolTag(rawValue: Tag))
}

@c @implementation
public func ExAllocatePool3(
    _ Flags: POOL_FLAGS, _ NumberOfBytes: SIZE_T, _ Tag: ULONG, _ ExtendedParameters: PCPOOL_EXTENDED_PARAMETER?,
    _ ExtendedParametersCount: ULONG
) -> PVOID? {
    if ExtendedParametersCount != 0 {
        guard let ExtendedParameters else { return nil }
        for index in 0..<Int(ExtendedParametersCount) {
            let parameter = ExtendedParameters[index]
            switch parameter.Type {
            case UInt64(PoolExtendedParameterPriority.rawValue), UInt64(PoolExtendedParameterNumaNode.rawValue): continue
            case UInt64(PoolExtendedParameterSecurePool.rawValue) where parameter.Optional != 0: continue
            default: return nil  // required secure pool (not available here), or an invalid type
            }
        }
    }
    return try? Pool.allocate(flags: PoolFlags(rawValue: Flags), byteCount: Int(clamping: NumberOfBytes), tag: PoolTag(rawValue: Tag))
}
