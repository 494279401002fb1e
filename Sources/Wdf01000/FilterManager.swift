// C exports: Filter Manager filters and extra create parameters.
public import CWdf
import NtKernel
@_spi(Runtime) import FltMgr

func filter(_ handle: PFLT_FILTER?) -> Filter { Filter(rawValue: UInt(bitPattern: UnsafeMutableRawPointer(handle))) }
@inline(__always)
func ecpType(_ guid: UnsafePointer<GUID>?, _ routine: StaticString) -> EcpType {
    EcpType(UnsafeRawPointer(present(guid, "EcpType", routine)))
}
/// `require` with the check inlined: the call (and its message) only for NULL.
@inline(__always)
func present<T>(_ value: T?, _ name: String, _ routine: StaticString) -> T {
    if let value { return value }
    return require(value, name, routine)
}
/// A C cleanup routine's address (0: none).
@inline(__always)
func cleanupAddress(_ routine: PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK?) -> UInt {
    routine.map { UInt(bitPattern: unsafeBitCast($0, to: UnsafeRawPointer.self)) } ?? 0
}
func cleanup(_ routine: PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK?) -> EcpCleanup {
    routine.map { .cRoutine(address: UInt(bitPattern: unsafeBitCast($0, to: UnsafeRawPointer.self))) } ?? .none
}
func ecpList(_ list: PECP_LIST?, _ filterHandle: PFLT_FILTER?) -> EcpList? {
    UnsafeMutableRawPointer(list).map { EcpList(address: $0, filter: filter(filterHandle)) }
}

@c @implementation
public func FltRegisterFilter(
    _ Driver: PDRIVER_OBJECT?, _ Registration: UnsafePointer<FLT_REGISTRATION>?, _ RetFilter: UnsafeMutablePointer<PFLT_FILTER?>?
) -> NTSTATUS {
    let routine: StaticString = "FltRegisterFilter"
    let driverObject = require(Driver, "Driver", routine)
    let registration = require(Registration, "Registration", routine).pointee
    let out = require(RetFilter, "RetFilter", routine)
    out.pointee = nil
    guard registration.Size == USHORT(MemoryLayout<FLT_REGISTRATION>.size),
        (0x0200...0x0203).contains(Int(registration.Version))
    else { return STATUS_INVALID_PARAMETER }
    let host = DriverHost.driver(withToken: UnsafeMutableRawPointer(driverObject))
    let unload = registration.FilterUnloadCallback.map { callback in
        let box = SendableCallback(function: callback)
        return { @Sendable (mandatory: Bool) -> NTStatus in NTStatus(rawValue: box.function(mandatory ? 1 : 0)) }
    }
    guard let operations = CFrontDoor.operations(registration.OperationRegistration) else { return STATUS_INVALID_PARAMETER }
    do {
        let registered = try Filter.register(
            driver: host, operations: operations, instanceSetup: registration.InstanceSetupCallback.map(CFrontDoor.instanceSetup),
            unload: unload)
        out.pointee = OpaquePointer(bitPattern: registered.rawValue)
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func FltStartFiltering(_ Filter: PFLT_FILTER?) -> NTSTATUS {
    do { try filter(Filter).startFiltering() } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func FltUnregisterFilter(_ Filter: PFLT_FILTER?) { filter(Filter).unregister() }

@c @implementation
public func FltInitExtraCreateParameterLookasideList(
    _ Filter: PFLT_FILTER?, _ Lookaside: PVOID?, _ Flags: FSRTL_ECP_LOOKASIDE_FLAGS, _ Size: SIZE_T, _ Tag: ULONG
) {
    let routine: StaticString = "FltInitExtraCreateParameterLookasideList"
    _ = EcpLookasideStorage.initialize(
        require(Lookaside, "Lookaside", routine), filter: filter(Filter),
        nonPaged: Flags & UInt32(FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL) != 0, size: clampedSize(Size),
        tag: PoolTag(rawValue: Tag), mirror: lookasideMirror(Lookaside!))
}

@c @implementation
public func FltDeleteExtraCreateParameterLookasideList(_ Filter: PFLT_FILTER?, _ Lookaside: PVOID?, _ Flags: FSRTL_ECP_LOOKASIDE_FLAGS) {
    let storage = require(Lookaside, "Lookaside", "FltDeleteExtraCreateParameterLookasideList")
    EcpLookasideStorage(storage).delete(
        filter: filter(Filter), nonPaged: Flags & UInt32(FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL) != 0)
}

@c @implementation
public func FltAllocateExtraCreateParameterFromLookasideList(
    _ Filter: PFLT_FILTER?, _ EcpType: UnsafePointer<GUID>?, _ SizeOfContext: ULONG, _ Flags: FSRTL_ALLOCATE_ECP_FLAGS,
    _ CleanupCallback: PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK?, _ LookasideList: PVOID?,
    _ EcpContext: UnsafeMutablePointer<PVOID?>?
) -> NTSTATUS {
    // The whole fast path is inlined here; anything else (NULL pointers included) goes to the
    // checks in their order.
    guard let out = EcpContext, let type = EcpType, let lookaside = LookasideList,
        let result = ExtraCreateParameters.allocateFromList(
            filter: filter(Filter), typeAt: UnsafeRawPointer(type), size: SizeOfContext,
            cleanupRoutine: cleanupAddress(CleanupCallback), from: EcpLookasideStorage(lookaside))
    else { return allocateFromLookasideChecked(Filter, EcpType, SizeOfContext, Flags, CleanupCallback, LookasideList, EcpContext) }
    switch result {
    case .success(let context):
        out.pointee = context
        return STATUS_SUCCESS
    case .failure(let status):
        out.pointee = nil
        return status.rawValue
    }
}

/// `FltAllocateExtraCreateParameterFromLookasideList` with its pointer checks in order.
@inline(never)
private func allocateFromLookasideChecked(
    _ Filter: PFLT_FILTER?, _ EcpType: UnsafePointer<GUID>?, _ SizeOfContext: ULONG, _ Flags: FSRTL_ALLOCATE_ECP_FLAGS,
    _ CleanupCallback: PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK?, _ LookasideList: PVOID?,
    _ EcpContext: UnsafeMutablePointer<PVOID?>?
) -> NTSTATUS {
    let routine: StaticString = "FltAllocateExtraCreateParameterFromLookasideList"
    let out = require(EcpContext, "EcpContext", routine)
    out.pointee = nil
    do {
        out.pointee = try ExtraCreateParameters.allocate(
            filter: filter(Filter), type: ecpType(EcpType, routine), size: SizeOfContext,
            flags: EcpAllocationFlags(rawValue: Flags), cleanupRoutine: cleanupAddress(CleanupCallback),
            from: EcpLookasideStorage(require(LookasideList, "LookasideList", routine)))
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func FltAllocateExtraCreateParameter(
    _ Filter: PFLT_FILTER?, _ EcpType: UnsafePointer<GUID>?, _ SizeOfContext: ULONG, _ Flags: FSRTL_ALLOCATE_ECP_FLAGS,
    _ CleanupCallback: PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK?, _ PoolTag: ULONG,
    _ EcpContext: UnsafeMutablePointer<PVOID?>?
) -> NTSTATUS {
    let routine: StaticString = "FltAllocateExtraCreateParameter"
    let out = require(EcpContext, "EcpContext", routine)
    out.pointee = nil
    do {
        out.pointee = try ExtraCreateParameters.allocate(
            filter: filter(Filter), type: ecpType(EcpType, routine), size: SizeOfContext,
            flags: EcpAllocationFlags(rawValue: Flags), cleanup: cleanup(CleanupCallback), tag: NtKernel.PoolTag(rawValue: PoolTag))
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func FltFreeExtraCreateParameter(_ Filter: PFLT_FILTER?, _ EcpContext: PVOID?) {
    guard let EcpContext else {
        BugCheck.raise(.driverVerifierDetectedViolation, 0xE0, 0, 0, 0, "FltFreeExtraCreateParameter: the ECP context is NULL")
    }
    ExtraCreateParameters.free(filter: filter(Filter), EcpContext)
}

@c @implementation
public func FltAllocateExtraCreateParameterList(
    _ Filter: PFLT_FILTER?, _ Flags: FSRTL_ALLOCATE_ECPLIST_FLAGS, _ EcpList: UnsafeMutablePointer<PECP_LIST?>?
) -> NTSTATUS {
    let out = require(EcpList, "EcpList", "FltAllocateExtraCreateParameterList")
    out.pointee = nil
    do {
        let list = try FltMgr.EcpList.allocate(
            filter: filter(Filter), chargeQuota: Flags & UInt32(FSRTL_ALLOCATE_ECPLIST_FLAG_CHARGE_QUOTA) != 0)
        out.pointee = OpaquePointer(list.address)
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func FltFreeExtraCreateParameterList(_ Filter: PFLT_FILTER?, _ EcpList: PECP_LIST?) {
    requireList(EcpList, Filter, "FltFreeExtraCreateParameterList").free()
}

private func requireList(_ list: PECP_LIST?, _ filterHandle: PFLT_FILTER?, _ routine: StaticString) -> EcpList {
    guard let list = ecpList(list, filterHandle) else {
        BugCheck.raise(.driverVerifierDetectedViolation, 0xE3, 0, 0, 0, "\(routine): the ECP list is NULL")
    }
    return list
}

@c @implementation
public func FltInsertExtraCreateParameter(_ Filter: PFLT_FILTER?, _ EcpList: PECP_LIST?, _ EcpContext: PVOID?) -> NTSTATUS {
    guard let list = ecpList(EcpList, Filter) else { return STATUS_INVALID_PARAMETER }
    do {
        try list.insert(require(EcpContext, "EcpContext", "FltInsertExtraCreateParameter"))
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

/// Find and remove share their shape: outputs cleared first, then the lookup by type.
private func lookUp(
    _ filterHandle: PFLT_FILTER?, _ list: PECP_LIST?, _ type: UnsafePointer<GUID>?, _ context: UnsafeMutablePointer<PVOID?>?,
    _ size: UnsafeMutablePointer<ULONG>?, _ routine: StaticString,
    _ operation: (EcpList, FltMgr.EcpType) throws(NTStatus) -> (context: UnsafeMutableRawPointer, size: Int)
) -> NTSTATUS {
    context?.pointee = nil
    size?.pointee = 0
    guard let list = ecpList(list, filterHandle) else { return STATUS_INVALID_PARAMETER }
    do {
        let found = try operation(list, ecpType(type, routine))
        context?.pointee = found.context
        size?.pointee = ULONG(found.size)
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func FltFindExtraCreateParameter(
    _ Filter: PFLT_FILTER?, _ EcpList: PECP_LIST?, _ EcpType: UnsafePointer<GUID>?, _ EcpContext: UnsafeMutablePointer<PVOID?>?,
    _ EcpContextSize: UnsafeMutablePointer<ULONG>?
) -> NTSTATUS {
    lookUp(Filter, EcpList, EcpType, EcpContext, EcpContextSize, "FltFindExtraCreateParameter") { list, type throws(NTStatus) in
        try list.find(type)
    }
}

@c @implementation
public func FltRemoveExtraCreateParameter(
    _ Filter: PFLT_FILTER?, _ EcpList: PECP_LIST?, _ EcpType: UnsafePointer<GUID>?, _ EcpContext: UnsafeMutablePointer<PVOID?>?,
    _ EcpContextSize: UnsafeMutablePointer<ULONG>?
) -> NTSTATUS {
    lookUp(Filter, EcpList, EcpType, EcpContext, EcpContextSize, "FltRemoveExtraCreateParameter") { list, type throws(NTStatus) in
        try list.remove(type)
    }
}

@c @implementation
public func FltGetNextExtraCreateParameter(
    _ Filter: PFLT_FILTER?, _ EcpList: PECP_LIST?, _ CurrentEcpContext: PVOID?, _ NextEcpType: UnsafeMutablePointer<GUID>?,
    _ NextEcpContext: UnsafeMutablePointer<PVOID?>?, _ NextEcpContextSize: UnsafeMutablePointer<ULONG>?
) -> NTSTATUS {
    NextEcpContext?.pointee = nil
    NextEcpContextSize?.pointee = 0
    if let NextEcpType { UnsafeMutableRawPointer(NextEcpType).initializeMemory(as: UInt8.self, repeating: 0, count: 16) }
    guard let list = ecpList(EcpList, Filter) else { return STATUS_INVALID_PARAMETER }
    do {
        let next = try list.next(after: CurrentEcpContext)
        if let NextEcpType { UnsafeMutableRawPointer(NextEcpType).storeBytes(of: next.type, as: FltMgr.EcpType.self) }
        NextEcpContext?.pointee = next.context
        NextEcpContextSize?.pointee = ULONG(next.size)
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func FltAcknowledgeEcp(_ Filter: PFLT_FILTER?, _ EcpContext: PVOID?) {
    ExtraCreateParameters.acknowledge(filter: filter(Filter), require(EcpContext, "EcpContext", "FltAcknowledgeEcp"))
}

@c @implementation
public func FltIsEcpAcknowledged(_ Filter: PFLT_FILTER?, _ EcpContext: PVOID?) -> BOOLEAN {
    ExtraCreateParameters.isAcknowledged(filter: filter(Filter), require(EcpContext, "EcpContext", "FltIsEcpAcknowledged")) ? 1 : 0
}

@c @implementation
public func FltPrepareToReuseEcp(_ Filter: PFLT_FILTER?, _ EcpContext: PVOID?) {
    ExtraCreateParameters.prepareToReuse(filter: filter(Filter), require(EcpContext, "EcpContext", "FltPrepareToReuseEcp"))
}

@c @implementation
public func FltIsEcpFromUserMode(_ Filter: PFLT_FILTER?, _ EcpContext: PVOID?) -> BOOLEAN {
    ExtraCreateParameters.isFromUserMode(filter: filter(Filter), require(EcpContext, "EcpContext", "FltIsEcpFromUserMode")) ? 1 : 0
}

// MARK: FsRtl forms: the same implementation, acting as `Filter.fileSystemRuntime`.

private var fsRtl: PFLT_FILTER? { OpaquePointer(bitPattern: FltMgr.Filter.fileSystemRuntime.rawValue) }

@c @implementation
public func FsRtlAllocateExtraCreateParameterList(_ Flags: FSRTL_ALLOCATE_ECPLIST_FLAGS, _ EcpList: UnsafeMutablePointer<PECP_LIST?>?) -> NTSTATUS {
    FltAllocateExtraCreateParameterList(fsRtl, Flags, EcpList)
}

@c @implementation
public func FsRtlFreeExtraCreateParameterList(_ EcpList: PECP_LIST?) { FltFreeExtraCreateParameterList(fsRtl, EcpList) }

@c @implementation
public func FsRtlAllocateExtraCreateParameter(
    _ EcpType: UnsafePointer<GUID>?, _ SizeOfContext: ULONG, _ Flags: FSRTL_ALLOCATE_ECP_FLAGS,
    _ CleanupCallback: PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK?, _ PoolTag: ULONG, _ EcpContext: UnsafeMutablePointer<PVOID?>?
) -> NTSTATUS {
    FltAllocateExtraCreateParameter(fsRtl, EcpType, SizeOfContext, Flags, CleanupCallback, PoolTag, EcpContext)
}

@c @implementation
public func FsRtlFreeExtraCreateParameter(_ EcpContext: PVOID?) { FltFreeExtraCreateParameter(fsRtl, EcpContext) }

@c @implementation
public func FsRtlInitExtraCreateParameterLookasideList(_ Lookaside: PVOID?, _ Flags: FSRTL_ECP_LOOKASIDE_FLAGS, _ Size: SIZE_T, _ Tag: ULONG) {
    FltInitExtraCreateParameterLookasideList(fsRtl, Lookaside, Flags, Size, Tag)
}

@c @implementation
public func FsRtlDeleteExtraCreateParameterLookasideList(_ Lookaside: PVOID?, _ Flags: FSRTL_ECP_LOOKASIDE_FLAGS) {
    FltDeleteExtraCreateParameterLookasideList(fsRtl, Lookaside, Flags)
}

@c @implementation
public func FsRtlAllocateExtraCreateParameterFromLookasideList(
    _ EcpType: UnsafePointer<GUID>?, _ SizeOfContext: ULONG, _ Flags: FSRTL_ALLOCATE_ECP_FLAGS,
    _ CleanupCallback: PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK?, _ LookasideList: PVOID?, _ EcpContext: UnsafeMutablePointer<PVOID?>?
) -> NTSTATUS {
    FltAllocateExtraCreateParameterFromLookasideList(fsRtl, EcpType, SizeOfContext, Flags, CleanupCallback, LookasideList, EcpContext)
}

@c @implementation
public func FsRtlInsertExtraCreateParameter(_ EcpList: PECP_LIST?, _ EcpContext: PVOID?) -> NTSTATUS {
    FltInsertExtraCreateParameter(fsRtl, EcpList, EcpContext)
}

@c @implementation
public func FsRtlFindExtraCreateParameter(
    _ EcpList: PECP_LIST?, _ EcpType: UnsafePointer<GUID>?, _ EcpContext: UnsafeMutablePointer<PVOID?>?, _ EcpContextSize: UnsafeMutablePointer<ULONG>?
) -> NTSTATUS {
    FltFindExtraCreateParameter(fsRtl, EcpList, EcpType, EcpContext, EcpContextSize)
}

@c @implementation
public func FsRtlRemoveExtraCreateParameter(
    _ EcpList: PECP_LIST?, _ EcpType: UnsafePointer<GUID>?, _ EcpContext: UnsafeMutablePointer<PVOID?>?, _ EcpContextSize: UnsafeMutablePointer<ULONG>?
) -> NTSTATUS {
    FltRemoveExtraCreateParameter(fsRtl, EcpList, EcpType, EcpContext, EcpContextSize)
}

@c @implementation
public func FsRtlGetNextExtraCreateParameter(
    _ EcpList: PECP_LIST?, _ CurrentEcpContext: PVOID?, _ NextEcpType: UnsafeMutablePointer<GUID>?,
    _ NextEcpContext: UnsafeMutablePointer<PVOID?>?, _ NextEcpContextSize: UnsafeMutablePointer<ULONG>?
) -> NTSTATUS {
    FltGetNextExtraCreateParameter(fsRtl, EcpList, CurrentEcpContext, NextEcpType, NextEcpContext, NextEcpContextSize)
}

@c @implementation
public func FsRtlAcknowledgeEcp(_ EcpContext: PVOID?) { FltAcknowledgeEcp(fsRtl, EcpContext) }

@c @implementation
public func FsRtlIsEcpAcknowledged(_ EcpContext: PVOID?) -> BOOLEAN { FltIsEcpAcknowledged(fsRtl, EcpContext) }

@c @implementation
public func FsRtlIsEcpFromUserMode(_ EcpContext: PVOID?) -> BOOLEAN { FltIsEcpFromUserMode(fsRtl, EcpContext) }

@c @implementation
public func FsRtlPrepareToReuseEcp(_ EcpContext: PVOID?) { FltPrepareToReuseEcp(fsRtl, EcpContext) }
