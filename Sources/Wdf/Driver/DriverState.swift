import Synchronization
package import NtKernel

/// Verifier settings of a driver, read from its service's `Parameters\Wdf` values at
/// `WdfDriverCreate`.
package struct VerifierSettings: Hashable, Sendable {
    /// `VerifierOn`: handle checks, pool tracking, IRQL checks, break on error.
    package var verifierOn = false
    /// `VerifierAllocateFailCount`: the first N framework allocations succeed, later ones fail.
    package var allocateFailCount: Int?
    /// `DbgBreakOnError`.
    package var breakOnError = false
    /// `TrackHandles`: reference tags recorded.
    package var trackHandles = false
    /// Driver Verifier's flags (`VerifyDriverLevel`) as the framework sees them: 0x2 makes every
    /// framework method check its maximum IRQL (the KmdfIrql rule, 0xC4), 0x4 makes framework
    /// creations fail at random (the low resources simulation).
    package var driverLevel: DriverVerifierSettings.Level = []

    package init() {}

    package init(parameters: [String: UInt32]) {
        func value(_ name: String) -> UInt32? {
            parameters.first { $0.key.lowercased() == name.lowercased() }?.value
        }
        verifierOn = (value("VerifierOn") ?? 0) != 0
        allocateFailCount = value("VerifierAllocateFailCount").map(Int.init)
        breakOnError = (value("DbgBreakOnError") ?? 0) != 0 || verifierOn
        trackHandles = (value("TrackHandles") ?? 0) != 0 || verifierOn
        driverLevel = DriverVerifierSettings(parameters: parameters).level
    }

    var tracksPool: Bool { verifierOn }
    var checksIrql: Bool { verifierOn }
    /// No pool or handle tracking, no IRQL checks, no failing allocations: creating an object
    /// needs nothing from the driver but its tag (see `ObjectSlot.plainTag`).
    var asksNothingPerAllocation: Bool {
        !verifierOn && !trackHandles && allocateFailCount == nil && !forcesIrqlChecking && !simulatesLowResources
    }
    /// `VerifyDriverLevel` 0x2: the KmdfIrql rule.
    var forcesIrqlChecking: Bool { driverLevel.contains(.forceIrqlChecking) }
    /// `VerifyDriverLevel` 0x4: framework creations take part in the low resources simulation.
    var simulatesLowResources: Bool { driverLevel.contains(.lowResourcesSimulation) }
    /// The verifier (KMDF's or Driver Verifier) watches the driver: the DriverCreate rule applies.
    var verifiesDriver: Bool { verifierOn || !driverLevel.isEmpty }
}

/// What a driver object keeps: its service, default pool tag, verifier settings, and (with pool
/// tracking) its live framework allocations.
final class DriverState: @unchecked Sendable {
    let serviceName: String
    /// The registry path `WdfDriverCreate` was given.
    let registryPath: String
    /// The registry path as a NUL-terminated UTF-16 string, freed with the driver
    /// (`WdfDriverGetRegistryPath` returns it).
    let registryPathUnits: UnsafeMutablePointer<UInt16>
    /// The front door's driver object (the C door's `PDRIVER_OBJECT`), nil for a Swift driver.
    let wdmDriverObject: UnsafeMutableRawPointer?
    let tag: PoolTag
    let settings: VerifierSettings
    let host: LoadedDriver?
    let deviceAdd: (@Sendable (WdfDriverHandle, DeviceInit) throws(NTStatus) -> Void)?
    let unload: (@Sendable (WdfDriverHandle) -> Void)?
    /// Framework allocations made so far (VerifierAllocateFailCount).
    let allocations = Atomic<Int>(0)

    struct Tracked {
        var kind: ObjectKind
        var tag: PoolTag
        var size: Int
        var creator: StaticString
        /// Where the driver called from (named when the leak is reported).
        var stack: CallStack
    }

    let tracked = KernelLock<[UInt32: Tracked]>([:])
    /// Handles of the driver's objects a tracked reference was ever taken on (handle tracking):
    /// the leak report looks at those still alive.
    let referencedObjects = KernelLock<Set<UInt>>([])

    init(
        serviceName: String, registryPath: String, wdmDriverObject: UnsafeMutableRawPointer?, tag: PoolTag,
        settings: VerifierSettings, host: LoadedDriver?,
        deviceAdd: (@Sendable (WdfDriverHandle, DeviceInit) throws(NTStatus) -> Void)?, unload: (@Sendable (WdfDriverHandle) -> Void)?
    ) {
        self.serviceName = serviceName
        self.registryPath = registryPath
        let units = Array(registryPath.utf16)
        registryPathUnits = .allocate(capacity: units.count + 1)
        registryPathUnits.initialize(from: units, count: units.count)
        registryPathUnits[units.count] = 0
        self.wdmDriverObject = wdmDriverObject
        self.tag = tag
        self.settings = settings
        self.host = host
        self.deviceAdd = deviceAdd
        self.unload = unload
    }

    deinit { registryPathUnits.deallocate() }

    /// The driver state of the driver an object belongs to.
    static func of(_ slot: UnsafeMutablePointer<ObjectSlot>) -> DriverState? {
        let driver = slot.pointee.kind == ObjectKind.driver.rawValue ? slot : ObjectTable.slot(slot.pointee.driver)
        return ObjectExtras.of(driver)?.driver
    }

    /// Force IRQL checking (`VerifyDriverLevel` 0x2): a framework method called above `limit`
    /// stops the process (the KmdfIrql rule, 0xC4). Nothing happens without the setting.
    @inline(__always)
    func requireIrql(atMost limit: Irql, routine: StaticString) {
        if settings.forcesIrqlChecking { DdiCompliance.requireFrameworkIrql(atMost: limit, routine: routine) }
    }

    /// The low resources simulation (`VerifyDriverLevel` 0x4) for a framework creation: true when
    /// this one must fail (`.insufficientResources`), counted in the driver's report. Its own
    /// function beside `mayAllocate` (`VerifierAllocateFailCount`).
    func simulatesLowResourcesFailure() -> Bool {
        guard settings.simulatesLowResources, let verifier = host?.verifier else { return false }
        return verifier.simulatesFailure(.framework, tag: tag)
    }

    /// Counts a framework allocation; false once `VerifierAllocateFailCount` allocations have
    /// succeeded.
    func mayAllocate() -> Bool {
        let count = allocations.add(1, ordering: .relaxed).newValue
        guard let limit = settings.allocateFailCount else { return true }
        return count <= limit
    }
}

/// The default pool tag of a driver.
package enum DriverTag {
    /// `'rDxF'`: "FxDr".
    package static let fallback = PoolTag("FxDr")
    /// `' kdD'`: "Ddk ", the old default, ignored when given as DriverPoolTag.
    package static let oldDefault = PoolTag("Ddk ")

    /// The service name of a registry path: its last component (the whole string "WDF" when
    /// there is no backslash).
    package static func serviceName(fromRegistryPath path: String) -> String {
        guard let slash = path.lastIndex(of: "\\") else { return "WDF" }
        return String(path[path.index(after: slash)...])
    }

    /// The tag from a service name: first 31 characters, each narrowed to its low byte; a
    /// leading "WDF" (any case) skipped; 2 or fewer characters left: "FxDr"; else the first up
    /// to 4 characters, first in the lowest byte (with exactly 3 the 4th byte is 0).
    package static func tag(forServiceName name: String) -> PoolTag {
        var bytes = name.utf16.prefix(31).map { UInt8(truncatingIfNeeded: $0) }
        if bytes.count >= 3, String(decoding: bytes.prefix(3), as: UTF8.self).uppercased() == "WDF" {
            bytes.removeFirst(3)
        }
        guard bytes.count > 2 else { return fallback }
        var value: UInt32 = 0
        for (index, byte) in bytes.prefix(4).enumerated() { value |= UInt32(byte) << (8 * UInt32(index)) }
        return PoolTag(rawValue: value)
    }

    /// The driver's tag: `DriverPoolTag` when the config is current, it is non-zero and not the
    /// old default; otherwise derived from the service name.
    package static func resolve(configTag: UInt32?, serviceName: String) -> PoolTag {
        if let configTag, configTag != 0, configTag != oldDefault.rawValue { return PoolTag(rawValue: configTag) }
        return tag(forServiceName: serviceName)
    }
}
