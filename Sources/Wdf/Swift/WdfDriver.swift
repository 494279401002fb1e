public import NtKernel
import Synchronization

/// The KMDF verifier's settings for a driver. Corresponds to the service's `Parameters\Wdf`
/// values `VerifierOn`, `VerifierAllocateFailCount`, `DbgBreakOnError` and `TrackHandles`.
public struct FrameworkVerifierSettings: Hashable, Sendable {
    /// `VerifierOn`: IRQL checks on framework calls, objects still alive at unload reported.
    public var verifierOn = false
    /// `VerifierAllocateFailCount`: the first N framework allocations succeed, every later one
    /// fails with `STATUS_INSUFFICIENT_RESOURCES` (nil: off).
    public var allocateFailCount: Int?
    /// `DbgBreakOnError` (implied by `verifierOn`).
    public var breakOnError = false
    /// `TrackHandles`: references are tracked by tag (implied by `verifierOn`).
    public var trackHandles = false

    /// The settings, every one off by default.
    public init(verifierOn: Bool = false, allocateFailCount: Int? = nil, breakOnError: Bool = false, trackHandles: Bool = false) {
        self.verifierOn = verifierOn
        self.allocateFailCount = allocateFailCount
        self.breakOnError = breakOnError
        self.trackHandles = trackHandles
    }

    /// The service parameters these settings are.
    public var parameters: [String: UInt32] {
        var parameters: [String: UInt32] = [
            "VerifierOn": verifierOn ? 1 : 0, "DbgBreakOnError": breakOnError ? 1 : 0, "TrackHandles": trackHandles ? 1 : 0,
        ]
        if let allocateFailCount { parameters["VerifierAllocateFailCount"] = UInt32(clamping: allocateFailCount) }
        return parameters
    }
}

/// A Swift driver loaded by the host: the framework's driver object, with the KMDF verifier's
/// and Driver Verifier's settings applied as its service parameters. Framework objects created
/// without a parent belong to the most recently loaded driver; pool the code in ``run(_:)``
/// allocates is the driver's (Driver Verifier tracks it).
///
/// ```swift
/// let driver = try WdfDriver.load(
///     service: "SampleSwift", poolTag: "SmpD",
///     frameworkVerifier: FrameworkVerifierSettings(verifierOn: true),
///     driverVerifier: DriverVerifierSettings(level: [.poolTracking, .specialPool]))
/// try driver.run { () throws(NTStatus) in /* the driver's work */ }
/// let report = try driver.unload()
/// ```
///
/// Unloading deletes every object the driver still has (children first) and reports leaks as
/// Windows does: framework objects still alive with `verifierOn` give a `.moreEntries` status and
/// verifier lines on standard error; pool still held with pool tracking on stops the process
/// with one `VERIFIER LEAK:` line per allocation and bug check 0xC4/0x62. A driver that is never
/// unloaded is unloaded when its last reference goes.
///
/// `WDF_VERIFIER_SETTINGS` in the environment overrides these settings (see the verifier
/// article). Corresponds to `WdfHostLoadDriver`/`WdfHostUnloadDriver` with `DriverEntry` calling
/// `WdfDriverCreate`, and to `WdfHostSetServiceParameter` for the settings.
public final class WdfDriver: Sendable, FrameworkObject {
    let host: LoadedDriver
    let handle: WdfDriverHandle
    private let unloaded = Atomic<Bool>(false)

    /// The driver object's handle (`WDFDRIVER`).
    public var object: WdfObject { handle.object }
    /// The service name the driver was loaded as.
    public var serviceName: String { host.serviceName }
    /// The driver's default pool tag (the one given, else one derived from the service name).
    public var poolTag: PoolTag { handle.poolTag }
    /// The Driver Verifier settings in force (the environment's applied over the ones given).
    public var driverVerifier: DriverVerifierSettings { host.verifier.settings }

    private init(host: LoadedDriver, handle: WdfDriverHandle) {
        self.host = host
        self.handle = handle
    }

    /// Loads a driver named `service`: sets its service parameters from the settings (replacing
    /// any earlier ones, plus `additionalParameters`, e.g. `["Altitude": 370030]`) and creates
    /// its driver object. Corresponds to `WdfHostSetServiceParameter`, `WdfHostLoadDriver` and
    /// `WdfDriverCreate` (with `DriverPoolTag` = `poolTag`).
    /// - Throws: `.invalidParameter`, explained, for an empty service name or one with a
    ///   backslash, or an invalid tag; `.insufficientResources`.
    public static func load(
        service: String, poolTag: PoolTag? = nil, frameworkVerifier: FrameworkVerifierSettings = FrameworkVerifierSettings(),
        driverVerifier: DriverVerifierSettings = DriverVerifierSettings(), additionalParameters: [String: UInt32] = [:]
    ) throws(NTStatus) -> WdfDriver {
        guard !service.isEmpty, !service.contains("\\") else {
            throw NTStatus.invalidParameter.explained("service must be a non-empty name without a backslash")
        }
        if let poolTag, !poolTag.isValid { throw NTStatus.invalidParameter.explained(PoolTag.invalidExplanation) }
        var parameters = additionalParameters
        parameters.merge(frameworkVerifier.parameters) { _, new in new }
        parameters.merge(driverVerifier.parameters) { _, new in new }
        DriverHost.replaceServiceParameters(service: service, parameters)
        var created: WdfDriverHandle?
        let host = try DriverHost.load(serviceName: service) { (host) throws(NTStatus) in
            created = try WdfDriverHandle.create(
                registryPath: host.registryPath, host: host, config: WdfDriverHandle.Config(poolTag: poolTag))
        }
        return WdfDriver(host: host, handle: created!)
    }

    /// Runs `body` as the driver's code: pool it allocates meanwhile is the driver's (Driver
    /// Verifier tracks it, special pool and low resources simulation apply). The host does the
    /// same around a C driver's `DriverEntry` and callbacks.
    public func run<Result: ~Copyable, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        var result: Result?
        try host.run { () throws(Failure) in result = try body() }
        return result.take()!
    }

    /// Unloads the driver: deletes its objects (children first), then checks for leaks.
    /// Corresponds to `WdfHostUnloadDriver`.
    /// - Returns: `.success`, or `.moreEntries` when the KMDF verifier reported framework
    ///   objects still alive (one line each on standard error). Pool still held with pool
    ///   tracking on stops the process (0xC4/0x62), as on Windows.
    /// - Throws: `.invalidParameter`, explained, when the driver is unloaded already.
    @discardableResult
    public func unload() throws(NTStatus) -> NTStatus {
        guard !unloaded.exchange(true, ordering: .acquiringAndReleasing) else {
            throw NTStatus.invalidParameter.explained("the driver is unloaded already")
        }
        return try DriverHost.unload(host)
    }

    deinit {
        if !unloaded.load(ordering: .acquiring) { _ = try? DriverHost.unload(host) }
    }
}
