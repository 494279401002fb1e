// C exports: the create path (FltCreateFileEx2, IoCreateFileEx, FltClose, ZwClose, the callback
// data's ECP list, file object references) and the C shapes of what the filters see. The C
// FLT_CALLBACK_DATA and FILE_OBJECT of an operation are made here, kept in step with the Swift
// `CallbackData` / `FileObject` around every C callback, and freed with them.
public import CWdf
import NtKernel
import FltMgr

/// The C memory of the operations and files in flight, by address (what validates a
/// `PFLT_CALLBACK_DATA` or `PFILE_OBJECT` a filter passes back).
enum CFrontDoor {
    /// FLT_CALLBACK_DATA, then its FLT_IO_PARAMETER_BLOCK, then the IO_SECURITY_CONTEXT.
    static let dataSize = MemoryLayout<FLT_CALLBACK_DATA>.size
    static let iopbOffset = (dataSize + 15) & ~15
    static let securityOffset = iopbOffset + ((MemoryLayout<FLT_IO_PARAMETER_BLOCK>.size + 15) & ~15)
    static let operationBytes = securityOffset + MemoryLayout<IO_SECURITY_CONTEXT>.size

    struct Live: @unchecked Sendable {
        var operations: [UInt: CallbackData] = [:]
        var files: [UInt: FileObject] = [:]
    }
    static let live = KernelLock(Live())

    /// `DRIVER_VERIFIER_DETECTED_VIOLATION` p1 for a pointer that is not an operation or file of the host's.
    static let notAnObject: UInt = 0xEA

    // MARK: Callback data

    static func storage(for data: CallbackData) -> UnsafeMutableRawPointer {
        data.frontDoor(
            make: {
                let storage = UnsafeMutableRawPointer.allocate(byteCount: operationBytes, alignment: 16)
                storage.initializeMemory(as: UInt8.self, repeating: 0, count: operationBytes)
                storage.storeBytes(
                    of: storage + iopbOffset, toByteOffset: MemoryLayout<FLT_CALLBACK_DATA>.offset(of: \.Iopb)!,
                    as: UnsafeMutableRawPointer.self)
                live.withLock { $0.operations[UInt(bitPattern: storage)] = data }
                return storage
            },
            release: { storage in
                _ = live.withLock { $0.operations.removeValue(forKey: UInt(bitPattern: storage)) }
                storage.deallocate()
            })
    }

    static func operation(_ pointer: PFLT_CALLBACK_DATA?, _ routine: StaticString) -> CallbackData {
        let address = UInt(bitPattern: pointer)
        guard let data = live.withLock({ $0.operations[address] }) else {
            BugCheck.raise(
                .driverVerifierDetectedViolation, notAnObject, address, 0, 0,
                "\(routine): \(String(describing: pointer)) is not the callback data of an operation in flight")
        }
        return data
    }

    /// Writes the Swift operation into its C form before a C callback.
    static func fill(_ storage: UnsafeMutableRawPointer, from data: CallbackData, instance: FilterInstance, post: Bool) {
        let c = storage.assumingMemoryBound(to: FLT_CALLBACK_DATA.self)
        var flags = UInt32(FLTFL_CALLBACK_DATA_IRP_OPERATION)
        if data.isGeneratedIo { flags |= UInt32(FLTFL_CALLBACK_DATA_GENERATED_IO) }
        if post { flags |= UInt32(FLTFL_CALLBACK_DATA_POST_OPERATION) }
        c.pointee.Flags = flags
        c.pointee.IoStatus.Status = data.ioStatus.status.rawValue
        c.pointee.IoStatus.Information = ULONG_PTR(data.ioStatus.information)
        c.pointee.RequestorMode = KPROCESSOR_MODE(data.requestorMode.rawValue)
        let iopb = (storage + iopbOffset).assumingMemoryBound(to: FLT_IO_PARAMETER_BLOCK.self)
        iopb.pointee.MajorFunction = data.majorFunction.rawValue
        iopb.pointee.TargetFileObject = fileObject(for: data.file)
        iopb.pointee.TargetInstance = OpaquePointer(bitPattern: instance.rawValue)
        let security = (storage + securityOffset).assumingMemoryBound(to: IO_SECURITY_CONTEXT.self)
        if data.majorFunction == .create {
            let create = data.create
            security.pointee.DesiredAccess = create.desiredAccess
            security.pointee.FullCreateOptions = create.options
            iopb.pointee.Parameters.Create.SecurityContext = security
            iopb.pointee.Parameters.Create.Options = create.packedOptions
            iopb.pointee.Parameters.Create.FileAttributes = create.fileAttributes
            iopb.pointee.Parameters.Create.ShareAccess = create.shareAccess
            iopb.pointee.Parameters.Create.EaLength = create.eaLength
            iopb.pointee.Parameters.Create.AllocationSize.QuadPart = create.allocationSize
        }
    }

    /// Reads back what a C callback may change: the status block and the create's parameters.
    static func readBack(_ storage: UnsafeMutableRawPointer, into data: CallbackData) {
        let c = storage.assumingMemoryBound(to: FLT_CALLBACK_DATA.self)
        data.ioStatus = IoStatus(status: NTStatus(rawValue: c.pointee.IoStatus.Status), information: UInt(c.pointee.IoStatus.Information))
        guard data.majorFunction == .create else { return }
        let iopb = (storage + iopbOffset).assumingMemoryBound(to: FLT_IO_PARAMETER_BLOCK.self)
        let security = (storage + securityOffset).assumingMemoryBound(to: IO_SECURITY_CONTEXT.self)
        let options = iopb.pointee.Parameters.Create.Options
        data.create.disposition = CreateDisposition(rawValue: options >> 24)
        data.create.options = options & 0x00FF_FFFF
        data.create.fileAttributes = iopb.pointee.Parameters.Create.FileAttributes
        data.create.shareAccess = iopb.pointee.Parameters.Create.ShareAccess
        data.create.desiredAccess = security.pointee.DesiredAccess
    }

    // MARK: File objects

    static func fileObject(for file: FileObject) -> PFILE_OBJECT {
        let storage = file.frontDoor(
            make: {
                let object = PFILE_OBJECT.allocate(capacity: 1)
                object.initialize(to: FILE_OBJECT())
                object.pointee.`Type` = 5  // IO_TYPE_FILE
                object.pointee.Size = CSHORT(MemoryLayout<FILE_OBJECT>.size)
                let units = Array(file.name.utf16)
                let buffer = UnsafeMutablePointer<WCHAR>.allocate(capacity: units.count + 1)
                for (index, unit) in units.enumerated() { buffer[index] = WCHAR(unit) }
                buffer[units.count] = 0
                object.pointee.FileName = UNICODE_STRING(
                    Length: USHORT(clamping: units.count * 2), MaximumLength: USHORT(clamping: units.count * 2 + 2), Buffer: buffer)
                object.pointee.Flags = UInt32(FO_SYNCHRONOUS_IO)
                let raw = UnsafeMutableRawPointer(object)
                live.withLock { $0.files[UInt(bitPattern: raw)] = file }
                return raw
            },
            release: { raw in
                _ = live.withLock { $0.files.removeValue(forKey: UInt(bitPattern: raw)) }
                let object = raw.assumingMemoryBound(to: FILE_OBJECT.self)
                object.pointee.FileName.Buffer?.deallocate()
                object.deinitialize(count: 1)
                object.deallocate()
            })
        return storage.assumingMemoryBound(to: FILE_OBJECT.self)
    }

    static func file(_ pointer: UnsafeMutableRawPointer?, _ routine: StaticString) -> FileObject {
        let address = UInt(bitPattern: pointer)
        guard let file = live.withLock({ $0.files[address] }) else {
            BugCheck.raise(
                .driverVerifierDetectedViolation, notAnObject, address, 0, 0,
                "\(routine): \(String(describing: pointer)) is not a file object of the host's")
        }
        return file
    }

    /// FLT_RELATED_OBJECTS (all members const) for a call.
    static func withRelatedObjects<R>(_ objects: RelatedObjects, _ body: (PCFLT_RELATED_OBJECTS) -> R) -> R {
        withUnsafeTemporaryAllocation(byteCount: MemoryLayout<FLT_RELATED_OBJECTS>.size, alignment: 8) { buffer in
            let raw = buffer.baseAddress!
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: buffer.count)
            raw.storeBytes(of: USHORT(MemoryLayout<FLT_RELATED_OBJECTS>.size), toByteOffset: MemoryLayout<FLT_RELATED_OBJECTS>.offset(of: \.Size)!, as: USHORT.self)
            raw.storeBytes(of: objects.filter.rawValue, toByteOffset: MemoryLayout<FLT_RELATED_OBJECTS>.offset(of: \.Filter)!, as: UInt.self)
            raw.storeBytes(of: FilterManager.volumeHandle, toByteOffset: MemoryLayout<FLT_RELATED_OBJECTS>.offset(of: \.Volume)!, as: UInt.self)
            raw.storeBytes(of: objects.instance.rawValue, toByteOffset: MemoryLayout<FLT_RELATED_OBJECTS>.offset(of: \.Instance)!, as: UInt.self)
            if let file = objects.file {
                raw.storeBytes(of: UInt(bitPattern: fileObject(for: file)), toByteOffset: MemoryLayout<FLT_RELATED_OBJECTS>.offset(of: \.FileObject)!, as: UInt.self)
            }
            return body(UnsafePointer(raw.assumingMemoryBound(to: FLT_RELATED_OBJECTS.self)))
        }
    }

    // MARK: Callbacks

    /// A C filter's operation registration as Swift callbacks (IRP_MJ_CREATE, IRP_MJ_CLEANUP,
    /// IRP_MJ_CLOSE; entries for other majors are never called here). nil when the array has no
    /// IRP_MJ_OPERATION_END within 256 entries.
    static func operations(_ registration: UnsafePointer<FLT_OPERATION_REGISTRATION>?) -> [OperationRegistration]? {
        guard let registration else { return [] }
        var operations: [OperationRegistration] = []
        for index in 0..<256 {
            let entry = registration[index]
            if entry.MajorFunction == UInt8(IRP_MJ_OPERATION_END) { return operations }
            let major = MajorFunction(rawValue: entry.MajorFunction)
            guard major == .create || major == .cleanup || major == .close else { continue }
            operations.append(OperationRegistration(major, pre: entry.PreOperation.map(pre), post: entry.PostOperation.map(post)))
        }
        return nil
    }

    static func pre(_ function: PFLT_PRE_OPERATION_CALLBACK) -> PreOperationCallback {
        let box = SendableCallback(function: function)
        return { data, objects in
            let storage = storage(for: data)
            fill(storage, from: data, instance: objects.instance, post: false)
            var context: PVOID? = nil
            let status = withUnsafeMutablePointer(to: &context) { slot in
                withRelatedObjects(objects) { related in
                    box.function(storage.assumingMemoryBound(to: FLT_CALLBACK_DATA.self), related, slot)
                }
            }
            readBack(storage, into: data)
            return (PreOperationStatus(rawValue: Int32(truncatingIfNeeded: status.rawValue)), context)
        }
    }

    static func post(_ function: PFLT_POST_OPERATION_CALLBACK) -> PostOperationCallback {
        let box = SendableCallback(function: function)
        return { data, objects, context, draining in
            let storage = storage(for: data)
            fill(storage, from: data, instance: objects.instance, post: true)
            let status = withRelatedObjects(objects) { related in
                box.function(storage.assumingMemoryBound(to: FLT_CALLBACK_DATA.self), related, context,
                             draining ? UInt32(FLTFL_POST_OPERATION_DRAINING) : 0)
            }
            readBack(storage, into: data)
            return PostOperationStatus(rawValue: Int32(truncatingIfNeeded: status.rawValue))
        }
    }

    static func instanceSetup(_ function: PFLT_INSTANCE_SETUP_CALLBACK) -> InstanceSetupCallback {
        let box = SendableCallback(function: function)
        return { objects in
            NTStatus(rawValue: withRelatedObjects(objects) { related in
                box.function(related, UInt32(FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT), UInt32(FILE_DEVICE_DISK_FILE_SYSTEM), FLT_FSTYPE_NTFS)
            })
        }
    }

    // MARK: Creates

    /// The name a create's OBJECT_ATTRIBUTES give (relative to RootDirectory when it is set).
    static func name(_ attributes: POBJECT_ATTRIBUTES?) throws(NTStatus) -> String {
        guard let attributes, attributes.pointee.Length == ULONG(MemoryLayout<OBJECT_ATTRIBUTES>.size),
            let string = attributes.pointee.ObjectName
        else { throw .invalidParameter }
        let units = string.pointee.Length / 2
        guard string.pointee.Length % 2 == 0, units == 0 || string.pointee.Buffer != nil else { throw .objectNameInvalid }
        let name = units == 0 ? "" : String(decoding: UnsafeBufferPointer(start: string.pointee.Buffer, count: Int(units)).map { UInt16($0) }, as: UTF16.self)
        guard let root = attributes.pointee.RootDirectory else { return name }
        guard let directory = FilterManager.file(for: UInt(bitPattern: root)) else { throw .invalidHandle }
        guard !name.hasPrefix("\\") else { throw .objectNameInvalid }
        let base = directory.name == "\\" ? "" : directory.name
        return HostFileSystem.volumeName + base + "\\" + name
    }

    static func parameters(
        _ attributes: POBJECT_ATTRIBUTES?, _ access: ACCESS_MASK, _ allocationSize: PLARGE_INTEGER?, _ fileAttributes: ULONG,
        _ share: ULONG, _ disposition: ULONG, _ options: ULONG, _ eaBuffer: PVOID?, _ eaLength: ULONG, _ flags: ULONG
    ) throws(NTStatus) -> CreateParameters {
        guard disposition <= UInt32(FILE_MAXIMUM_DISPOSITION), options & ~UInt32(FILE_VALID_OPTION_FLAGS) == 0,
            share & ~UInt32(FILE_SHARE_VALID_FLAGS) == 0, eaLength == 0 || eaBuffer != nil
        else { throw .invalidParameter }
        var parameters = CreateParameters(
            name: try name(attributes), desiredAccess: access, shareAccess: UInt16(share), fileAttributes: UInt16(truncatingIfNeeded: fileAttributes),
            disposition: CreateDisposition(rawValue: disposition), options: options, flags: flags)
        parameters.allocationSize = allocationSize?.pointee.QuadPart ?? 0
        parameters.eaLength = eaBuffer == nil ? 0 : eaLength
        return parameters
    }

    /// The ECP list an IO_DRIVER_CREATE_CONTEXT carries (its Size must cover it).
    static func ecpList(_ context: PIO_DRIVER_CREATE_CONTEXT?, filter: Filter) throws(NTStatus) -> EcpList? {
        guard let context else { return nil }
        guard Int(context.pointee.Size) >= MemoryLayout<IO_DRIVER_CREATE_CONTEXT>.offset(of: \.SiloContext)! else { throw .invalidParameter }
        return UnsafeMutableRawPointer(context.pointee.ExtraCreateParameter).map { EcpList(address: $0, filter: filter) }
    }

    static func complete(
        _ opened: Result<OpenedFile, NTStatus>, _ handle: UnsafeMutablePointer<HANDLE?>?, _ ioStatus: PIO_STATUS_BLOCK?
    ) -> NTSTATUS {
        switch opened {
        case .success(let file):
            handle?.pointee = HANDLE(bitPattern: file.handle)
            ioStatus?.pointee.Status = STATUS_SUCCESS
            ioStatus?.pointee.Information = ULONG_PTR(file.information)
            return STATUS_SUCCESS
        case .failure(let status):
            ioStatus?.pointee.Status = status.rawValue
            ioStatus?.pointee.Information = 0
            return status.rawValue
        }
    }
}

@c @implementation
public func FltGetEcpListFromCallbackData(
    _ Filter: PFLT_FILTER?, _ CallbackData: PFLT_CALLBACK_DATA?, _ EcpList: UnsafeMutablePointer<PECP_LIST?>?
) -> NTSTATUS {
    let routine: StaticString = "FltGetEcpListFromCallbackData"
    let out = require(EcpList, "EcpList", routine)
    do {
        out.pointee = try CFrontDoor.operation(CallbackData, routine).ecpList(filter: filter(Filter)).map { OpaquePointer($0.address) }
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func FltSetEcpListIntoCallbackData(_ Filter: PFLT_FILTER?, _ CallbackData: PFLT_CALLBACK_DATA?, _ EcpList: PECP_LIST?) -> NTSTATUS {
    let routine: StaticString = "FltSetEcpListIntoCallbackData"
    let data = CFrontDoor.operation(CallbackData, routine)
    guard let list = UnsafeMutableRawPointer(EcpList) else { return STATUS_INVALID_PARAMETER_3 }
    do { try data.setEcpList(FltMgr.EcpList(address: list, filter: filter(Filter))) } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func FltCreateFileEx2(
    _ Filter: PFLT_FILTER?, _ Instance: PFLT_INSTANCE?, _ FileHandle: PHANDLE?, _ FileObject: UnsafeMutablePointer<PFILE_OBJECT?>?,
    _ DesiredAccess: ACCESS_MASK, _ WdfAttributes: POBJECT_ATTRIBUTES?, _ IoStatusBlock: PIO_STATUS_BLOCK?,
    _ AllocationSize: PLARGE_INTEGER?, _ FileAttributes: ULONG, _ ShareAccess: ULONG, _ CreateDisposition: ULONG,
    _ CreateOptions: ULONG, _ EaBuffer: PVOID?, _ EaLength: ULONG, _ Flags: ULONG, _ DriverContext: PIO_DRIVER_CREATE_CONTEXT?
) -> NTSTATUS {
    let routine: StaticString = "FltCreateFileEx2"
    let caller = filter(Filter)
    if !caller.isRegistered { FltMgr.Filter.requireRegistered(caller, routine: routine) }
    let handle = require(FileHandle, "FileHandle", routine)
    handle.pointee = nil
    FileObject?.pointee = nil
    let below = Instance.map { FilterManager.requireInstance(rawValue: UInt(bitPattern: $0), routine: routine) }
    let result: Result<OpenedFile, NTStatus>
    do throws(NTStatus) {
        let parameters = try CFrontDoor.parameters(
            WdfAttributes, DesiredAccess, AllocationSize, FileAttributes, ShareAccess, CreateDisposition, CreateOptions, EaBuffer,
            EaLength, Flags)
        let list = try CFrontDoor.ecpList(DriverContext, filter: caller)
        result = .success(try FilterManager.create(parameters, requestorMode: .kernel, ecpList: list, below: below, routine: routine))
    } catch { result = .failure(error) }
    let status = CFrontDoor.complete(result, handle, IoStatusBlock)
    if case .success(let opened) = result, let FileObject {
        FilterManager.reference(opened.file)
        FileObject.pointee = CFrontDoor.fileObject(for: opened.file)
    }
    return status
}

@c @implementation
public func IoCreateFileEx(
    _ FileHandle: PHANDLE?, _ DesiredAccess: ACCESS_MASK, _ WdfAttributes: POBJECT_ATTRIBUTES?, _ IoStatusBlock: PIO_STATUS_BLOCK?,
    _ AllocationSize: PLARGE_INTEGER?, _ FileAttributes: ULONG, _ ShareAccess: ULONG, _ Disposition: ULONG, _ CreateOptions: ULONG,
    _ EaBuffer: PVOID?, _ EaLength: ULONG, _ CreateFileType: CREATE_FILE_TYPE, _ InternalParameters: PVOID?, _ Options: ULONG,
    _ DriverContext: PIO_DRIVER_CREATE_CONTEXT?
) -> NTSTATUS {
    let routine: StaticString = "IoCreateFileEx"
    let handle = require(FileHandle, "FileHandle", routine)
    handle.pointee = nil
    let result: Result<OpenedFile, NTStatus>
    do throws(NTStatus) {
        guard CreateFileType == CreateFileTypeNone, InternalParameters == nil else { throw .invalidParameter }
        let parameters = try CFrontDoor.parameters(
            WdfAttributes, DesiredAccess, AllocationSize, FileAttributes, ShareAccess, Disposition, CreateOptions, EaBuffer, EaLength,
            Options)
        let list = try CFrontDoor.ecpList(DriverContext, filter: FltMgr.Filter.fileSystemRuntime)
        result = .success(try FilterManager.create(parameters, requestorMode: .kernel, ecpList: list, routine: routine))
    } catch { result = .failure(error) }
    return CFrontDoor.complete(result, handle, IoStatusBlock)
}

@c @implementation
public func FltClose(_ FileHandle: HANDLE?) -> NTSTATUS {
    do { try FilterManager.close(UInt(bitPattern: FileHandle), routine: "FltClose") } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func ZwClose(_ Handle: HANDLE?) -> NTSTATUS {
    do { try FilterManager.close(UInt(bitPattern: Handle), routine: "ZwClose") } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func ObfReferenceObject(_ Object: PVOID?) -> LONG_PTR {
    let file = CFrontDoor.file(Object, "ObfReferenceObject")
    FilterManager.reference(file)
    return LONG_PTR(file.referenceCount)
}

@c @implementation
public func ObfDereferenceObject(_ Object: PVOID?) -> LONG_PTR {
    let file = CFrontDoor.file(Object, "ObfDereferenceObject")
    file.dereference()
    return LONG_PTR(file.referenceCount)
}

// MARK: The host's file system (wdfhost.h)

@c @implementation
public func WdfHostAddFile(_ Name: UnsafePointer<CChar>!) -> NTSTATUS {
    guard let Name else { return STATUS_INVALID_PARAMETER }
    do { try HostFileSystem.addFile(String(cString: Name)) } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfHostFailFile(_ Name: UnsafePointer<CChar>!, _ Status: NTSTATUS) -> NTSTATUS {
    guard let Name else { return STATUS_INVALID_PARAMETER }
    do { try HostFileSystem.failName(String(cString: Name), with: NTStatus(rawValue: Status)) } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfHostResetFileSystem() { HostFileSystem.reset() }

@c @implementation
public func WdfHostCreateFile(
    _ Name: UnsafePointer<CChar>!, _ DesiredAccess: ACCESS_MASK, _ ShareAccess: ULONG, _ CreateDisposition: ULONG,
    _ CreateOptions: ULONG, _ RequestorMode: KPROCESSOR_MODE, _ EcpList: PECP_LIST?, _ FileHandle: PHANDLE!,
    _ IoStatusBlock: PIO_STATUS_BLOCK?
) -> NTSTATUS {
    guard let Name, let FileHandle else { return STATUS_INVALID_PARAMETER }
    FileHandle.pointee = nil
    let result: Result<OpenedFile, NTStatus>
    do throws(NTStatus) {
        guard let mode = ProcessorMode(rawValue: UInt8(bitPattern: RequestorMode)), CreateDisposition <= UInt32(FILE_MAXIMUM_DISPOSITION),
            CreateOptions & ~UInt32(FILE_VALID_OPTION_FLAGS) == 0, ShareAccess & ~UInt32(FILE_SHARE_VALID_FLAGS) == 0
        else { throw .invalidParameter }
        let parameters = CreateParameters(
            name: String(cString: Name), desiredAccess: DesiredAccess, shareAccess: UInt16(ShareAccess),
            disposition: FltMgr.CreateDisposition(rawValue: CreateDisposition), options: CreateOptions)
        let list = UnsafeMutableRawPointer(EcpList).map { FltMgr.EcpList(address: $0, filter: FltMgr.Filter.fileSystemRuntime) }
        result = .success(try FilterManager.create(parameters, requestorMode: mode, ecpList: list, routine: "WdfHostCreateFile"))
    } catch { result = .failure(error) }
    return CFrontDoor.complete(result, FileHandle, IoStatusBlock)
}
