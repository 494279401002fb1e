import Synchronization

/// A driver loaded by the host: its service, registry path and parameters, and what unloading it
/// must run.
package final class LoadedDriver: @unchecked Sendable {
    /// The service name, e.g. "SampleDrv".
    package let serviceName: String
    /// `\Registry\Machine\System\CurrentControlSet\Services\<ServiceName>`.
    package let registryPath: String
    /// The service's `Parameters\Wdf` values as they were at load time.
    package let parameters: [String: UInt32]
    /// Opaque value the front door associates with the driver (the C layer keeps its
    /// DRIVER_OBJECT here).
    package let frontDoorToken: UnsafeMutableRawPointer?
    /// Driver Verifier's state for this driver (settings from `parameters`).
    package let verifier: VerifiedDriver

    /// True while the host runs the driver's DriverEntry (the DriverCreate rule).
    let entryRunning = Atomic<Bool>(false)
    /// Whether the host is running this driver's DriverEntry now.
    package var isInDriverEntry: Bool { entryRunning.load(ordering: .acquiring) }

    private let unloadRoutines = KernelLock<[@Sendable () -> Void]>([])
    private let teardownRoutines = KernelLock<[@Sendable () -> Int]>([])

    init(serviceName: String, parameters: [String: UInt32], token: UnsafeMutableRawPointer?) {
        self.serviceName = serviceName
        registryPath = DriverHost.registryRoot + serviceName
        self.parameters = parameters
        frontDoorToken = token
        verifier = VerifiedDriver(serviceName: serviceName, settings: DriverVerifierSettings(parameters: parameters))
    }

    /// Runs `body` as this driver's code: pool allocations the calling thread makes meanwhile
    /// are the driver's (Driver Verifier). The host does this around DriverEntry and the unload
    /// routines; a host that calls the driver back (device add, filter callbacks) does it too.
    package func run<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        try DriverVerifier.run(as: verifier, body)
    }

    /// Adds a routine that unloading runs (in the order they were added).
    package func addUnloadRoutine(_ routine: @escaping @Sendable () -> Void) {
        unloadRoutines.withLock { $0.append(routine) }
    }

    /// Adds a routine that runs after every unload routine (the framework deleting the driver's
    /// objects); it returns how many leaked allocations it reported.
    package func addTeardownRoutine(_ routine: @escaping @Sendable () -> Int) {
        teardownRoutines.withLock { $0.append(routine) }
    }

    /// Runs the unload routines (in order), then the teardown routines; returns the
    /// number of leaks reported.
    func runUnloadRoutines() -> Int {
        let routines = unloadRoutines.withLock { routines in
            defer { routines.removeAll() }
            return routines
        }
        return run {
            for routine in routines { routine() }
            return runTeardownRoutines()
        }
    }

    /// Runs only the teardown routines; returns the number of leaks reported.
    func runTeardownRoutines() -> Int {
        unloadRoutines.withLock { $0.removeAll() }
        let teardowns = teardownRoutines.withLock { routines in
            defer { routines.removeAll() }
            return routines
        }
        return teardowns.reduce(0) { $0 + $1() }
    }
}

/// The host: plays the parts of the I/O manager and the registry that drivers need to load,
/// run and unload in a process. Corresponds to the routines of `wdfhost.h`.
package enum DriverHost {
    static let registryRoot = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\"

    private struct State {
        /// Service name (lower-cased: the registry is case-insensitive) → value name → value.
        var parameters: [String: [String: UInt32]] = [:]
        var loaded: [LoadedDriver] = []
    }

    private static let state = KernelLock(State())

    /// Sets a DWORD under the service's `Parameters\Wdf` key (VerifierOn,
    /// VerifierAllocateFailCount, DbgBreakOnError, TrackHandles, ...). A driver reads them when it
    /// loads; unknown names are stored and ignored. Corresponds to `WdfHostSetServiceParameter`.
    package static func setServiceParameter(service: String, name: String, value: UInt32) {
        state.withLock { $0.parameters[service.lowercased(), default: [:]][name] = value }
    }

    /// Replaces every parameter of the service (what a Swift load with typed settings does, so
    /// nothing of an earlier load's settings stays).
    package static func replaceServiceParameters(service: String, _ parameters: [String: UInt32]) {
        state.withLock { $0.parameters[service.lowercased()] = parameters }
    }

    /// The service's parameters now, with the environment's verifier settings applied over them
    /// (`WDF_VERIFIER_SETTINGS`, see ``VerifierEnvironment``).
    package static func serviceParameters(for service: String) -> [String: UInt32] {
        VerifierEnvironment.apply(to: state.withLock { $0.parameters[service.lowercased()] ?? [:] }, service: service)
    }

    /// Loads a driver: makes its record and calls `entry` (its DriverEntry) at PASSIVE_LEVEL on
    /// the calling thread. When `entry` fails, nothing stays loaded and its status is thrown.
    /// Corresponds to `WdfHostLoadDriver`.
    package static func load(
        serviceName: String, token: UnsafeMutableRawPointer? = nil,
        entry: (LoadedDriver) throws(NTStatus) -> Void
    ) throws(NTStatus) -> LoadedDriver {
        guard !serviceName.isEmpty, !serviceName.contains("\\") else { throw .invalidParameter }
        let driver = LoadedDriver(serviceName: serviceName, parameters: serviceParameters(for: serviceName), token: token)
        let irql = Irql.current
        if irql != .passive {
            BugCheck.irqlTooHigh("WdfHostLoadDriver", limit: .passive, current: irql)
        }
        state.withLock { $0.loaded.append(driver) }
        DriverVerifier.driverLoaded(driver.verifier)
        do {
            try driver.run { () throws(NTStatus) in
                driver.entryRunning.store(true, ordering: .releasing)
                defer { driver.entryRunning.store(false, ordering: .releasing) }
                try entry(driver)
            }
        } catch {
            // A failed DriverEntry gets no unload callbacks; the framework only tears down
            // what it made. Then, as Windows checks a failed driver's pool when its image
            // unloads, pool tracking stops on what is left (0xC4/0x62).
            _ = driver.run { driver.runTeardownRoutines() }
            driver.verifier.reportLowResources(when: "failed DriverEntry")
            driver.verifier.checkLeaks(when: "failed DriverEntry (\(error))")
            state.withLock { $0.loaded.removeAll { $0 === driver } }
            DriverVerifier.driverUnloaded(driver.verifier)
            throw error
        }
        return driver
    }

    /// The loaded driver whose front-door token is `token`.
    package static func driver(withToken token: UnsafeMutableRawPointer) -> LoadedDriver? {
        state.withLock { $0.loaded.first { $0.frontDoorToken == token } }
    }

    /// Every loaded driver.
    package static var loadedDrivers: [LoadedDriver] { state.withLock { $0.loaded } }

    /// Unloads a driver: runs its unload routines (in registration order), then its teardown
    /// routines (the framework deleting its objects), and forgets it.
    /// Returns `.moreEntries` when the KMDF verifier reported framework objects still alive,
    /// else `.success`. With pool tracking (`VerifyDriverLevel` 0x8) on, pool the driver still
    /// holds once its objects are deleted stops the process instead: one `VERIFIER LEAK:` line
    /// each, then bug check 0xC4 with p1 0x62. Corresponds to `WdfHostUnloadDriver`.
    /// - Throws: `.invalidParameter` when the driver is not loaded.
    @discardableResult
    package static func unload(_ driver: LoadedDriver) throws(NTStatus) -> NTStatus {
        let wasLoaded = state.withLock { state -> Bool in
            guard state.loaded.contains(where: { $0 === driver }) else { return false }
            state.loaded.removeAll { $0 === driver }
            return true
        }
        guard wasLoaded else { throw .invalidParameter }
        let leaks = driver.runUnloadRoutines()
        driver.verifier.reportLowResources(when: "unloads")
        driver.verifier.checkLeaks(when: "unloads")
        DriverVerifier.driverUnloaded(driver.verifier)
        return leaks > 0 ? .moreEntries : .success
    }
}
