import Testing
import TestSupport
import NtKernel
import FltMgr

/// What the test filters saw, in order.
final class CallLog: @unchecked Sendable {
    let lock = KernelLock<[String]>([])
    func add(_ entry: String) { lock.withLock { $0.append(entry) } }
    var entries: [String] { lock.withLock { $0 } }
}

/// A filter in Swift that logs its create, cleanup and close callbacks as "<name> <op>".
func loggingFilter(
    _ name: String, altitude: UInt32, log: CallLog,
    preCreate: (@Sendable (CallbackData, RelatedObjects) -> PreOperationStatus)? = nil
) throws -> Filter {
    let pre: PreOperationCallback = { data, objects in
        log.add("\(name) pre \(data.majorFunction)")
        let status = data.majorFunction == .create ? preCreate?(data, objects) ?? .successWithCallback : .successWithCallback
        return (status, nil)
    }
    let post: PostOperationCallback = { data, _, _, _ in
        log.add("\(name) post \(data.majorFunction) \(data.ioStatus.status.isSuccess ? "ok" : "failed")")
        return .finishedProcessing
    }
    let filter = try Filter.register(
        driver: nil,
        operations: [MajorFunction.create, .cleanup, .close].map { OperationRegistration($0, pre: pre, post: post) },
        altitude: altitude)
    try filter.startFiltering()
    return filter
}

/// The create path in Swift. Serialized: the volume and its instances are process-wide.
@Suite("Create path", .serialized)
struct CreatePathTests {
    @Test func preTopDownFileSystemPostBottomUpThenCleanupAndClose() throws {
        let log = CallLog()
        let lower = try loggingFilter("lower", altitude: 320_001, log: log)
        let upper = try loggingFilter("upper", altitude: 320_002, log: log)
        defer {
            upper.unregister()
            lower.unregister()
        }
        #expect(upper.instance?.altitude == 320_002)
        let opened = try FilterManager.create(CreateParameters(name: "\\??\\C:\\swift\\one.txt", disposition: .openIf))
        #expect(opened.information == IoStatus.created)
        #expect(opened.file.name == "\\swift\\one.txt")
        #expect(HostFileSystem.fileExists("\\Device\\HarddiskVolume1\\SWIFT\\ONE.TXT"))
        try FilterManager.close(opened.handle)
        #expect(log.entries == [
            "upper pre IRP_MJ_CREATE", "lower pre IRP_MJ_CREATE", "lower post IRP_MJ_CREATE ok", "upper post IRP_MJ_CREATE ok",
            "upper pre IRP_MJ_CLEANUP", "lower pre IRP_MJ_CLEANUP", "lower post IRP_MJ_CLEANUP ok", "upper post IRP_MJ_CLEANUP ok",
            "upper pre IRP_MJ_CLOSE", "lower pre IRP_MJ_CLOSE", "lower post IRP_MJ_CLOSE ok", "upper post IRP_MJ_CLOSE ok",
        ])
        #expect(!opened.file.isOpen)
        #expect(throws: NTStatus.invalidHandle) { try FilterManager.close(opened.handle) }
    }

    @Test func aFilterCompletesTheCreateAndTheFiltersBelowNeverSeeIt() throws {
        let log = CallLog()
        let lower = try loggingFilter("lower", altitude: 320_011, log: log)
        let upper = try loggingFilter("upper", altitude: 320_012, log: log) { data, _ in
            data.ioStatus = IoStatus(status: .accessDenied)
            return .complete
        }
        defer {
            upper.unregister()
            lower.unregister()
        }
        #expect(throws: NTStatus.accessDenied) {
            try FilterManager.create(CreateParameters(name: "\\??\\C:\\swift\\denied.txt", disposition: .create))
        }
        #expect(log.entries == ["upper pre IRP_MJ_CREATE"])
        #expect(!HostFileSystem.fileExists("\\??\\C:\\swift\\denied.txt"))
    }

    @Test func theFileSystemsAnswers() throws {
        try HostFileSystem.addFile("\\??\\C:\\swift\\exists.txt")
        try HostFileSystem.failName("\\??\\C:\\swift\\locked.txt", with: .sharingViolation)
        #expect(throws: NTStatus.objectNameNotFound) { try FilterManager.create(CreateParameters(name: "\\??\\C:\\swift\\missing.txt")) }
        #expect(throws: NTStatus.objectNameCollision) {
            try FilterManager.create(CreateParameters(name: "\\??\\C:\\swift\\exists.txt", disposition: .create))
        }
        #expect(throws: NTStatus.sharingViolation) {
            try FilterManager.create(CreateParameters(name: "\\??\\C:\\swift\\locked.txt", disposition: .openIf))
        }
        #expect(throws: NTStatus.objectPathNotFound) { try FilterManager.create(CreateParameters(name: "\\??\\E:\\x")) }
        #expect(throws: NTStatus.objectPathSyntaxBad) { try FilterManager.create(CreateParameters(name: "relative.txt")) }
        let opened = try FilterManager.create(CreateParameters(name: "\\Device\\HarddiskVolume1\\swift\\exists.txt"))
        #expect(opened.information == IoStatus.opened)
        try FilterManager.close(opened.handle)
        // The root is the one directory; extended attributes are not supported.
        #expect(throws: NTStatus.notADirectory) {
            try FilterManager.create(CreateParameters(name: "\\??\\C:\\swift\\exists.txt", options: 0x1))
        }
        #expect(throws: NTStatus.fileIsADirectory) {
            try FilterManager.create(CreateParameters(name: "\\Device\\HarddiskVolume1", options: 0x40))
        }
        let root = try FilterManager.create(CreateParameters(name: "\\??\\C:\\", options: 0x1))
        #expect(root.file.name == "\\")
        try FilterManager.close(root.handle)
        var withEas = CreateParameters(name: "\\??\\C:\\swift\\ea.txt", disposition: .openIf)
        withEas.eaLength = 16
        #expect(throws: NTStatus.easNotSupported) { try FilterManager.create(withEas) }
    }

    @Test func anEcpTravelsDownIsAcknowledgedAndFreedByItsCreator() throws {
        let seen = KernelLock<(found: Bool, fromUserMode: Bool, value: UInt64)>((false, true, 0))
        let lowerBox = KernelLock<Filter?>(nil)
        let consumer: PreOperationCallback = { data, _ in
            guard let filter = lowerBox.withLock({ $0 }), let list = try? data.ecpList(filter: filter),
                let value = list.find(sampleType, as: UInt64.self)
            else { return (.successNoCallback, nil) }
            ExtraCreateParameters.acknowledge(filter: filter, UnsafeMutableRawPointer(value))
            seen.withLock {
                $0 = (true, ExtraCreateParameters.isFromUserMode(filter: filter, UnsafeMutableRawPointer(value)), value.pointee)
            }
            return (.successNoCallback, nil)
        }
        let lower = try Filter.register(driver: nil, operations: [OperationRegistration(.create, pre: consumer)], altitude: 320_021)
        lowerBox.withLock { $0 = lower }
        try lower.startFiltering()
        let upper = try Filter.register(driver: nil, altitude: 320_022)
        try upper.startFiltering()
        defer {
            upper.unregister()
            lower.unregister()
        }
        let lookaside = EcpLookaside(filter: upper, contextSize: 8, tag: "EcCp")
        let list = try EcpList.allocate(filter: upper)
        let hint = try lookaside.allocate(sampleType, UInt64(0xFEED))
        try list.insert(hint)
        let opened = try FilterManager.create(
            CreateParameters(name: "\\??\\C:\\swift\\ecp.txt", disposition: .openIf), ecpList: list, below: upper.instance)
        #expect(seen.withLock { $0.found && !$0.fromUserMode && $0.value == 0xFEED })
        #expect(ExtraCreateParameters.isAcknowledged(filter: upper, UnsafeMutableRawPointer(hint)))
        list.free()
        #expect(upper.outstandingEcps == 0)
        try FilterManager.close(opened.handle)

        // A user-mode create from the host: the same ECP type, now from user mode.
        let userList = try EcpList.allocate(filter: Filter.fileSystemRuntime)
        let userEcp = try ExtraCreateParameters.allocate(
            filter: Filter.fileSystemRuntime, type: sampleType, size: 8, flags: [], cleanup: .none, tag: "EcUm")
        userEcp.storeBytes(of: UInt64(0xBEEF), as: UInt64.self)
        try userList.insert(userEcp)
        let userOpen = try FilterManager.create(
            CreateParameters(name: "\\??\\C:\\swift\\ecp.txt"), requestorMode: .user, ecpList: userList)
        #expect(seen.withLock { $0.fromUserMode && $0.value == 0xBEEF })
        #expect(userOpen.file.requestorMode == .user)
        userList.free()
        try FilterManager.close(userOpen.handle)
    }

    @Test func setEcpListOnlyWhenThereIsNone() throws {
        let outcome = KernelLock<[NTStatus]>([])
        let filterBox = KernelLock<Filter?>(nil)
        let attach: PreOperationCallback = { data, _ in
            guard let filter = filterBox.withLock({ $0 }) else { return (.successNoCallback, nil) }
            let list = try! EcpList.allocate(filter: filter)
            do throws(NTStatus) {
                try data.setEcpList(list)
                outcome.withLock { $0.append(.success) }
                return (.successWithCallback, UnsafeMutableRawPointer(list.address))
            } catch {
                outcome.withLock { $0.append(error) }
                list.free()
                return (.successNoCallback, nil)
            }
        }
        let release: PostOperationCallback = { _, objects, context, _ in
            if let context { EcpList(address: context, filter: objects.filter).free() }
            return .finishedProcessing
        }
        let filter = try Filter.register(driver: nil, operations: [OperationRegistration(.create, pre: attach, post: release)], altitude: 320_031)
        filterBox.withLock { $0 = filter }
        try filter.startFiltering()
        defer { filter.unregister() }
        let first = try FilterManager.create(CreateParameters(name: "\\??\\C:\\swift\\set.txt", disposition: .openIf))
        let ecps = try EcpList.allocate(filter: filter)
        let second = try FilterManager.create(CreateParameters(name: "\\??\\C:\\swift\\set.txt"), ecpList: ecps)
        ecps.free()
        #expect(outcome.withLock { $0 } == [.success, .invalidParameter3])
        try FilterManager.close(first.handle)
        try FilterManager.close(second.handle)
        #expect(filter.outstandingEcps == 0)
    }

    @Test func altitudesMustDiffer() throws {
        let first = try Filter.register(driver: nil, altitude: 320_041)
        let second = try Filter.register(driver: nil, altitude: 320_041)
        defer {
            second.unregister()
            first.unregister()
        }
        try first.startFiltering()
        #expect(throws: NTStatus.fltInstanceAltitudeCollision) { try second.startFiltering() }
        #expect(second.instance == nil)
    }

    @Test func theServicesAltitudeAndInstanceSetup() throws {
        DriverHost.setServiceParameter(service: "SwiftAltitude", name: "Altitude", value: 320_051)
        let setups = KernelLock<[UInt32]>([])
        var filter: Filter?
        let host = try DriverHost.load(serviceName: "SwiftAltitude") { host throws(NTStatus) in
            filter = try Filter.register(driver: host, instanceSetup: { objects in
                setups.withLock { $0.append(objects.instance.altitude) }
                return .success
            })
            try filter!.startFiltering()
        }
        #expect(setups.withLock { $0 } == [320_051])
        #expect(filter?.instance?.altitude == 320_051)
        _ = try DriverHost.unload(host)
        #expect(!FilterManager.instances.contains { $0.altitude == 320_051 })
    }

    @Test func anInstanceSetupThatDeclinesLeavesTheFilterOff() throws {
        let filter = try Filter.register(driver: nil, instanceSetup: { _ in .fltDoNotAttach }, altitude: 320_061)
        defer { filter.unregister() }
        try filter.startFiltering()
        #expect(filter.instance == nil)
    }

    @Test func aFileObjectReferenceKeepsTheCloseUntilItIsDropped() throws {
        let log = CallLog()
        let filter = try loggingFilter("only", altitude: 320_071, log: log)
        defer { filter.unregister() }
        let opened = try FilterManager.create(CreateParameters(name: "\\??\\C:\\swift\\ref.txt", disposition: .openIf))
        FilterManager.reference(opened.file)
        try FilterManager.close(opened.handle)
        #expect(log.entries.filter { $0.contains("CLOSE") }.isEmpty)
        #expect(opened.file.referenceCount == 1)
        opened.file.dereference()
        #expect(log.entries.last == "only post IRP_MJ_CLOSE ok")
    }
}

@Suite("Create path bug checks")
struct CreatePathBugCheckTests {
    @Test func freeingAListWhileItsCreateIsInFlight() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(
                driver: nil,
                operations: [OperationRegistration(.create, pre: { data, objects in
                    try! data.ecpList(filter: objects.filter)?.free()
                    return (.successNoCallback, nil)
                })],
                altitude: 310_001)
            try! filter.startFiltering()
            let list = try! EcpList.allocate(filter: filter)
            _ = try? FilterManager.create(CreateParameters(name: "\\??\\C:\\x", disposition: .openIf), ecpList: list)
        }
        expectStop(result, code: 0xC4, parameter1: 0xE8)
    }

    @Test func aPendingPreOperationStatus() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(
                driver: nil, operations: [OperationRegistration(.create, pre: { _, _ in (.pending, nil) })], altitude: 310_002)
            try! filter.startFiltering()
            _ = try? FilterManager.create(CreateParameters(name: "\\??\\C:\\x", disposition: .openIf))
        }
        expectStop(result, code: 0xC4, parameter1: 0xE6)
    }

    @Test func moreProcessingRequiredAfterACreate() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let filter = try! Filter.register(
                driver: nil,
                operations: [OperationRegistration(.create, pre: { _, _ in (.successWithCallback, nil) }, post: { _, _, _, _ in .moreProcessingRequired })],
                altitude: 310_003)
            try! filter.startFiltering()
            _ = try? FilterManager.create(CreateParameters(name: "\\??\\C:\\x", disposition: .openIf))
        }
        expectStop(result, code: 0xC4, parameter1: 0xE7)
    }

    @Test func dereferencingTheHandlesReference() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let opened = try! FilterManager.create(CreateParameters(name: "\\??\\C:\\x", disposition: .openIf))
            opened.file.dereference()
        }
        expectStop(result, code: 0x18, parameter1: 0)
    }

    @Test func creatingAbovePassiveLevel() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Irql.raise(to: .apc)
            _ = try? FilterManager.create(CreateParameters(name: "\\??\\C:\\x", disposition: .openIf))
        }
        expectStop(result, code: 0x0A, parameter1: 0)
    }
}
