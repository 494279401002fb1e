import Synchronization
package import NtKernel

/// A driver object. Corresponds to `WDFDRIVER`.
package struct WdfDriverHandle: Hashable, Sendable {
    package let object: WdfObject
    package init(_ object: WdfObject) { self.object = object }

    /// What `WdfDriverCreate` takes besides attributes. Corresponds to `WDF_DRIVER_CONFIG`.
    package struct Config: Sendable {
        /// `EvtDriverDeviceAdd`: called by the host's `WdfHostAddDevice` with a fresh device init.
        package var deviceAdd: (@Sendable (WdfDriverHandle, DeviceInit) throws(NTStatus) -> Void)?
        /// `EvtDriverUnload`.
        package var unload: (@Sendable (WdfDriverHandle) -> Void)?
        /// `DriverPoolTag`: the default tag, when non-zero and not "Ddk ".
        package var poolTag: PoolTag?

        package init(
            deviceAdd: (@Sendable (WdfDriverHandle, DeviceInit) throws(NTStatus) -> Void)? = nil,
            unload: (@Sendable (WdfDriverHandle) -> Void)? = nil, poolTag: PoolTag? = nil
        ) {
            self.deviceAdd = deviceAdd
            self.unload = unload
            self.poolTag = poolTag
        }
    }

    /// Creates the driver object of a driver the host loaded (or of a standalone Swift program
    /// when `host` is nil). Corresponds to `WdfDriverCreate`.
    /// - Throws: `.driverInternalError` when the host's driver already has its framework driver
    ///   object (`WdfDriverCreate` is called once per driver); the attributes' errors.
    package static func create(
        registryPath: String, host: LoadedDriver?, attributes: WdfAttributes = WdfAttributes(), config: Config,
        configTagIsCurrent: Bool = true
    ) throws(NTStatus) -> WdfDriverHandle {
        try create(
            registryPath: registryPath, host: host, wdmDriverObject: nil, attributes: attributes, config: config,
            configTagIsCurrent: configTagIsCurrent)
    }

    /// `WdfDriverCreate` from the C door, which also hands over its `PDRIVER_OBJECT`
    /// (`WdfDriverWdmGetDriverObject` returns it).
    package static func create(
        registryPath: String, host: LoadedDriver?, wdmDriverObject: UnsafeMutableRawPointer?,
        attributes: WdfAttributes = WdfAttributes(), config: Config, configTagIsCurrent: Bool = true
    ) throws(NTStatus) -> WdfDriverHandle {
        if let host, driver(for: host) != nil { throw .driverInternalError }
        try attributes.validate(forMemory: false)
        let serviceName = DriverTag.serviceName(fromRegistryPath: registryPath)
        let tag = DriverTag.resolve(configTag: configTagIsCurrent ? config.poolTag?.rawValue : nil, serviceName: serviceName)
        let parameters = host?.parameters ?? DriverHost.serviceParameters(for: serviceName)
        let settings = VerifierSettings(parameters: parameters)
        // The DriverCreate rule, for a driver the host loaded and the verifier watches: only its
        // DriverEntry may create its driver object (0xC4, DDI compliance form).
        if let host, settings.verifiesDriver, !host.isInDriverEntry {
            DdiCompliance.violation(
                .driverCreate, "WdfDriverCreate should only be called from DriverEntry; \(host.serviceName) called it outside DriverEntry")
        }
        if settings.forcesIrqlChecking { DdiCompliance.requireFrameworkIrql(atMost: .passive, routine: "WdfDriverCreate") }
        let state = DriverState(
            serviceName: serviceName, registryPath: registryPath, wdmDriverObject: wdmDriverObject, tag: tag, settings: settings,
            host: host,
            deviceAdd: config.deviceAdd, unload: config.unload)
        let extras = ObjectExtras(creator: "WdfDriverCreate")
        extras.driver = state
        extras.state.withLock { extrasState in
            if let cleanup = attributes.cleanup { extrasState.cleanup.append(cleanup) }
            if let destroy = attributes.destroy { extrasState.destroy.append(destroy) }
        }
        let callbackFlag = attributes.cleanup != nil || attributes.destroy != nil ? ObjectFlags.hasCallbacks : 0
        let (index, handle) = try ObjectLifetime.create(kind: .driver, parent: nil, driver: 0, flags: callbackFlag, extras: extras)
        ObjectTable.slot(index).pointee.driverLink.store(UInt64(index) << 32, ordering: .relaxed)
        if state.settings.asksNothingPerAllocation {
            ObjectTable.slot(index).pointee.lookaside.store(tag.rawValue, ordering: .relaxed)  // `plainTag`
        }
        if let context = attributes.context {
            let memory = try ObjectContexts.make(
                for: handle, key: context.key, bytes: attributes.contextBytes, tag: tag, alignment: attributes.contextAlignment)
            extras.state.withLock { $0.contexts.append(memory) }
        }
        let driver = WdfDriverHandle(handle)
        DriverRegistry.add(index)
        if let host {
            if let unload = config.unload { host.addUnloadRoutine { unload(driver) } }
            host.addTeardownRoutine { driver.tearDown() }
        }
        return driver
    }

    /// The driver object created for a driver the host loaded.
    package static func driver(for host: LoadedDriver) -> WdfDriverHandle? {
        DriverRegistry.all().first { ObjectExtras.of(ObjectTable.slot($0))?.driver?.host === host }
            .map { WdfDriverHandle(ObjectTable.handle(of: $0)) }
    }

    /// The driver `object` names; any other handle is bug check 0x10D/5 naming `routine`.
    package static func validated(_ object: WdfObject, routine: StaticString) -> WdfDriverHandle {
        _ = ObjectTable.resolve(object, kinds: .driver, routine: routine)
        return WdfDriverHandle(object)
    }

    /// The framework version this library implements the routines of: KMDF 1.33.
    package static let frameworkVersion = (major: UInt32(1), minor: UInt32(33))

    /// Whether a driver written for framework version `major.minor` can run: the same major
    /// version and a minor version no newer than ours. Corresponds to
    /// `WdfDriverIsVersionAvailable`.
    package static func isVersionAvailable(major: UInt32, minor: UInt32) -> Bool {
        major == frameworkVersion.major && minor <= frameworkVersion.minor
    }

    /// The driver's default pool tag.
    package var poolTag: PoolTag { state.tag }
    /// The service name the driver was created for.
    package var serviceName: String { state.serviceName }
    /// The verifier settings read at creation.
    package var verifierSettings: VerifierSettings { state.settings }
    /// The registry path the driver was created with (its service key,
    /// `\\Registry\\Machine\\System\\CurrentControlSet\\Services\\<ServiceName>` for a driver the
    /// host loaded). Corresponds to `WdfDriverGetRegistryPath`.
    package var registryPath: String { state.registryPath }
    /// The registry path as the NUL-terminated UTF-16 string `WdfDriverGetRegistryPath` returns,
    /// valid while the driver object exists.
    package var registryPathBuffer: UnsafeMutablePointer<UInt16> { state.registryPathUnits }
    /// The C door's `PDRIVER_OBJECT` the driver was created for (nil for a Swift driver).
    /// Corresponds to `WdfDriverWdmGetDriverObject`.
    package var wdmDriverObject: UnsafeMutableRawPointer? { state.wdmDriverObject }

    var state: DriverState {
        ObjectExtras.of(ObjectTable.resolve(object, kinds: .driver, routine: "WdfDriverHandle"))!.driver!
    }

    /// The current driver: the most recently created one still loaded (a default one is made
    /// for programs that never create a driver). Corresponds to `WdfGetDriver`.
    package static var current: WdfDriverHandle { WdfDriverHandle(ObjectTable.handle(of: DriverRegistry.current())) }

    /// Deletes the driver object and everything parented to it, then reports what pool tracking
    /// still sees; returns the number of leaks reported.
    package func tearDown() -> Int {
        let state = state
        let index = object.index!
        // Deletes and releases deferred to PASSIVE_LEVEL finish before the driver goes.
        DisposeList.drain()
        DriverRegistry.remove(index)
        ObjectLifetime.dispose(index)
        return Verifier.reportLeaks(of: state)
    }
}

/// The live drivers, most recent last.
enum DriverRegistry {
    private struct State: Sendable {
        var drivers: [UInt32] = []
        var fallback: UInt32 = 0
    }

    private static let state = KernelLock(State())
    /// What `current()` answers, republished under the lock at every change, so that creating
    /// an object without a parent reads one word instead of taking the lock (0: no driver yet).
    static let published = Atomic<UInt32>(0)

    static func add(_ index: UInt32) { update { $0.drivers.append(index) } }
    static func remove(_ index: UInt32) { update { $0.drivers.removeAll { $0 == index } } }
    static func all() -> [UInt32] { state.withLock { $0.drivers } }

    private static func update(_ change: (inout State) -> Void) {
        state.withLock { state in
            change(&state)
            published.store(state.drivers.last ?? state.fallback, ordering: .releasing)
        }
    }

    /// The most recent live driver, or the default driver (made on first use).
    static func current() -> UInt32 {
        let index = published.load(ordering: .acquiring)
        if index != 0 { return index }
        let made = try! WdfDriverHandle.create(registryPath: "Wdf", host: nil, config: WdfDriverHandle.Config())
        var current: UInt32 = 0
        update { state in
            state.drivers.removeAll { $0 == made.object.index! }
            if state.fallback == 0 { state.fallback = made.object.index! }
            current = state.drivers.last ?? state.fallback
        }
        return current
    }
}
