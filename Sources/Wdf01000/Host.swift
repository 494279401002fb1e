// C exports: the host (wdfhost.h). A DRIVER_OBJECT and its registry path are C-shaped, so they
// are made here; loading, parameters, unload routines and processes live in the Swift layer.
public import CWdf
import NtKernel
#if canImport(Glibc)
import Glibc
#endif

/// The C-side memory of a loaded driver: its DRIVER_OBJECT with the DRIVER_EXTENSION and the
/// strings they point to, made as the I/O manager makes them before DriverEntry runs.
private struct DriverObjectStorage {
    /// `\REGISTRY\MACHINE\HARDWARE\DESCRIPTION\SYSTEM`, what `HardwareDatabase` names.
    static let hardwareDatabase = "\\REGISTRY\\MACHINE\\HARDWARE\\DESCRIPTION\\SYSTEM"

    static func make(serviceName: String, entry: PDRIVER_INITIALIZE) -> PDRIVER_OBJECT {
        let object = PDRIVER_OBJECT.allocate(capacity: 1)
        object.initialize(to: DRIVER_OBJECT())
        object.pointee.Size = CSHORT(MemoryLayout<DRIVER_OBJECT>.size)
        object.pointee.`Type` = CSHORT(IO_TYPE_DRIVER)
        object.pointee.DriverName = unicodeString(Array(("\\Driver\\" + serviceName).utf16))
        object.pointee.DriverInit = entry
        let entryAddress = unsafeBitCast(entry, to: UnsafeRawPointer.self)
        if let image = LoadedImage.containing(entryAddress) {
            object.pointee.DriverStart = UnsafeMutableRawPointer(mutating: image.start)
            object.pointee.DriverSize = ULONG(clamping: image.size)
        }
        let database = PUNICODE_STRING.allocate(capacity: 1)
        database.initialize(to: unicodeString(Array(hardwareDatabase.utf16)))
        object.pointee.HardwareDatabase = database
        let extensionRecord = PDRIVER_EXTENSION.allocate(capacity: 1)
        extensionRecord.initialize(to: DRIVER_EXTENSION())
        extensionRecord.pointee.DriverObject = object
        extensionRecord.pointee.ServiceKeyName = unicodeString(Array(serviceName.utf16))
        object.pointee.DriverExtension = extensionRecord
        // Every major function starts as the I/O manager's "invalid device request" routine.
        withUnsafeMutableBytes(of: &object.pointee.MajorFunction) { table in
            let entries = table.bindMemory(to: PDRIVER_DISPATCH?.self)
            for index in entries.indices { entries[index] = invalidDeviceRequest }
        }
        return object
    }

    static func unicodeString(_ units: [UInt16]) -> UNICODE_STRING {
        let buffer = UnsafeMutablePointer<WCHAR>.allocate(capacity: units.count + 1)
        for (index, unit) in units.enumerated() { buffer[index] = WCHAR(unit) }
        buffer[units.count] = 0
        return UNICODE_STRING(
            Length: USHORT(units.count * 2), MaximumLength: USHORT(units.count * 2 + 2), Buffer: buffer)
    }

    static func free(_ object: PDRIVER_OBJECT) {
        object.pointee.DriverName.Buffer?.deallocate()
        if let database = object.pointee.HardwareDatabase {
            database.pointee.Buffer?.deallocate()
            database.deinitialize(count: 1)
            database.deallocate()
        }
        if let extensionRecord = object.pointee.DriverExtension {
            extensionRecord.pointee.ServiceKeyName.Buffer?.deallocate()
            extensionRecord.deinitialize(count: 1)
            extensionRecord.deallocate()
        }
        object.deinitialize(count: 1)
        object.deallocate()
    }
}

/// The I/O manager's default dispatch routine (`IopInvalidDeviceRequest`): what a major function
/// the driver did not set answers. The host sends no IRPs, so it only answers a driver that
/// calls its own table.
private let invalidDeviceRequest: PDRIVER_DISPATCH = { _, _ in STATUS_INVALID_DEVICE_REQUEST }

@c @implementation
public func WdfHostLoadDriver(
    _ ServiceName: UnsafePointer<CChar>!, _ DriverEntry: PDRIVER_INITIALIZE?, _ DriverObject: UnsafeMutablePointer<PDRIVER_OBJECT?>!
) -> NTSTATUS {
    guard let ServiceName, let DriverEntry, let DriverObject else { return STATUS_INVALID_PARAMETER }
    DriverObject.pointee = nil
    let serviceName = String(cString: ServiceName)
    let object = DriverObjectStorage.make(serviceName: serviceName, entry: DriverEntry)
    do {
        let driver = try DriverHost.load(serviceName: serviceName, token: UnsafeMutableRawPointer(object)) { driver throws(NTStatus) in
            var registryPath = DriverObjectStorage.unicodeString(Array(driver.registryPath.utf16))
            defer { registryPath.Buffer?.deallocate() }
            let status = NTStatus(rawValue: DriverEntry(object, &registryPath))
            guard status.isSuccess else { throw status }
        }
        let target = SendableDriverObject(object: object)
        driver.addUnloadRoutine {
            if let unload = target.object.pointee.DriverUnload { unload(target.object) }
        }
    } catch {
        DriverObjectStorage.free(object)
        return error.rawValue
    }
    DriverObject.pointee = object
    return STATUS_SUCCESS
}

private struct SendableDriverObject: @unchecked Sendable { let object: PDRIVER_OBJECT }

@c @implementation
public func WdfHostUnloadDriver(_ DriverObject: PDRIVER_OBJECT!) -> NTSTATUS {
    guard let DriverObject, let driver = DriverHost.driver(withToken: UnsafeMutableRawPointer(DriverObject)) else {
        return STATUS_INVALID_PARAMETER
    }
    let status: NTStatus
    do { status = try DriverHost.unload(driver) } catch { return error.rawValue }
    DriverObjectStorage.free(DriverObject)
    return status.rawValue
}

@c @implementation
public func WdfHostSetServiceParameter(
    _ ServiceName: UnsafePointer<CChar>!, _ ValueName: UnsafePointer<CChar>!, _ Value: ULONG
) -> NTSTATUS {
    guard let ServiceName, let ValueName else { return STATUS_INVALID_PARAMETER }
    DriverHost.setServiceParameter(service: String(cString: ServiceName), name: String(cString: ValueName), value: Value)
    return STATUS_SUCCESS
}

@c @implementation
public func WdfHostSetCurrentProcess(
    _ ImageName: UnsafePointer<CChar>?, _ PagedQuotaLimit: SIZE_T, _ NonPagedQuotaLimit: SIZE_T
) -> NTSTATUS {
    guard let ImageName else {
        EmulatedProcess.enterSystem()
        return STATUS_SUCCESS
    }
    do {
        try EmulatedProcess.enter(
            imageName: String(cString: ImageName), pagedQuotaLimit: clampedSize(PagedQuotaLimit),
            nonPagedQuotaLimit: clampedSize(NonPagedQuotaLimit))
    } catch {
        return error.rawValue
    }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfHostQueryProcessQuota(
    _ ImageName: UnsafePointer<CChar>!, _ PagedUsage: UnsafeMutablePointer<SIZE_T>?, _ NonPagedUsage: UnsafeMutablePointer<SIZE_T>?
) -> NTSTATUS {
    PagedUsage?.pointee = 0
    NonPagedUsage?.pointee = 0
    guard let ImageName else { return STATUS_SUCCESS }  // System: never charged
    guard let process = EmulatedProcess.named(String(cString: ImageName)) else { return STATUS_NOT_FOUND }
    let quota = process.quota
    PagedUsage?.pointee = SIZE_T(max(0, quota.pagedUsage))
    NonPagedUsage?.pointee = SIZE_T(max(0, quota.nonPagedUsage))
    return STATUS_SUCCESS
}
