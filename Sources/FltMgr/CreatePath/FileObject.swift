import Synchronization
package import NtKernel

/// An opened (or opening) file of the host's volume. Corresponds to `FILE_OBJECT`: its name is
/// the name on the volume (`\dir\file`), as `FileObject->FileName` holds it once the create has
/// reached the volume.
///
/// Lifetime as on Windows: every handle counts one handle and one reference; a caller that asked
/// for the file object (`FltCreateFileEx2`'s `FileObject`) holds one more reference, given back
/// with `dereference()` (`ObDereferenceObject`). When the last handle is closed the filters see
/// `IRP_MJ_CLEANUP`; when the last reference goes, `IRP_MJ_CLOSE`.
package final class FileObject: @unchecked Sendable {
    /// The name on the volume, e.g. `\dir\file.txt` (`\` for the volume's root).
    package let name: String
    /// Who opened it.
    package let requestorMode: ProcessorMode
    /// A file opened by a filter with `FltCreateFileEx2` is seen only by the instances below the
    /// filter's (its altitude); nil: every instance.
    package let targetAltitude: UInt32?
    let handles = Atomic<Int>(0)
    let references = Atomic<Int>(0)
    let opened = Atomic<Bool>(false)

    init(name: String, requestorMode: ProcessorMode, targetAltitude: UInt32?) {
        self.name = name
        self.requestorMode = requestorMode
        self.targetAltitude = targetAltitude
    }

    /// The volume's device name.
    package var volumeName: String { HostFileSystem.volumeName }
    /// Open handles.
    package var handleCount: Int { handles.load(ordering: .acquiring) }
    /// References (handles included).
    package var referenceCount: Int { references.load(ordering: .acquiring) }
    /// Whether the create succeeded and the file is not closed yet.
    package var isOpen: Bool { opened.load(ordering: .acquiring) }

    /// Gives back a reference the caller was given (`ObDereferenceObject` on a file object). The
    /// last one sends `IRP_MJ_CLOSE` through the filters. Dropping more references than the file
    /// holds for its handles is bug check `REFERENCE_BY_POINTER` (0x18).
    package func dereference() { FilterManager.dereference(self, routine: "ObDereferenceObject") }

    // MARK: Front door

    /// Memory the C front door keeps for this file (its `FILE_OBJECT`, as an address), freed
    /// with `release` when the file is gone.
    private let frontDoorState = KernelLock<(storage: UInt, release: (@Sendable (UnsafeMutableRawPointer) -> Void)?)>((0, nil))

    /// The front door's storage, made by `make` on first use.
    package func frontDoor(
        make: () -> UnsafeMutableRawPointer, release: @escaping @Sendable (UnsafeMutableRawPointer) -> Void
    ) -> UnsafeMutableRawPointer {
        let address = frontDoorState.withLock { state -> UInt in
            if state.storage != 0 { return state.storage }
            let storage = UInt(bitPattern: make())
            state = (storage, release)
            return storage
        }
        return UnsafeMutableRawPointer(bitPattern: address)!
    }

    /// The front door's storage if it was made.
    package var frontDoorStorage: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: frontDoorState.withLock { $0.storage }) }

    func releaseFrontDoor() {
        let (storage, release) = frontDoorState.withLock { state in
            defer { state = (0, nil) }
            return state
        }
        if let pointer = UnsafeMutableRawPointer(bitPattern: storage), let release { release(pointer) }
    }
}

/// An I/O operation as the filters see it. Corresponds to `FLT_CALLBACK_DATA` (with its
/// `FLT_IO_PARAMETER_BLOCK`): the major function, who asked, the file, the create parameters,
/// the ECP list and the `IoStatus` a filter sets when it completes the operation.
package final class CallbackData: @unchecked Sendable {
    package let majorFunction: MajorFunction
    /// `RequestorMode`.
    package let requestorMode: ProcessorMode
    /// `Iopb->TargetFileObject`.
    package let file: FileObject
    /// `Iopb->Parameters.Create` (and the desired access of its security context); filters may
    /// change them in their pre-operation callback, as after `FltSetCallbackDataDirty`.
    package var create: CreateParameters {
        get { createStorage }
        set { createStorage = newValue }
    }
    @exclusivity(unchecked) var createStorage: CreateParameters
    /// `IoStatus`: set it before returning `FLT_PREOP_COMPLETE`; the result in post-operation.
    package var ioStatus: IoStatus {
        get { ioStatusStorage }
        set { ioStatusStorage = newValue }
    }
    @exclusivity(unchecked) var ioStatusStorage: IoStatus
    /// `FLTFL_CALLBACK_DATA_GENERATED_IO`: a filter issued the operation (`FltCreateFileEx2`).
    package let isGeneratedIo: Bool

    /// The address of the ECP list attached to the create (0: none).
    @exclusivity(unchecked) var ecpListAddress: UInt
    /// Lists filters attached with `setEcpList`, with the position of the instance that did.
    @exclusivity(unchecked) var attachedLists: [(address: UInt, level: Int)] = []
    /// The position of the instance whose callback runs now.
    @exclusivity(unchecked) var level = 0

    init(majorFunction: MajorFunction, requestorMode: ProcessorMode, file: FileObject, create: CreateParameters,
         ecpList: UInt, generated: Bool) {
        self.majorFunction = majorFunction
        self.requestorMode = requestorMode
        self.file = file
        self.createStorage = create
        self.ioStatusStorage = IoStatus(status: .success)
        self.ecpListAddress = ecpList
        self.isGeneratedIo = generated
    }

    /// The ECP list attached to this create, nil when there is none. Corresponds to
    /// `FltGetEcpListFromCallbackData`.
    /// - Throws: `.invalidParameter` when the operation is not a create.
    package func ecpList(filter: Filter) throws(NTStatus) -> EcpList? {
        let routine: StaticString = "FltGetEcpListFromCallbackData"
        EcpCheck.requireApc(routine)
        _ = FilterTable.resolve(filter, routine: routine)
        guard majorFunction == .create else { throw .invalidParameter }
        return UnsafeMutableRawPointer(bitPattern: ecpListAddress).map { EcpList(address: $0, filter: filter) }
    }

    /// Attaches an ECP list to a create that has none; it travels to the instances below and is
    /// in flight until the create comes back up past the caller's instance (the caller frees it
    /// in its post-operation callback, or later). Corresponds to `FltSetEcpListIntoCallbackData`.
    /// - Throws: `.invalidParameter2` when the operation is not a create, `.invalidParameter3`
    ///   when a list is attached already.
    package func setEcpList(_ list: EcpList) throws(NTStatus) {
        let routine: StaticString = "FltSetEcpListIntoCallbackData"
        EcpCheck.requireApc(routine)
        _ = FilterTable.resolve(list.filter, routine: routine)
        let record = EcpList.record(list.address, routine: routine)
        guard majorFunction == .create else { throw .invalidParameter2 }
        guard ecpListAddress == 0 else { throw .invalidParameter3 }
        record.pointee.inFlight += 1
        ecpListAddress = UInt(bitPattern: list.address)
        attachedLists.append((ecpListAddress, level))
    }

    // MARK: Front door

    /// Memory the C front door keeps for this operation (its `FLT_CALLBACK_DATA`), freed with
    /// `frontDoorRelease` when the operation is over. (Reached through accessors: another
    /// module's direct access to a class's stored property would be checked at run time.)
    @exclusivity(unchecked) var frontDoorStorageValue: UnsafeMutableRawPointer?
    @exclusivity(unchecked) var frontDoorRelease: (@Sendable (UnsafeMutableRawPointer) -> Void)?

    /// The front door's storage, made by `make` on first use; `release` frees it when the
    /// operation is over.
    package func frontDoor(
        make: () -> UnsafeMutableRawPointer, release: @escaping @Sendable (UnsafeMutableRawPointer) -> Void
    ) -> UnsafeMutableRawPointer {
        if let storage = frontDoorStorageValue { return storage }
        let storage = make()
        frontDoorStorageValue = storage
        frontDoorRelease = release
        return storage
    }

    func releaseFrontDoor() {
        if let storage = frontDoorStorageValue, let release = frontDoorRelease { release(storage) }
        frontDoorStorageValue = nil
        frontDoorRelease = nil
    }
}

/// A filter's instance on the host's volume. Corresponds to `PFLT_INSTANCE`.
package struct FilterInstance: Hashable, Sendable {
    /// The value C code sees.
    package let rawValue: UInt
    package let filter: Filter
    /// The instance's altitude (higher is closer to the caller).
    package let altitude: UInt32

    static let marker: UInt = 0x494E << 48  // "IN"
}
