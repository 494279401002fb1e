/// Driver Verifier's settings for one driver, read from its service's parameters when it loads
/// (`WdfHostSetServiceParameter`, overridden by `WDF_VERIFIER_SETTINGS`). From Swift, give them
/// to `WdfDriver.load(service:poolTag:frameworkVerifier:driverVerifier:additionalParameters:)`.
/// Corresponds to the `VerifyDriverLevel`, `PoolTag`, `PoolTagOverruns` and `LowResources...`
/// values Driver Verifier reads (`verifier.exe /flags`, `/driver`).
public struct DriverVerifierSettings: Hashable, Sendable {
    /// `VerifyDriverLevel`: Driver Verifier's flags, with Windows' bit values.
    public struct Level: OptionSet, Hashable, Sendable {
        /// The `VerifyDriverLevel` value.
        public let rawValue: UInt32
        /// Flags from a `VerifyDriverLevel` value.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// 0x1: allocations on their own pages next to a guard page (special pool).
        public static let specialPool = Level(rawValue: 0x1)
        /// 0x2: every routine with an IRQL limit checks it (framework methods stop with 0xC4 and
        /// the KmdfIrql rule, kernel routines with `IRQL_NOT_LESS_OR_EQUAL`).
        public static let forceIrqlChecking = Level(rawValue: 0x2)
        /// 0x4: randomized low resources simulation.
        public static let lowResourcesSimulation = Level(rawValue: 0x4)
        /// 0x8: pool tracking (leaks stop the unload with 0xC4/0x62).
        public static let poolTracking = Level(rawValue: 0x8)
        /// 0x20: deadlock detection: the order in which spin locks and fast mutexes are acquired
        /// (a lock hierarchy violation stops with 0xC4/0x1001).
        public static let deadlockDetection = Level(rawValue: 0x20)
    }

    /// `VerifyDriverLevel`: which checks are on (none by default).
    public var level: Level = []
    /// `PoolTag`: the tag (with `?`/`*` wildcards) of allocations that go to special pool; nil
    /// (not set, or 0): every allocation of the driver.
    public var poolTag: PoolTag?
    /// `PoolTagOverruns`: true (1, the default) puts the guard page after the block, false (0)
    /// before it.
    public var guardAfter = true
    /// `LowResourcesProbability`, per 10,000 (default 600: 6%).
    public var lowResourcesProbability: UInt32 = 600
    /// `LowResourcesSeed`: the random sequence's seed; nil: one is chosen at load and printed.
    public var lowResourcesSeed: UInt32?
    /// `LowResourcesSkip`: the driver's first N allocations never fail.
    public var lowResourcesSkip: Int = 0
    /// `LowResourcesTag`: only allocations whose tag matches (wildcards as for `PoolTag`) fail.
    public var lowResourcesTag: PoolTag?

    /// Driver Verifier off (no `VerifyDriverLevel` flags), every other setting at its default.
    public init() {}

    /// Settings with `level` on and the rest at their defaults, e.g.
    /// `DriverVerifierSettings(level: [.poolTracking, .specialPool])`.
    public init(level: Level) { self.level = level }

    /// The service parameters these settings are (the names of `WdfHostSetServiceParameter`
    /// and `WDF_VERIFIER_SETTINGS`): what ``init(parameters:)`` reads back.
    public var parameters: [String: UInt32] {
        var parameters: [String: UInt32] = [
            "VerifyDriverLevel": level.rawValue, "PoolTagOverruns": guardAfter ? 1 : 0,
            "LowResourcesProbability": lowResourcesProbability, "LowResourcesSkip": UInt32(clamping: lowResourcesSkip),
        ]
        if let poolTag { parameters["PoolTag"] = poolTag.rawValue }
        if let lowResourcesSeed { parameters["LowResourcesSeed"] = lowResourcesSeed }
        if let lowResourcesTag { parameters["LowResourcesTag"] = lowResourcesTag.rawValue }
        return parameters
    }

    /// The settings in a service's parameters (names compared without case, as the registry does).
    public init(parameters: [String: UInt32]) {
        func value(_ name: String) -> UInt32? {
            parameters.first { $0.key.caseInsensitiveCompare(name) }?.value
        }
        level = Level(rawValue: value("VerifyDriverLevel") ?? 0)
        if let tag = value("PoolTag"), tag != 0 { poolTag = PoolTag(rawValue: tag) }
        guardAfter = (value("PoolTagOverruns") ?? 1) != 0
        lowResourcesProbability = min(value("LowResourcesProbability") ?? 600, 10_000)
        lowResourcesSeed = value("LowResourcesSeed")
        lowResourcesSkip = Int(value("LowResourcesSkip") ?? 0)
        if let tag = value("LowResourcesTag"), tag != 0 { lowResourcesTag = PoolTag(rawValue: tag) }
    }

    /// Whether the pool's checked path must see each of the driver's allocations.
    var needsEveryAllocation: Bool {
        !level.isDisjoint(with: [.specialPool, .lowResourcesSimulation, .poolTracking])
    }
}

extension String {
    /// Equal to `other` ignoring ASCII case.
    func caseInsensitiveCompare(_ other: String) -> Bool { lowercased() == other.lowercased() }
}

extension PoolTag {
    /// Whether this tag matches `pattern` as Driver Verifier matches `PoolTag`: byte by byte in
    /// the tag's character order, `?` matches any one character, `*` everything from there on,
    /// a zero byte in the pattern only a zero byte. The protected bit is ignored.
    public func matches(_ pattern: PoolTag) -> Bool {
        let tagBytes = bytes
        for (index, patternByte) in pattern.bytes.enumerated() {
            if patternByte == UInt8(ascii: "*") { return true }
            if patternByte == UInt8(ascii: "?") { continue }
            if patternByte != tagBytes[index] { return false }
        }
        return true
    }
}
