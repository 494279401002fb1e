import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import WdfMonitor

/// `wdfmon` as users run it, on the C test programs under Tests/CClients/monitor-*.
@Suite("wdfmon commands")
struct WdfMonCommandTests {
    @Test func leakingProgramFailsAndNamesTheTagAndSize() throws {
        let folder = try Built.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("verdict.json")
        let junit = folder.appendingPathComponent("verdict.xml")
        let program = try Built.path("c-monitor-leak")
        let result = try Built.run("wdfmon", ["run", "--json", json.path, "--junit", junit.path, "--", program])
        #expect(result.status == 1)
        #expect(result.output.contains("monitor-leak: unloaded"), "the program's output passes through")
        #expect(result.output.contains("FAILED"))
        #expect(result.output.contains("tag 'Leak'"))
        // One 100-byte block: 128 bytes in use with its header and rounding.
        #expect(result.output.contains("128 bytes"))
        #expect(!result.output.contains("tag 'Okay'"), "freed tags are no leaks")

        let verdict = try Verdict(contentsOf: json)
        #expect(verdict.schema == "wdfmon.verdict" && verdict.version == 1)
        #expect(!verdict.passed)
        let run = try #require(verdict.runs.first)
        #expect(run.exitStatus == 0)
        #expect(run.snapshotReason == "exit")
        #expect(run.leaks.map(\.tag) == ["Leak"])
        #expect(run.leaks.first?.size == 128)
        #expect(run.leaks.first?.count == 1)
        #expect(run.pool.contains { $0.tag == "Leak" && $0.diff == 1 && $0.allocs == 1 })

        let report = try JUnitReport(contentsOf: junit)
        #expect(report.testcases.count == 1)
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.contains("Leak") == true)
        #expect(report.attributes["tests"] == "1" && report.attributes["failures"] == "1")
    }

    @Test func cleanProgramPasses() throws {
        let folder = try Built.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("verdict.json")
        let junit = folder.appendingPathComponent("verdict.xml")
        let result = try Built.run(
            "wdfmon", ["run", "--verifier", "standard", "--json", json.path, "--junit", junit.path, "--", try Built.path("c-monitor-clean")])
        #expect(result.status == 0, "\(result.output)\(result.errors)")
        #expect(result.output.contains("PASSED"))
        let verdict = try Verdict(contentsOf: json)
        #expect(verdict.passed)
        let run = try #require(verdict.runs.first)
        #expect(run.leaks.isEmpty && run.bugCheck == nil && run.exitStatus == 0)
        #expect(run.environment["WDF_VERIFIER_SETTINGS"] == "VerifyDriverLevel=0xA,VerifierOn=1")
        #expect(run.pool.contains { $0.tag == "Grow" && $0.allocs == 10 && $0.diff == 0 })
        #expect(run.lookaside.isEmpty, "the driver deleted its list")
        let report = try JUnitReport(contentsOf: junit)
        #expect(report.testcases.count == 1 && report.failures.isEmpty)
    }

    @Test func bugCheckIsReportedWithItsStopLine() throws {
        let folder = try Built.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("verdict.json")
        let junit = folder.appendingPathComponent("verdict.xml")
        let result = try Built.run(
            "wdfmon", ["run", "--json", json.path, "--junit", junit.path, "--", try Built.path("c-monitor-leak"), "bugcheck"])
        #expect(result.status == 1)
        #expect(result.errors.contains("*** STOP: 0x000000C2"), "standard error passes through")
        #expect(result.output.contains("bug check: 0x000000C2 BAD_POOL_CALLER"))
        let run = try #require(try Verdict(contentsOf: json).runs.first)
        #expect(run.signal == 6 && run.signalName == "SIGABRT")
        #expect(run.bugCheck?.code == "0x000000C2")
        #expect(run.bugCheck?.name == "BAD_POOL_CALLER")
        #expect(run.bugCheck?.parameters.first == "0x0000000000000007")
        #expect(run.bugCheck?.explanation.isEmpty == false)
        #expect(run.snapshotReason == "bugcheck", "the final snapshot is written when the bug check begins")
        #expect(run.pool.contains { $0.tag == "Twic" })
        let report = try JUnitReport(contentsOf: junit)
        #expect(report.failures.first?.contains("*** STOP: 0x000000C2") == true)
    }

    @Test func settingsReachTheProgramThroughTheEnvironment() throws {
        let result = try Built.run(
            "wdfmon",
            ["run", "--verifier", "standard", "--special-pool", "Tst*", "--low-resources", "5:42", "--low-resources-skip", "3",
             "--allocate-fail-count", "7", "--track-handles", "--services", "a,b", "--", "/usr/bin/env"])
        #expect(result.status == 0, "a program that never uses the library passes: \(result.output)")
        #expect(result.output.contains(
            "WDF_VERIFIER_SETTINGS=VerifyDriverLevel=0xF,VerifierOn=1,PoolTag=Tst*,LowResourcesProbability=500,LowResourcesSeed=42,LowResourcesSkip=3,VerifierAllocateFailCount=7,TrackHandles=1"))
        #expect(result.output.contains("WDF_VERIFIER_SERVICES=a,b"))
        #expect(result.output.contains("WDFMON_PUBLISH=1"))
        #expect(result.output.contains("no snapshot"))
    }

    @Test func argumentErrorsSayWhatIsWrong() throws {
        let negative = try Built.run("wdfmon", ["--seconds", "-1"])
        #expect(negative.status == 64)
        #expect(negative.errors.contains("--seconds must be more than 0 (got -1): it is out of range."))
        let noProgram = try Built.run("wdfmon", ["run"])
        #expect(noProgram.status == 64 && noProgram.errors.contains("No program given"))
        let badTag = try Built.run("wdfmon", ["run", "--special-pool", "TooLong", "--", "/bin/true"])
        #expect(badTag.status == 64 && badTag.errors.contains("'TooLong' is not a pool tag"))
        let badPercent = try Built.run("wdfmon", ["run", "--low-resources", "150", "--", "/bin/true"])
        #expect(badPercent.status == 64 && badPercent.errors.contains("out of range"))
        let missing = try Built.run("wdfmon", ["run", "--", "/nonexistent/program"])
        #expect(missing.status == 2 && missing.errors.contains("could not run /nonexistent/program"))
    }

    @Test func attachShowsATagChangingAndTreeShowsTheObjects() throws {
        let folder = try Built.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let busy = try Built.start(
            "c-monitor-busy", ["4"], environment: ["WDFMON_PUBLISH": "1", "WDFMON_DIR": folder.path])
        defer { _ = try? busy.finish() }
        let pid = "\(busy.process.processIdentifier)"
        let snapshot = folder.appendingPathComponent("wdfmon-\(pid).json")
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: snapshot.path), Date() < deadline { usleep(20_000) }

        func busyAllocations() throws -> UInt64? {
            let result = try Built.run("wdfmon", ["attach", pid, "--once", "--dir", folder.path, "--tags", "Bus?"])
            #expect(result.status == 0, "\(result.errors)")
            #expect(result.output.split(separator: "\n").allSatisfy { $0.count <= 80 })
            let row = result.output.split(separator: "\n").first { $0.hasPrefix(" Busy ") }
            return row.flatMap { UInt64($0.split(separator: " ")[2]) }
        }
        // The first Busy block, then a later snapshot with more (polled: the machine may be slow).
        var first: UInt64?
        while first == nil, Date() < deadline {
            first = try busyAllocations()
            if first == nil { usleep(50_000) }
        }
        let before = try #require(first)
        var later: UInt64 = before
        let changeDeadline = Date().addingTimeInterval(3)
        while later == before, Date() < changeDeadline {
            usleep(300_000)
            later = try busyAllocations() ?? before
        }
        #expect(later > before, "the tag changes while the program runs")

        let tree = try Built.run("wdfmon", ["tree", pid, "--dir", folder.path])
        #expect(tree.status == 0, "\(tree.errors)")
        #expect(tree.output.contains("WDFDRIVER"))
        #expect(tree.output.contains("service=BusyDrv"))
        // The memory object, under its driver, with its buffer's tag and size and its context.
        let memory = try #require(tree.output.split(separator: "\n").first { $0.contains("WDFMEMORY") })
        #expect(memory.hasPrefix("  0x"), "indented under the driver")
        #expect(memory.contains("tag='BuMo'") && memory.contains("size=512") && memory.contains("contexts="))
        let finished = try busy.finish()
        #expect(finished.status == 0)
    }

    @Test func diffShowsTheOneTagThatGrew() throws {
        let folder = try Built.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = folder.appendingPathComponent("a.json").path
        let b = folder.appendingPathComponent("b.json").path
        let program = try Built.path("c-monitor-clean")
        #expect(try Built.run("wdfmon", ["run", "--json", a, "--", program, "1"]).status == 0)
        #expect(try Built.run("wdfmon", ["run", "--json", b, "--", program, "3"]).status == 0)
        let grown = try Built.run("wdfmon", ["diff", a, b])
        #expect(grown.status == 1)
        let rows = grown.output.split(separator: "\n").filter { $0.hasPrefix(" ") && !$0.hasPrefix(" Tag") }
        #expect(rows.count == 1)
        #expect(rows.first?.hasPrefix(" Grow  Nonp") == true)
        #expect(rows.first?.contains("+20") == true)
        #expect(grown.output.contains("1 tag grew: Grow Nonp"))
        let same = try Built.run("wdfmon", ["diff", b, b])
        #expect(same.status == 0 && same.output.contains("nothing grew"))
        let shrunk = try Built.run("wdfmon", ["diff", b, a])
        #expect(shrunk.status == 0)
        let unreadable = try Built.run("wdfmon", ["diff", a, folder.appendingPathComponent("none.json").path])
        #expect(unreadable.status == 2)
    }

    /// Contract 4 end to end (the library writes the sites file and fails one site on request):
    /// the clean program, which checks every allocation, survives every site failing, and each
    /// site is named by the driver's function and line.
    @Test func systematicModeFailsEachSiteInTurn() throws {
        let folder = try Built.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("verdict.json")
        let result = try Built.run("wdfmon", ["run", "--systematic", "--json", json.path, "--", try Built.path("c-monitor-clean")])
        #expect(result.status == 0, "\(result.output)\(result.errors)")
        #expect(result.output.contains("wdfmon: 3 allocation sites; failing each in turn"), "\(result.output)")
        #expect(result.output.contains("c-monitor-clean+0x"), "sites are module+offset: \(result.output)")
        #expect(result.output.contains("DriverEntry (Tests/CClients/monitor-clean/main.c:"), "\(result.output)")
        #expect(result.output.contains("wdfmon: 0 of 3 sites made the program crash, bug check or leak"), "\(result.output)")
        let verdict = try Verdict(contentsOf: json)
        #expect(verdict.passed)
        #expect(verdict.runs.count == 4, "the enumerating run and one per site")
        let failing = verdict.runs.dropFirst().compactMap { $0.environment["WDF_LOW_RESOURCES_FAIL_SITE"] }
        #expect(failing.count == 3 && Set(failing).count == 3, "\(failing)")
        #expect(verdict.runs.allSatisfy { $0.exitStatus == 0 && $0.bugCheck == nil })
    }

    /// The systematic mode on the leaking program: its two allocation sites (the loop's and
    /// LeakOneBlock's) are each failed in turn; DriverEntry then fails and the program exits 1:
    /// a failure handled, no crash, no bug check, no leak. The enumerating run leaks and fails.
    @Test func systematicModeReportsTheSitesThatFailTheProgram() throws {
        let folder = try Built.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("verdict.json")
        let result = try Built.run("wdfmon", ["run", "--systematic", "--json", json.path, "--", try Built.path("c-monitor-leak")])
        #expect(result.status == 1, "\(result.output)\(result.errors)")
        #expect(result.output.contains("wdfmon: 2 allocation sites; failing each in turn"), "\(result.output)")
        #expect(result.output.contains("LeakOneBlock (Tests/CClients/monitor-leak/main.c:18)"), "\(result.output)")
        #expect(result.output.contains("DriverEntry (Tests/CClients/monitor-leak/main.c:"), "\(result.output)")
        let verdict = try Verdict(contentsOf: json)
        #expect(!verdict.passed)
        #expect(verdict.runs.count == 3)
        #expect(verdict.runs.first?.passed == false && verdict.runs.first?.exitStatus == 0)
        #expect(verdict.runs.dropFirst().allSatisfy { $0.exitStatus == 1 && $0.bugCheck == nil && $0.leaks.isEmpty },
            "\(verdict.runs.map(\.exitStatus))")
    }

    /// `wdfmon run --verifier standard` on the leaking program: pool tracking stops the unload
    /// with 0xC4/0x62 after a leak line naming the size and the driver's leaking function (C built
    /// with -g: function, file and line).
    @Test func standardVerifierNamesTheLeakingFunction() throws {
        let folder = try Built.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("verdict.json")
        let result = try Built.run(
            "wdfmon", ["run", "--verifier", "standard", "--json", json.path, "--", try Built.path("c-monitor-leak")])
        #expect(result.status == 1)
        #expect(result.errors.contains("VERIFIER LEAK: Tag='Leak' Size=100 Type=NonPagedPoolNx Address=0x"), "\(result.errors)")
        #expect(result.errors.contains("Caller=LeakOneBlock (Tests/CClients/monitor-leak/main.c:18)"), "\(result.errors)")
        #expect(result.errors.contains("*** STOP: 0x000000C4 (0x0000000000000062,"), "\(result.errors)")
        #expect(result.errors.contains("  at LeakOneBlock (Tests/CClients/monitor-leak/main.c:18)"), "\(result.errors)")
        #expect(result.output.contains("FAILED (bug check 0x000000C4 DRIVER_VERIFIER_DETECTED_VIOLATION; 1 leaked block)"), "\(result.output)")
        #expect(result.output.contains("leak:      tag 'Leak' 100 bytes NonPagedPoolNx at LeakOneBlock (Tests/CClients/monitor-leak/main.c:18)"), "\(result.output)")
        let run = try #require(try Verdict(contentsOf: json).runs.first)
        #expect(run.environment["WDF_VERIFIER_SETTINGS"] == "VerifyDriverLevel=0xA,VerifierOn=1")
        #expect(run.bugCheck?.code == "0x000000C4" && run.bugCheck?.parameters.first == "0x0000000000000062")
        #expect(run.bugCheck?.site == "LeakOneBlock (Tests/CClients/monitor-leak/main.c:18)")
        let leak = try #require(run.leaks.first { $0.source == "verifier" })
        #expect(leak.tag == "Leak" && leak.size == 100 && leak.type == "NonPagedPoolNx" && leak.count == 1)
        #expect(leak.site == "LeakOneBlock (Tests/CClients/monitor-leak/main.c:18)")
    }

    @Test func sampleStillRunsWithoutArguments() throws {
        let result = try Built.run("wdfmon", ["--seconds", "1"])
        #expect(result.status == 0)
        #expect(result.output.contains("SampleDrv  unloaded"))
        #expect(result.output.split(separator: "\n").allSatisfy { $0.count <= 80 })
    }
}

/// A JUnit file read back with XMLParser.
final class JUnitReport: NSObject, XMLParserDelegate {
    var attributes: [String: String] = [:]
    var testcases: [String] = []
    var failures: [String] = []
    private var inFailure = false
    private var text = ""

    init(contentsOf url: URL) throws {
        super.init()
        let parser = XMLParser(data: try Data(contentsOf: url))
        parser.delegate = self
        guard parser.parse() else { throw parser.parserError ?? CocoaError(.fileReadCorruptFile) }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
        switch name {
        case "testsuites": self.attributes = attributes
        case "testcase": testcases.append(attributes["name"] ?? "")
        case "failure":
            inFailure = true
            text = (attributes["message"] ?? "") + "\n"
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { if inFailure { text += string } }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "failure" {
            failures.append(text)
            inFailure = false
        }
    }
}

/// The verdict file read back with a decoder of its own (the documented schema, not wdfmon's types).
struct Verdict: Decodable {
    struct Leak: Decodable {
        var source: String
        var tag: String
        var size: Int
        var type: String
        var count: Int
        var site: String?
    }

    struct BugCheck: Decodable {
        var code: String
        var name: String
        var parameters: [String]
        var explanation: String
        var site: String?
        var text: String
    }

    struct Run: Decodable {
        var name: String
        var command: [String]
        var environment: [String: String]
        var exitStatus: Int32?
        var signal: Int32?
        var signalName: String?
        var durationSeconds: Double
        var bugCheck: BugCheck?
        var leaks: [Leak]
        var failures: [String]
        var passed: Bool
        var snapshotReason: String?
        var pool: [MonitorSnapshot.PoolRow]
        var lookaside: [MonitorSnapshot.LookasideRow]
        var objects: [String: Int]
    }

    var schema: String
    var version: Int
    var passed: Bool
    var runs: [Run]

    init(contentsOf url: URL) throws {
        self = try JSONDecoder().decode(Verdict.self, from: Data(contentsOf: url))
    }
}
