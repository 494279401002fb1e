// The verifier settings of `wdfmon run`, turned into the environment the library reads
// (WDF_VERIFIER_SETTINGS, WDF_VERIFIER_SERVICES: see README "Verifier settings from the
// environment"), so a shell script or ctest can set the same without wdfmon.
import ArgumentParser

/// Driver Verifier and KMDF verifier settings, as `verifier.exe` and the registry take them.
struct VerifierOptions: ParsableArguments {
    enum Preset: String, ExpressibleByArgument, CaseIterable {
        /// Pool tracking (0x8), IRQL checking (0x2) and the KMDF verifier (VerifierOn=1).
        case standard
    }

    @Option(help: "A preset: standard = pool tracking (0x8), IRQL checking (0x2), KMDF verifier (VerifierOn=1).")
    var verifier: Preset?

    @Option(name: .customLong("verify-driver-level"), help: "VerifyDriverLevel flag bits, decimal or 0x-hex (0x1 special pool, 0x2 IRQL checking, 0x4 low resources, 0x8 pool tracking, 0x20 deadlock detection).")
    var verifyDriverLevel: String?

    @Option(name: .customLong("special-pool"), help: "Special pool for blocks whose tag matches TAG (1-4 characters, * and ? wildcards); sets bit 0x1.")
    var specialPool: String?

    @Option(name: .customLong("pool-tag-overruns"), help: "1: guard page after the block (overruns, the default); 0: before it (underruns).")
    var poolTagOverruns: Int?

    @Option(name: .customLong("low-resources"), help: "Randomized low resources simulation: fail PERCENT (0-100, decimals allowed) of allocations, optionally with a SEED; sets bit 0x4.")
    var lowResources: String?

    @Option(name: .customLong("low-resources-skip"), parsing: .unconditional, help: "The driver's first N allocations never fail.")
    var lowResourcesSkip: Int?

    @Option(name: .customLong("low-resources-tag"), help: "Only allocations whose tag matches TAG fail (* and ? wildcards).")
    var lowResourcesTag: String?

    @Option(name: .customLong("allocate-fail-count"), parsing: .unconditional, help: "KMDF verifier: framework allocations fail after N have succeeded (sets VerifierOn=1).")
    var allocateFailCount: Int?

    @Flag(name: .customLong("track-handles"), help: "KMDF verifier: track object references (TrackHandles=1).")
    var trackHandles = false

    @Flag(name: .customLong("dbg-break-on-error"), help: "KMDF verifier: DbgBreakOnError=1.")
    var dbgBreakOnError = false

    @Option(name: .customLong("setting"), help: "Any other service parameter, NAME=VALUE (repeatable).")
    var extraSettings: [String] = []

    @Option(name: .customLong("services"), help: "Apply the settings to these services only (comma-separated; default: every service).")
    var services: String?

    /// NAME=VALUE pairs in a stable order (the environment's WDF_VERIFIER_SETTINGS).
    func settings() throws -> [(name: String, value: String)] {
        var pairs: [(String, String)] = []
        var level: UInt64 = 0
        var levelGiven = false
        var verifierOn = false
        if verifier == .standard {
            level |= 0x8 | 0x2
            levelGiven = true
            verifierOn = true
        }
        if let text = verifyDriverLevel {
            guard let value = Self.number(text), value <= UInt64(UInt32.max) else {
                throw ValidationError("--verify-driver-level: '\(text)' is not a 32-bit number (decimal or 0x-hex).")
            }
            level |= value
            levelGiven = true
        }
        if let tag = specialPool {
            try Self.checkTag(tag, option: "--special-pool")
            level |= 0x1
            levelGiven = true
            pairs.append(("PoolTag", tag))
        }
        if let overruns = poolTagOverruns {
            guard overruns == 0 || overruns == 1 else {
                throw ValidationError("--pool-tag-overruns must be 0 or 1 (got \(overruns)): it is out of range.")
            }
            pairs.append(("PoolTagOverruns", "\(overruns)"))
        }
        if let text = lowResources {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, let percent = Double(parts[0]), percent.isFinite else {
                throw ValidationError("--low-resources: '\(text)' is not PERCENT or PERCENT:SEED (e.g. 5 or 0.5:42).")
            }
            guard (0...100).contains(percent) else {
                throw ValidationError("--low-resources: the percentage must be between 0 and 100 (got \(parts[0])): it is out of range.")
            }
            level |= 0x4
            levelGiven = true
            pairs.append(("LowResourcesProbability", "\(Int((percent * 100).rounded()))"))
            if parts.count == 2 {
                guard let seed = Self.number(String(parts[1])), seed <= UInt64(UInt32.max) else {
                    throw ValidationError("--low-resources: the seed '\(parts[1])' is not a 32-bit number.")
                }
                pairs.append(("LowResourcesSeed", "\(seed)"))
            }
        }
        if let skip = lowResourcesSkip {
            guard skip >= 0, skip <= Int(UInt32.max) else {
                throw ValidationError("--low-resources-skip must be between 0 and \(UInt32.max) (got \(skip)): it is out of range.")
            }
            pairs.append(("LowResourcesSkip", "\(skip)"))
        }
        if let tag = lowResourcesTag {
            try Self.checkTag(tag, option: "--low-resources-tag")
            pairs.append(("LowResourcesTag", tag))
        }
        if let count = allocateFailCount {
            guard count >= 0, count <= Int(UInt32.max) else {
                throw ValidationError("--allocate-fail-count must be between 0 and \(UInt32.max) (got \(count)): it is out of range.")
            }
            verifierOn = true
            pairs.append(("VerifierAllocateFailCount", "\(count)"))
        }
        if trackHandles { pairs.append(("TrackHandles", "1")) }
        if dbgBreakOnError { pairs.append(("DbgBreakOnError", "1")) }
        if verifierOn { pairs.insert(("VerifierOn", "1"), at: 0) }
        if levelGiven { pairs.insert(("VerifyDriverLevel", "0x" + String(level, radix: 16, uppercase: true)), at: 0) }
        for setting in extraSettings {
            let parts = setting.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[0].contains(","), !parts[1].contains(",") else {
                throw ValidationError("--setting: '\(setting)' is not NAME=VALUE (no commas).")
            }
            pairs.append((String(parts[0]), String(parts[1])))
        }
        return pairs
    }

    /// The environment for the program: WDF_VERIFIER_SETTINGS (when any setting is given) and
    /// WDF_VERIFIER_SERVICES (when --services is).
    func environment() throws -> [String: String] {
        var result: [String: String] = [:]
        let pairs = try settings()
        if !pairs.isEmpty { result["WDF_VERIFIER_SETTINGS"] = pairs.map { "\($0.name)=\($0.value)" }.joined(separator: ",") }
        if let services {
            let names = services.split(separator: ",").map { $0.trimmingSpaces }
            guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
                throw ValidationError("--services: '\(services)' is not a comma-separated list of service names.")
            }
            result["WDF_VERIFIER_SERVICES"] = names.joined(separator: ",")
        }
        return result
    }

    /// Decimal or 0x-hex.
    static func number(_ text: String) -> UInt64? {
        let lower = text.lowercased()
        if lower.hasPrefix("0x") { return UInt64(lower.dropFirst(2), radix: 16) }
        return UInt64(lower)
    }

    static func checkTag(_ tag: String, option: String) throws {
        guard (1...4).contains(tag.utf8.count), tag.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "=") })
        else {
            throw ValidationError("\(option): '\(tag)' is not a pool tag (1 to 4 printable characters, no comma or '=').")
        }
    }
}

extension Substring {
    var trimmingSpaces: String {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
