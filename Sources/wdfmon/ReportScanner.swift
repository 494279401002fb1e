// Reads what the library prints to standard error: the bug-check report (the fixed format:
// stop line, name, explanation, then "  at <site>") and the verifier's leak lines
// ("VERIFIER LEAK: Tag='..' Size=.. Type=.. Address=0x.. Age=..s Caller=<site>").

/// A bug check as the program reported it.
struct BugCheckReport: Codable, Equatable {
    /// "0x000000C4".
    var code: String
    var name: String
    /// The four parameters, "0x" + 16 hex digits each.
    var parameters: [String]
    var explanation: String
    /// The driver's call site ("function (file:line)", "function+0xOFF (module)" or
    /// "module+0xOFF"), when the report names one.
    var site: String?
    /// The report's lines as printed.
    var text: String
}

/// One allocation the verifier reported outstanding, or one tag wdfmon found outstanding.
struct LeakReport: Codable, Equatable {
    /// "verifier" (a leak line) or "outstanding" (Diff > 0 in the final snapshot, no leak line).
    var source: String
    var tag: String
    /// Bytes: the requested size for a leak line; for an outstanding tag, the bytes in use
    /// (header and rounding included).
    var size: Int
    /// A leak line's pool type name, or the table's "Nonp"/"Paged".
    var type: String
    /// Blocks: 1 for a leak line, Diff for an outstanding tag.
    var count: Int
    var address: String?
    var ageSeconds: Double?
    var site: String?
    /// The line as printed (leak lines), or a description.
    var text: String
}

/// Scans standard error line by line.
struct ReportScanner {
    private(set) var bugCheck: BugCheckReport?
    private(set) var leaks: [LeakReport] = []
    private var pending: [UInt8] = []
    /// Lines of the stop report read so far (stop line, name, explanation), until complete.
    private var stopLines: [String] = []

    /// Feeds bytes as they arrive.
    mutating func feed(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                line(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
            } else if pending.count < 65_536 {
                pending.append(byte)
            }
        }
    }

    /// The end of the stream.
    mutating func finish() {
        if !pending.isEmpty {
            line(String(decoding: pending, as: UTF8.self))
            pending.removeAll()
        }
        completeStop(site: nil)
    }

    private mutating func line(_ text: String) {
        if !stopLines.isEmpty {
            if stopLines.count < 3 {
                stopLines.append(text)
                return
            }
            // The line after the explanation: the call site, or not.
            if text.hasPrefix("  at ") {
                completeStop(site: String(text.dropFirst(5)), siteLine: text)
                return
            }
            completeStop(site: nil)
        }
        if text.hasPrefix("*** STOP: 0x"), bugCheck == nil {
            stopLines = [text]
            return
        }
        if let leak = Self.leak(from: text) { leaks.append(leak) }
    }

    private mutating func completeStop(site: String?, siteLine: String? = nil) {
        guard let first = stopLines.first else { return }
        defer { stopLines = [] }
        // *** STOP: 0x000000C4 (0x0000000000000062,0x...,0x...,0x...)
        let body = first.dropFirst("*** STOP: ".count)
        let code = String(body.prefix(10))
        var parameters: [String] = []
        if let open = body.firstIndex(of: "("), let close = body.firstIndex(of: ")"), open < close {
            parameters = body[body.index(after: open)..<close].split(separator: ",").map(String.init)
        }
        let lines = stopLines + (siteLine.map { [$0] } ?? [])
        bugCheck = BugCheckReport(
            code: code, name: stopLines.count > 1 ? stopLines[1] : "", parameters: parameters,
            explanation: stopLines.count > 2 ? stopLines[2] : "", site: site, text: lines.joined(separator: "\n"))
    }

    /// Parses a leak line (contract 2); nil for any other line.
    static func leak(from text: String) -> LeakReport? {
        guard let start = text.range(of: "VERIFIER LEAK: Tag='") else { return nil }
        let rest = text[start.upperBound...]
        guard let tagEnd = rest.range(of: "' Size=") else { return nil }
        let tag = String(rest[..<tagEnd.lowerBound])
        var fields = rest[tagEnd.upperBound...]
        var site: String?
        if let caller = fields.range(of: " Caller=") {
            site = String(fields[caller.upperBound...])
            fields = fields[..<caller.lowerBound]
        }
        let words = ("Size=" + fields).split(separator: " ")
        var values: [String: String] = [:]
        for word in words {
            let parts = word.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        guard let size = values["Size"].flatMap({ Int($0) }) else { return nil }
        var age = values["Age"]
        if age?.hasSuffix("s") == true { age?.removeLast() }
        return LeakReport(
            source: "verifier", tag: tag, size: size, type: values["Type"] ?? "?", count: 1, address: values["Address"],
            ageSeconds: age.flatMap(Double.init), site: site, text: String(text[start.lowerBound...]))
    }
}
