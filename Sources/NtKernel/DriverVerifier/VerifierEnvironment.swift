#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Verifier settings for a program that is not changed: read from the environment once.
///
/// `WDF_VERIFIER_SETTINGS="Name=Value,Name=Value,..."`: each pair is applied to every service the
/// host loads, as if set with `WdfHostSetServiceParameter`, and overrides a value the program set
/// for the same name. Values are decimal or `0x` hexadecimal; `PoolTag` and `LowResourcesTag`
/// also take a tag's text of 1-4 characters (first character in the lowest byte, `*`/`?` kept as
/// characters), e.g. `PoolTag=Tst*`. `WDF_VERIFIER_SERVICES=svc1,svc2` limits them to those
/// services (names compared without case; default: every service).
package enum VerifierEnvironment {
    /// The parsed pairs and the services they apply to (nil: all).
    package struct Settings: Sendable {
        package var values: [(name: String, value: UInt32)] = []
        package var services: [String]?
        /// Pairs that could not be read (reported once on standard error).
        package var rejected: [String] = []
    }

    /// The settings of this process's environment (read on first use).
    package static let current: Settings = {
        let settings = parse(
            settings: getenv("WDF_VERIFIER_SETTINGS").map { String(cString: $0) },
            services: getenv("WDF_VERIFIER_SERVICES").map { String(cString: $0) })
        for pair in settings.rejected {
            let line = "WDF_VERIFIER_SETTINGS: ignored '\(pair)' (expected Name=decimal, Name=0xhex or a tag's text for PoolTag/LowResourcesTag)\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
        }
        return settings
    }()

    /// Parses the two variables' texts.
    package static func parse(settings: String?, services: String?) -> Settings {
        var result = Settings()
        if let services {
            let names = services.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
            if !names.isEmpty { result.services = names }
        }
        for pair in (settings ?? "").split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let name = parts.first.map { $0.trimmingSpaces } ?? ""
            guard parts.count == 2, !name.isEmpty else {
                if !pair.trimmingSpaces.isEmpty { result.rejected.append(String(pair)) }
                continue
            }
            let text = parts[1].trimmingSpaces
            let isTag = name.caseInsensitiveCompare("PoolTag") || name.caseInsensitiveCompare("LowResourcesTag")
            if let value = number(text) {
                result.values.append((name, value))
            } else if isTag, let tag = PoolTag(exactly: text) {
                result.values.append((name, tag.rawValue))
            } else {
                result.rejected.append(String(pair))
            }
        }
        return result
    }

    /// A decimal or 0x-hexadecimal 32-bit value.
    static func number(_ text: String) -> UInt32? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt32(text.dropFirst(2), radix: 16) }
        return UInt32(text, radix: 10)
    }

    /// `parameters` with the environment's pairs for `service` applied over them.
    static func apply(to parameters: [String: UInt32], service: String, settings: Settings = current) -> [String: UInt32] {
        guard !settings.values.isEmpty else { return parameters }
        if let services = settings.services, !services.contains(where: { $0.caseInsensitiveCompare(service) }) {
            return parameters
        }
        var result = parameters
        for (name, value) in settings.values {
            // The registry's names are case-insensitive: the environment's spelling replaces any.
            for key in result.keys where key.caseInsensitiveCompare(name) { result.removeValue(forKey: key) }
            result[name] = value
        }
        return result
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
