package import NtKernel

/// The Filter Manager's I/O side: the filters' instances on the host's volume, in altitude
/// order, and the operations that pass through them (create, cleanup, close).
///
/// A create runs each instance's pre-operation callback from the top (highest altitude) down,
/// reaches `HostFileSystem`, and runs the post-operation callbacks of the instances that asked
/// for one from the bottom up, all on the calling thread at PASSIVE_LEVEL.
package enum FilterManager {
    /// The altitude of a filter whose service has no `Altitude` value: 370000, the base of the
    /// "FSFilter Activity Monitor" load-order group (where Microsoft's sample minifilters sit).
    /// Two instances cannot share an altitude (`STATUS_FLT_INSTANCE_ALTITUDE_COLLISION`).
    package static let defaultAltitude: UInt32 = 370_000

    /// The value C code sees as the volume (`PFLT_VOLUME`).
    package static let volumeHandle: UInt = 0x564F << 48 | 0x10  // "VO"

    struct Registration {
        var callbacks: [MajorFunction: OperationRegistration]
        var instanceSetup: InstanceSetupCallback?
        var altitude: UInt32
        var instance: FilterInstance?
    }

    struct Attached {
        let instance: FilterInstance
        let callbacks: [MajorFunction: OperationRegistration]
    }

    struct State {
        var registrations: [UInt: Registration] = [:]
        /// Attached instances, highest altitude first.
        var instances: [Attached] = []
        /// Altitudes taken (attached or attaching).
        var altitudes: Set<UInt32> = []
        var handles: [UInt: FileObject] = [:]
        var nextHandle: UInt = 0
        var nextInstance: UInt = 0
    }

    static let state = KernelLock(State())

    // MARK: Registration and attachment

    static func register(_ filter: Filter, operations: [OperationRegistration], instanceSetup: InstanceSetupCallback?, altitude: UInt32) {
        var callbacks: [MajorFunction: OperationRegistration] = [:]
        for operation in operations where callbacks[operation.majorFunction] == nil { callbacks[operation.majorFunction] = operation }
        state.withLock {
            $0.registrations[filter.rawValue] = Registration(callbacks: callbacks, instanceSetup: instanceSetup, altitude: altitude)
        }
    }

    /// `FltStartFiltering`: attaches the filter's instance to the volume (once).
    static func startFiltering(_ filter: Filter) throws(NTStatus) {
        let irql = Irql.current
        if irql != .passive { BugCheck.irqlTooHigh("FltStartFiltering", limit: .passive, current: irql) }
        let reserved = try state.withLock { state throws(NTStatus) -> (FilterInstance, Registration)? in
            guard var registration = state.registrations[filter.rawValue] else { return nil }
            guard registration.instance == nil else { return nil }
            guard !state.altitudes.contains(registration.altitude) else { throw .fltInstanceAltitudeCollision }
            state.altitudes.insert(registration.altitude)
            state.nextInstance += 1
            let instance = FilterInstance(
                rawValue: FilterInstance.marker | state.nextInstance << 4, filter: filter, altitude: registration.altitude)
            registration.instance = instance
            state.registrations[filter.rawValue] = registration
            return (instance, registration)
        }
        guard let (instance, registration) = reserved else { return }
        let setup = registration.instanceSetup.map { $0(RelatedObjects(filter: filter, instance: instance, file: nil)) } ?? .success
        state.withLock { state in
            guard setup.isSuccess, state.registrations[filter.rawValue]?.instance == instance else {
                state.altitudes.remove(instance.altitude)
                state.registrations[filter.rawValue]?.instance = nil
                return
            }
            let index = state.instances.firstIndex { $0.instance.altitude < instance.altitude } ?? state.instances.count
            state.instances.insert(Attached(instance: instance, callbacks: registration.callbacks), at: index)
        }
    }

    /// Detaches and forgets a filter that is being unregistered.
    static func unregister(_ filter: Filter) {
        state.withLock { state in
            guard let registration = state.registrations.removeValue(forKey: filter.rawValue) else { return }
            if let instance = registration.instance {
                state.instances.removeAll { $0.instance == instance }
                state.altitudes.remove(instance.altitude)
            }
        }
    }

    /// The filter's instance on the volume (nil before `FltStartFiltering`, or when its instance
    /// setup callback declined).
    package static func instance(of filter: Filter) -> FilterInstance? {
        state.withLock { state in
            guard let instance = state.registrations[filter.rawValue]?.instance,
                state.instances.contains(where: { $0.instance == instance })
            else { return nil }
            return instance
        }
    }

    /// The attached instances, top (highest altitude) first.
    package static var instances: [FilterInstance] { state.withLock { $0.instances.map(\.instance) } }

    /// The attached instance whose value C code sees is `rawValue`.
    package static func instance(rawValue: UInt) -> FilterInstance? {
        state.withLock { $0.instances.first { $0.instance.rawValue == rawValue }?.instance }
    }

    /// The instances an operation on a file with `targetAltitude` passes through.
    static func path(below targetAltitude: UInt32?) -> [Attached] {
        state.withLock { state in
            guard let targetAltitude else { return state.instances }
            return state.instances.filter { $0.instance.altitude < targetAltitude }
        }
    }
}

// MARK: Create

/// What a successful create gives its caller.
package struct OpenedFile: Sendable {
    /// The handle (`HANDLE`): closed with `FilterManager.close(_:)` (`ZwClose`, `FltClose`).
    package let handle: UInt
    package let file: FileObject
    /// `IoStatus.Information`: `FILE_OPENED`, `FILE_CREATED`, ...
    package let information: UInt
}

extension FilterManager {
    /// `DRIVER_VERIFIER_DETECTED_VIOLATION` parameter 1 for the create path's stops.
    package enum Violation {
        /// A pre-operation callback returned a status that is not valid here (p2 the status, p3
        /// the instance).
        package static let invalidPreOperationStatus: UInt = 0xE6
        /// A post-operation callback returned `FLT_POSTOP_MORE_PROCESSING_REQUIRED` (p2, p3 as above).
        package static let invalidPostOperationStatus: UInt = 0xE7
        /// An ECP list was freed while a create it is attached to is in flight (p2 the list).
        package static let ecpListInFlight: UInt = 0xE8
        /// `FltCreateFileEx2` named an instance that is not attached (p2 the instance).
        package static let invalidInstance: UInt = 0xE9
    }

    /// Opens or creates a file through the filters. `ecpList` travels with the create (it stays
    /// its creator's: free it after this returns); with `requestorMode` `.user` its ECPs are
    /// marked as coming from user mode. `below`: start below that instance (a filter's own
    /// create), and the file's later cleanup and close go only to the instances below it too.
    /// Corresponds to `FltCreateFileEx2` (with `below`), `IoCreateFileEx` (with an
    /// `IO_DRIVER_CREATE_CONTEXT`), and the host's `WdfHostCreateFile`.
    /// - Throws: the status the name's parsing, a filter (`FLT_PREOP_COMPLETE`) or the file
    ///   system failed the create with.
    package static func create(
        _ parameters: CreateParameters, requestorMode: ProcessorMode = .kernel, ecpList: EcpList? = nil,
        below: FilterInstance? = nil, routine: StaticString = "FltCreateFileEx2"
    ) throws(NTStatus) -> OpenedFile {
        let irql = Irql.current
        if irql != .passive { BugCheck.irqlTooHigh("\(routine)", limit: .passive, current: irql) }
        if let below, instance(rawValue: below.rawValue) == nil {
            BugCheck.raise(
                .driverVerifierDetectedViolation, Violation.invalidInstance, below.rawValue, 0, 0,
                "\(routine): 0x\(String(below.rawValue, radix: 16)) is not an instance attached to the volume")
        }
        let name = try HostFileSystem.volumeRelativeName(parameters.name)
        var creatorList: UnsafeMutablePointer<EcpListRecord>? = nil
        if let ecpList {
            let record = EcpList.record(ecpList.address, routine: routine)
            if requestorMode == .user { ecpList.markFromUserMode(record) }
            record.pointee.inFlight += 1
            creatorList = record
        }
        let file = FileObject(name: name, requestorMode: requestorMode, targetAltitude: below?.altitude)
        let data = CallbackData(
            majorFunction: .create, requestorMode: requestorMode, file: file, create: parameters,
            ecpList: ecpList.map { UInt(bitPattern: $0.address) } ?? 0, generated: below != nil)
        let path = path(below: below?.altitude)
        let result = run(data, through: path) {
            let status = data.create.eaLength > 0
                ? IoStatus(status: .easNotSupported)
                : HostFileSystem.create(file.name, disposition: data.create.disposition, options: data.create.options)
            data.ioStatus = status
        }
        // Lists a filter attached come back to it (run), the creator's once the create is over.
        creatorList?.pointee.inFlight -= 1
        _ = result
        data.releaseFrontDoor()
        guard data.ioStatus.status.isSuccess else {
            file.releaseFrontDoor()
            throw data.ioStatus.status
        }
        file.opened.store(true, ordering: .releasing)
        file.handles.store(1, ordering: .relaxed)
        file.references.store(1, ordering: .releasing)
        let handle = state.withLock { state -> UInt in
            state.nextHandle += 4
            let handle = requestorMode == .kernel ? 0xFFFF_FFFF_8000_0000 | state.nextHandle : state.nextHandle
            state.handles[handle] = file
            return handle
        }
        return OpenedFile(handle: handle, file: file, information: data.ioStatus.information)
    }

    /// Runs `data` down `path` (pre-operation callbacks top down), `bottom` where the pre-operation
    /// callbacks let it through, and the post-operation callbacks that were asked for, bottom up.
    @discardableResult
    static func run(_ data: CallbackData, through path: [Attached], bottom: () -> Void) -> Bool {
        var posts: [(level: Int, context: UnsafeMutableRawPointer?)] = []
        var completed = false
        for (level, attached) in path.enumerated() {
            guard let callbacks = attached.callbacks[data.majorFunction] else { continue }
            guard let pre = callbacks.pre else {
                if callbacks.post != nil { posts.append((level, nil)) }
                continue
            }
            data.level = level
            let objects = RelatedObjects(filter: attached.instance.filter, instance: attached.instance, file: data.file)
            let (status, context) = pre(data, objects)
            switch status {
            case .successWithCallback, .synchronize:
                if callbacks.post != nil { posts.append((level, context)) }
            case .successNoCallback:
                break
            case .complete:
                completed = true
            default:
                BugCheck.raise(
                    .driverVerifierDetectedViolation, Violation.invalidPreOperationStatus, UInt(bitPattern: Int(status.rawValue)),
                    attached.instance.rawValue, 0,
                    "the pre-operation callback of the instance at altitude \(attached.instance.altitude) for \(data.majorFunction) returned \(status.rawValue), which is not supported here (FLT_PREOP_PENDING and FLT_PREOP_DISALLOW_FASTIO need I/O this host does not queue)")
            }
            if completed { break }
        }
        if !completed { bottom() }
        // Up: a list attached at a level leaves flight as the create passes that level.
        var nextPost = posts.count - 1
        for level in stride(from: path.count - 1, through: 0, by: -1) {
            releaseLists(of: data, at: level)
            guard nextPost >= 0, posts[nextPost].level == level else { continue }
            let (_, context) = posts[nextPost]
            nextPost -= 1
            let attached = path[level]
            guard let post = attached.callbacks[data.majorFunction]?.post else { continue }
            data.level = level
            let objects = RelatedObjects(filter: attached.instance.filter, instance: attached.instance, file: data.file)
            let status = post(data, objects, context, false)
            if status != .finishedProcessing {
                BugCheck.raise(
                    .driverVerifierDetectedViolation, Violation.invalidPostOperationStatus, UInt(bitPattern: Int(status.rawValue)),
                    attached.instance.rawValue, 0,
                    "the post-operation callback of the instance at altitude \(attached.instance.altitude) for \(data.majorFunction) returned \(status.rawValue); only FLT_POSTOP_FINISHED_PROCESSING is supported here")
            }
        }
        return !completed
    }

    static func releaseLists(of data: CallbackData, at level: Int) {
        guard !data.attachedLists.isEmpty else { return }
        data.attachedLists.removeAll { attached in
            guard attached.level >= level else { return false }
            if let address = UnsafeMutableRawPointer(bitPattern: attached.address),
                Pool.blockStatus(address) == .allocated, address.load(as: UInt64.self) == EcpListRecord.liveMagic
            {
                address.assumingMemoryBound(to: EcpListRecord.self).pointee.inFlight -= 1
            }
            return true
        }
    }
}

// MARK: Handles, cleanup and close

extension FilterManager {
    /// The file a handle refers to.
    package static func file(for handle: UInt) -> FileObject? { state.withLock { $0.handles[handle] } }

    /// Takes one more reference on the file of `handle` (`ObReferenceObjectByHandle`); give it
    /// back with `FileObject.dereference()`.
    /// - Throws: `.invalidHandle`.
    package static func referenceFile(for handle: UInt) throws(NTStatus) -> FileObject {
        guard let file = file(for: handle) else { throw .invalidHandle }
        file.references.wrappingAdd(1, ordering: .relaxed)
        return file
    }

    /// Takes one more reference on an open file (the file object `FltCreateFileEx2` returns).
    package static func reference(_ file: FileObject) { file.references.wrappingAdd(1, ordering: .relaxed) }

    /// Closes a handle: its file's last handle sends `IRP_MJ_CLEANUP` through the filters, its
    /// last reference `IRP_MJ_CLOSE`. Corresponds to `ZwClose` and `FltClose`.
    /// - Throws: `.invalidHandle` for a handle that is not open.
    package static func close(_ handle: UInt, routine: StaticString = "ZwClose") throws(NTStatus) {
        let irql = Irql.current
        if irql != .passive { BugCheck.irqlTooHigh("\(routine)", limit: .passive, current: irql) }
        guard let file = state.withLock({ $0.handles.removeValue(forKey: handle) }) else { throw .invalidHandle }
        if file.handles.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            send(.cleanup, for: file)
        }
        dereference(file, routine: routine)
    }

    static func dereference(_ file: FileObject, routine: StaticString) {
        let (remaining, handles) = (file.references.subtract(1, ordering: .acquiringAndReleasing).newValue, file.handleCount)
        if remaining < handles || remaining < 0 {
            BugCheck.raise(
                BugCheckCode(rawValue: 0x18), 0, UInt(bitPattern: ObjectIdentifier(file).hashValue), 0x10, UInt(bitPattern: remaining),
                "REFERENCE_BY_POINTER: \(routine) dropped a reference the file object \(file.name) did not hold (its handles hold \(handles))")
        }
        guard remaining == 0 else { return }
        send(.close, for: file)
        file.opened.store(false, ordering: .releasing)
        file.releaseFrontDoor()
    }

    static func send(_ major: MajorFunction, for file: FileObject) {
        let data = CallbackData(
            majorFunction: major, requestorMode: file.requestorMode, file: file, create: CreateParameters(name: file.name),
            ecpList: 0, generated: file.targetAltitude != nil)
        run(data, through: path(below: file.targetAltitude)) {}
        data.releaseFrontDoor()
    }
}

extension FilterManager {
    /// The attached instance `rawValue` names; anything else is bug check
    /// `DRIVER_VERIFIER_DETECTED_VIOLATION` (p1 `Violation.invalidInstance`).
    package static func requireInstance(rawValue: UInt, routine: StaticString) -> FilterInstance {
        guard let instance = instance(rawValue: rawValue) else {
            BugCheck.raise(
                .driverVerifierDetectedViolation, Violation.invalidInstance, rawValue, 0, 0,
                "\(routine): 0x\(String(rawValue, radix: 16)) is not an instance attached to the volume")
        }
        return instance
    }
}
