// C exports: framework objects (handles, attributes, contexts, references), driver, device,
// request. Handles cross as their raw values; WDF_OBJECT_ATTRIBUTES is read into its Swift form.
public import CWdf
import NtKernel
import Wdf

/// A handle value as C sees it.
func handle(_ object: UnsafeMutableRawPointer?) -> WdfObject { WdfObject(rawValue: UInt(bitPattern: object)) }
func handle(_ object: OpaquePointer?) -> WdfObject { WdfObject(rawValue: UInt(bitPattern: UnsafeMutableRawPointer(object))) }
func pointer(_ object: WdfObject) -> UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: object.rawValue) }
func opaque(_ object: WdfObject) -> OpaquePointer? { OpaquePointer(bitPattern: object.rawValue) }

/// A `size_t`/`SIZE_T` from C as what it is, unsigned. Swift imports `size_t` as `Int`, so a
/// value of 2^63 or more arrives negative: every range check on one is done in `UInt`, never by
/// converting it to `Int` (which would trap or go negative).
@inline(__always)
func unsignedSize(_ value: Int) -> UInt { UInt(bitPattern: value) }

/// A `size_t` from C for a Swift routine that takes an `Int` byte count: values of 2^63 or more
/// become `Int.max` (which no allocation can satisfy, so it fails as a huge request should).
@inline(__always)
func clampedSize(_ value: Int) -> Int { Int(clamping: UInt(bitPattern: value)) }

/// `WDF_REQUIRED_PARAMETER_IS_NULL` for a NULL required pointer.
func require<T>(_ value: T?, _ name: String, _ routine: StaticString) -> T {
    guard let value else {
        BugCheck.raise(.wdfViolation, 0x4, 0, 0, 0, "\(routine): the required parameter \(name) is NULL")
    }
    return value
}

struct SendableCallback<F>: @unchecked Sendable { let function: F }

/// Reads a WDF_OBJECT_ATTRIBUTES (NULL: none) into its raw Swift form.
func rawAttributes(_ attributes: PWDF_OBJECT_ATTRIBUTES?) -> RawObjectAttributes? {
    guard let attributes else { return nil }
    let value = attributes.pointee
    let cleanup = value.EvtCleanupCallback.map { function in
        let box = SendableCallback(function: function)
        return { @Sendable (object: WdfObject) in box.function(pointer(object)) } as ObjectCallback
    }
    let destroy = value.EvtDestroyCallback.map { function in
        let box = SendableCallback(function: function)
        return { @Sendable (object: WdfObject) in box.function(pointer(object)) } as ObjectCallback
    }
    var context: RawContextType? = nil
    if let info = value.ContextTypeInfo {
        let type = info.pointee
        context = RawContextType(
            sizeField: type.Size, expectedSizeField: ULONG(MemoryLayout<WDF_OBJECT_CONTEXT_TYPE_INFO>.size),
            hasName: type.ContextName != nil, name: type.ContextName.map { String(cString: $0) } ?? "",
            contextSize: type.ContextSize, key: UInt(bitPattern: type.UniqueType ?? info))
    }
    return RawObjectAttributes(
        size: value.Size, expectedSize: ULONG(MemoryLayout<WDF_OBJECT_ATTRIBUTES>.size), cleanup: cleanup, destroy: destroy,
        executionLevel: value.ExecutionLevel.rawValue, synchronizationScope: value.SynchronizationScope.rawValue,
        parent: value.ParentObject.map { handle($0) }, contextSizeOverride: value.ContextSizeOverride, context: context)
}

/// The early parent lookup: only when the attributes' Size is right and a parent is named.
func earlyOwner(_ raw: RawObjectAttributes?, _ routine: StaticString) -> (parent: UInt32, driver: UInt32) {
    let parent = (raw?.sizeIsValid ?? false) ? raw?.parent : nil
    return CreationOwner.resolve(parent: parent, routine: routine)
}

func validated(_ raw: RawObjectAttributes?, forMemory: Bool) throws(NTStatus) -> WdfAttributes {
    try raw?.validated(forMemory: forMemory) ?? WdfAttributes()
}

/// Whether `attributes` (NULL: none) ask for nothing that the creation fast paths
/// (`MemoryObjects.createPlainly`, `WdfObject.createPlainly`) cannot give (the current size, no
/// callbacks, no context, levels a memory object accepts), and their parent. Anything else goes
/// to the general path, which reads and validates them in order.
func plainAttributes(_ attributes: PWDF_OBJECT_ATTRIBUTES?) -> (plain: Bool, parent: WdfObject?) {
    guard let attributes else { return (true, nil) }
    let value = attributes.pointee
    let plain = value.Size == ULONG(MemoryLayout<WDF_OBJECT_ATTRIBUTES>.size) && value.EvtCleanupCallback == nil
        && value.EvtDestroyCallback == nil && value.ContextSizeOverride == 0 && value.ContextTypeInfo == nil
        && WdfAttributes.levelsArePlain(
            executionLevel: value.ExecutionLevel.rawValue, synchronizationScope: value.SynchronizationScope.rawValue)
    return (plain, value.ParentObject.map { handle($0) })
}

@c @implementation
public func WdfObjectCreate(_ Attributes: PWDF_OBJECT_ATTRIBUTES?, _ Object: UnsafeMutablePointer<WDFOBJECT?>?) -> NTSTATUS {
    if let Object, case let (true, parent) = plainAttributes(Attributes), let made = WdfObject.createPlainly(parent: parent) {
        switch made {
        case .success(let object):
            Object.pointee = pointer(object)
            return STATUS_SUCCESS
        case .failure(let error):
            Object.pointee = nil
            return error.rawValue
        }
    }
    let raw = rawAttributes(Attributes)
    _ = earlyOwner(raw, "WdfObjectCreate")
    let out = require(Object, "Object", "WdfObjectCreate")
    out.pointee = nil
    do {
        out.pointee = pointer(try WdfObject.create(attributes: validated(raw, forMemory: false)))
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfObjectDelete(_ Object: WDFOBJECT?) { handle(Object).delete() }

@c @implementation
public func WdfObjectReferenceActual(_ Handle: WDFOBJECT?, _ Tag: PVOID?, _ Line: LONG, _ File: PCCH?) {
    handle(Handle).reference(tag: Tag.map { UnsafeRawPointer($0) }, cFile: File, line: Int(Line))
}

@c @implementation
public func WdfObjectDereferenceActual(_ Handle: WDFOBJECT?, _ Tag: PVOID?, _ Line: LONG, _ File: PCCH?) {
    handle(Handle).dereference(tag: Tag.map { UnsafeRawPointer($0) }, cFile: File, line: Int(Line))
}

@c @implementation
public func WdfObjectGetTypedContextWorker(_ Handle: WDFOBJECT?, _ TypeInfo: PCWDF_OBJECT_CONTEXT_TYPE_INFO?) -> PVOID? {
    let info = require(TypeInfo, "TypeInfo", "WdfObjectGetTypedContextWorker")
    let key = UInt(bitPattern: info.pointee.UniqueType ?? info)
    return handle(Handle).context(ContextType(key: key, size: Int(info.pointee.ContextSize), name: ""))
}

@c @implementation
public func WdfObjectAllocateContext(
    _ Handle: WDFOBJECT?, _ ContextAttributes: PWDF_OBJECT_ATTRIBUTES?, _ Context: UnsafeMutablePointer<PVOID?>?
) -> NTSTATUS {
    let object = handle(Handle)
    _ = object.kind  // validates the handle first
    Context?.pointee = nil
    guard let raw = rawAttributes(ContextAttributes) else { return STATUS_WDF_PARENT_NOT_SPECIFIED }
    do {
        let attributes = try raw.validated(forMemory: false)
        let (memory, existed) = try object.allocateContext(attributes)
        Context?.pointee = memory
        return existed ? STATUS_OBJECT_NAME_EXISTS : STATUS_SUCCESS
    } catch {
        return error.rawValue
    }
}

@c @implementation
public func WdfObjectContextGetObject(_ ContextPointer: PVOID?) -> WDFOBJECT? {
    pointer(WdfObject.owner(ofContext: require(ContextPointer, "ContextPointer", "WdfObjectContextGetObject")))
}

// MARK: Driver, device, request

@c @implementation
public func WdfDriverCreate(
    _ DriverObject: PDRIVER_OBJECT?, _ RegistryPath: PCUNICODE_STRING?, _ DriverAttributes: PWDF_OBJECT_ATTRIBUTES?,
    _ DriverConfig: PWDF_DRIVER_CONFIG?, _ Driver: UnsafeMutablePointer<WDFDRIVER?>?
) -> NTSTATUS {
    let routine: StaticString = "WdfDriverCreate"
    let driverObject = require(DriverObject, "DriverObject", routine)
    let path = require(RegistryPath, "RegistryPath", routine).pointee
    let config = require(DriverConfig, "DriverConfig", routine).pointee
    Driver?.pointee = nil
    let units = path.Buffer.map { Array(UnsafeBufferPointer(start: $0, count: Int(path.Length) / 2)) } ?? []
    let registryPath = String(decoding: units.map { UInt16($0) }, as: UTF16.self)
    let host = DriverHost.driver(withToken: UnsafeMutableRawPointer(driverObject))
    var swiftConfig = WdfDriverHandle.Config(poolTag: PoolTag(rawValue: config.DriverPoolTag))
    if let deviceAdd = config.EvtDriverDeviceAdd {
        let box = SendableCallback(function: deviceAdd)
        swiftConfig.deviceAdd = { driver, deviceInit throws(NTStatus) in
            let token = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
            token.pointee = deviceInit.rawValue
            let status = NTStatus(rawValue: box.function(opaque(driver.object), OpaquePointer(token)))
            guard status.isSuccess else { throw status }
        }
    }
    if let unload = config.EvtDriverUnload {
        let box = SendableCallback(function: unload)
        swiftConfig.unload = { driver in box.function(opaque(driver.object)) }
    }
    // The flags this framework knows (the WDK's WDF_DRIVER_INIT_FLAGS); a legacy (non-PnP)
    // driver has no EvtDriverDeviceAdd unless it also keeps its own dispatch table.
    let knownFlags = ULONG(WdfDriverInitNonPnpDriver.rawValue | WdfDriverInitNoDispatchOverride.rawValue)
        | ULONG(WdfVerifyOn.rawValue | WdfVerifierOn.rawValue)
    if config.DriverInitFlags & ~knownFlags != 0 { return STATUS_INVALID_PARAMETER }
    if config.DriverInitFlags & ULONG(WdfDriverInitNoDispatchOverride.rawValue) == 0,
        config.DriverInitFlags & ULONG(WdfDriverInitNonPnpDriver.rawValue) != 0, config.EvtDriverDeviceAdd != nil
    {
        return STATUS_INVALID_PARAMETER
    }
    do {
        let attributes = try validated(rawAttributes(DriverAttributes), forMemory: false)
        let driver = try WdfDriverHandle.create(
            registryPath: registryPath, host: host, wdmDriverObject: UnsafeMutableRawPointer(driverObject),
            attributes: attributes, config: swiftConfig,
            configTagIsCurrent: config.Size == ULONG(MemoryLayout<WDF_DRIVER_CONFIG>.size))
        Driver?.pointee = opaque(driver.object)
    } catch {
        return error.rawValue
    }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfGetDriver() -> WDFDRIVER? { opaque(WdfDriverHandle.current.object) }

/// The driver of a handle the C door was given (bug check 0x10D/5 when it is not a live driver).
private func driverHandle(_ Driver: WDFDRIVER?, _ routine: StaticString) -> WdfDriverHandle {
    WdfDriverHandle.validated(handle(Driver), routine: routine)
}

@c @implementation
public func WdfDriverWdmGetDriverObject(_ Driver: WDFDRIVER?) -> PDRIVER_OBJECT? {
    driverHandle(Driver, "WdfDriverWdmGetDriverObject").wdmDriverObject?.assumingMemoryBound(to: DRIVER_OBJECT.self)
}

@c @implementation
public func WdfDriverGetRegistryPath(_ Driver: WDFDRIVER?) -> PWSTR? {
    let driver = driverHandle(Driver, "WdfDriverGetRegistryPath")
    // WCHAR is char16_t, imported as UInt16: the buffer is the driver's UTF-16 path as it is.
    return driver.registryPathBuffer
}

@c @implementation
public func WdfDriverIsVersionAvailable(_ Driver: WDFDRIVER?, _ VersionAvailableParams: PWDF_DRIVER_VERSION_AVAILABLE_PARAMS?) -> BOOLEAN {
    _ = driverHandle(Driver, "WdfDriverIsVersionAvailable")
    let params = require(VersionAvailableParams, "VersionAvailableParams", "WdfDriverIsVersionAvailable").pointee
    guard params.Size == ULONG(MemoryLayout<WDF_DRIVER_VERSION_AVAILABLE_PARAMS>.size) else { return 0 }
    return WdfDriverHandle.isVersionAvailable(major: params.MajorVersion, minor: params.MinorVersion) ? 1 : 0
}

@c @implementation
public func WdfDeviceGetDriver(_ Device: WDFDEVICE?) -> WDFDRIVER? {
    opaque(WdfDeviceHandle(handle(Device)).driver.object)
}

@c @implementation
public func WdfDeviceCreate(
    _ DeviceInit: UnsafeMutablePointer<PWDFDEVICE_INIT?>?, _ DeviceAttributes: PWDF_OBJECT_ATTRIBUTES?,
    _ Device: UnsafeMutablePointer<WDFDEVICE?>?
) -> NTSTATUS {
    let routine: StaticString = "WdfDeviceCreate"
    let initPointer = require(DeviceInit, "DeviceInit", routine)
    let token = require(initPointer.pointee, "*DeviceInit", routine)
    let out = require(Device, "Device", routine)
    out.pointee = nil
    let deviceInit = Wdf.DeviceInit(rawValue: UnsafeMutablePointer<UInt32>(token).pointee)
    do {
        let device = try WdfDeviceHandle.create(deviceInit, attributes: validated(rawAttributes(DeviceAttributes), forMemory: false))
        UnsafeMutablePointer<UInt32>(token).deallocate()
        initPointer.pointee = nil
        out.pointee = opaque(device.object)
    } catch {
        return error.rawValue
    }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfRequestCreate(
    _ RequestAttributes: PWDF_OBJECT_ATTRIBUTES?, _ IoTarget: WDFIOTARGET?, _ Request: UnsafeMutablePointer<WDFREQUEST?>?
) -> NTSTATUS {
    let raw = rawAttributes(RequestAttributes)
    _ = earlyOwner(raw, "WdfRequestCreate")
    let out = require(Request, "Request", "WdfRequestCreate")
    out.pointee = nil
    do {
        out.pointee = opaque(try WdfRequestHandle.create(attributes: validated(raw, forMemory: false)).object)
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfHostAddDevice(_ DriverObject: PDRIVER_OBJECT?, _ Device: UnsafeMutablePointer<WDFDEVICE?>?) -> NTSTATUS {
    Device?.pointee = nil
    guard let DriverObject, let host = DriverHost.driver(withToken: UnsafeMutableRawPointer(DriverObject)),
        let driver = WdfDriverHandle.driver(for: host)
    else { return STATUS_INVALID_PARAMETER }
    do {
        let device = try WdfDeviceHandle.add(to: driver)
        Device?.pointee = opaque(device.object)
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}
