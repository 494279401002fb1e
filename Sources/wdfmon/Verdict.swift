// The verdict of `wdfmon run`: what happened to the program, as text, JSON (schema
// "wdfmon.verdict" version 1, README "wdfmon: verdict files") and JUnit XML.
import WdfMonitor

/// One program run and what came of it.
struct RunVerdict: Codable {
    /// The test case name: the command line (and, in systematic mode, the failing site).
    var name: String
    var command: [String]
    /// The variables wdfmon set for the program (WDF_VERIFIER_SETTINGS, ...).
    var environment: [String: String]
    /// The exit status, when the program exited.
    var exitStatus: Int32?
    /// The signal that ended it, when one did (a bug check ends in SIGABRT, 6).
    var signal: Int32?
    var signalName: String?
    /// wdfmon stopped it (--seconds reached, or Ctrl-C).
    var stoppedBy: String?
    var durationSeconds: Double
    var bugCheck: BugCheckReport?
    var leaks: [LeakReport]
    /// Why the run failed (empty: it passed).
    var failures: [String]
    var passed: Bool
    /// The final snapshot's reason ("exit", "bugcheck", or "periodic" when the program ended
    /// without writing one); nil when there was no snapshot at all.
    var snapshotReason: String?
    /// The per-tag table at exit (from the final snapshot).
    var pool: [MonitorSnapshot.PoolRow]
    var lookaside: [MonitorSnapshot.LookasideRow]
    var objects: [String: Int]
    /// Framework objects left at exit.
    var tree: MonitorSnapshot.ObjectTree?
    /// Systematic mode: the allocation site made to fail in this run.
    var failedSite: FailedSite?

    struct FailedSite: Codable {
        var id: String
        var site: String
    }
}

/// The file `--json` writes.
struct VerdictFile: Codable {
    var schema = "wdfmon.verdict"
    var version = 1
    var passed: Bool
    var runs: [RunVerdict]
}

extension RunVerdict {
    /// Decides `failures` and `passed` from what was observed. Outstanding tags (Diff > 0 in a
    /// final snapshot written at a normal exit) count as leaks when the verifier printed no leak
    /// line for them, unless `countOutstanding` is false.
    mutating func judge(countOutstanding: Bool) {
        if countOutstanding, snapshotReason == "exit", bugCheck == nil {
            let reported = Set(leaks.map(\.tag))
            for row in pool where row.diff > 0 && !reported.contains(row.tag) {
                leaks.append(LeakReport(
                    source: "outstanding", tag: row.tag, size: Int(row.bytes), type: row.type, count: Int(row.diff),
                    address: nil, ageSeconds: nil, site: nil,
                    text: "tag '\(row.tag)': \(row.diff) block\(row.diff == 1 ? "" : "s") (\(row.bytes) bytes in use, \(row.type)) still allocated at exit"))
            }
        }
        failures = []
        if let bugCheck {
            failures.append("bug check \(bugCheck.code) \(bugCheck.name)")
        } else if let signal, stoppedBy == nil {
            failures.append("killed by signal \(signal) (\(signalName ?? "?"))")
        }
        if let exitStatus, exitStatus != 0 { failures.append("exit status \(exitStatus)") }
        if stoppedBy == "interrupt" { failures.append("interrupted (Ctrl-C)") }
        if !leaks.isEmpty {
            let blocks = leaks.reduce(0) { $0 + $1.count }
            failures.append("\(blocks) leaked block\(blocks == 1 ? "" : "s")")
        }
        passed = failures.isEmpty
    }

    /// The verdict as text, `width` columns wide for the table.
    func text(width: Int) -> String {
        var lines: [String] = []
        lines.append("wdfmon: \(name): " + (passed ? "PASSED" : "FAILED (" + failures.joined(separator: "; ") + ")"))
        var ending: String
        if let exitStatus { ending = "exited with status \(exitStatus)" }
        else if let signal { ending = "ended by signal \(signal) (\(signalName ?? "?"))" }
        else { ending = "did not start" }
        if let stoppedBy { ending += stoppedBy == "interrupt" ? ", stopped by Ctrl-C" : ", stopped by wdfmon after --seconds" }
        lines.append("  exit:      \(ending) after \(oneDecimal(durationSeconds)) s")
        if let site = failedSite { lines.append("  failed:    every allocation from \(site.id) (\(site.site))") }
        if let bugCheck {
            lines.append("  bug check: \(bugCheck.code) \(bugCheck.name) (\(bugCheck.parameters.joined(separator: ",")))")
            lines.append("             \(bugCheck.explanation)")
            lines.append("             at \(bugCheck.site ?? "(no call site reported)")")
        }
        for leak in leaks {
            if leak.source == "verifier" {
                lines.append("  leak:      tag '\(leak.tag)' \(leak.size) bytes \(leak.type) at \(leak.site ?? "?")"
                    + (leak.address.map { " (\($0))" } ?? ""))
            } else {
                lines.append("  leak:      \(leak.text)")
            }
        }
        if let snapshotReason {
            let when = snapshotReason == "exit" ? "at exit" : snapshotReason == "bugcheck" ? "at the bug check" : "last seen"
            lines.append("  pool \(when):")
            var table = PoolMonTable(sort: .tag, width: width)
            table.showLookaside = false
            let snapshot = MonitorSnapshot(
                pid: 0, program: "", sequence: 0, time: 0, reason: snapshotReason, pool: pool, lookaside: lookaside,
                objects: objects, tree: nil)
            lines += table.renderPool(snapshot)
            let left = objects.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            lines.append(" Objects: " + (left.isEmpty ? "none" : left.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        } else {
            lines.append("  pool:      no snapshot (the program did not use the library, or was not linked with it)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What a JUnit failure carries: the stop report and the leak report.
    var failureDetail: String {
        var parts: [String] = []
        if let bugCheck { parts.append(bugCheck.text) }
        parts += leaks.map(\.text)
        if parts.isEmpty { parts = failures }
        return parts.joined(separator: "\n")
    }
}

enum JUnit {
    /// One test suite, one test case per run; a failed run's case has a `<failure>` whose
    /// message names the failures and whose text is the stop or leak report.
    static func document(_ runs: [RunVerdict], width: Int = 100) -> String {
        let failures = runs.filter { !$0.passed }.count
        let time = runs.reduce(0) { $0 + $1.durationSeconds }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"wdfmon\" tests=\"\(runs.count)\" failures=\"\(failures)\" time=\"\(oneDecimal(time))\">\n"
        xml += "  <testsuite name=\"wdfmon\" tests=\"\(runs.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\" time=\"\(oneDecimal(time))\">\n"
        for run in runs {
            xml += "    <testcase classname=\"wdfmon\" name=\"\(escape(run.name))\" time=\"\(oneDecimal(run.durationSeconds))\">\n"
            if !run.passed {
                let type = run.bugCheck != nil ? "bugcheck" : !run.leaks.isEmpty ? "leak" : "failure"
                xml += "      <failure type=\"\(type)\" message=\"\(escape(run.failures.joined(separator: "; ")))\">"
                xml += escape(run.failureDetail) + "</failure>\n"
            }
            xml += "      <system-out>" + escape(run.text(width: width)) + "</system-out>\n"
            xml += "    </testcase>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    /// XML text: the five entities escaped, control characters other than tab and newline
    /// dropped (XML 1.0 cannot carry them).
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\t", "\n": result.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

/// A non-negative number with one decimal (or three, under a tenth), e.g. "81.3".
func oneDecimal(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}
