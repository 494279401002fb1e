import Testing
import Foundation

/// The driver with the classic bugs (Tests/CClients/verifier-client, built -g -O0 by `swift test`),
/// run as an unmodified program with Driver Verifier's settings in the environment: each bug stops
/// with Windows' code and a report whose first lines name the driver's function and line.
@Suite("Driver Verifier: C driver with the classic bugs")
struct VerifierClientTests {
    struct Run {
        var status: Int32
        var reason: Process.TerminationReason
        var output: String
        var standardError: String
    }

    static func run(_ bug: String, settings: String, extraEnvironment: [String: String] = [:]) throws -> Run {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [folder, folder.deletingLastPathComponent()].map { $0.appendingPathComponent("c-verifier-client") }
        guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidates[0].path])
        }
        let temporary = FileManager.default.temporaryDirectory
        let outURL = temporary.appendingPathComponent("verifier-\(bug)-\(UUID().uuidString).out")
        let errURL = temporary.appendingPathComponent("verifier-\(bug)-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = executable
        process.arguments = [bug]
        var environment = ProcessInfo.processInfo.environment
        environment["WDF_VERIFIER_SETTINGS"] = settings
        environment["SWIFT_BACKTRACE"] = "enable=no"
        for (key, value) in extraEnvironment { environment[key] = value }
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Run(
            status: process.terminationStatus, reason: process.terminationReason,
            output: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            standardError: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// The stop line's code and parameters.
    static func stop(_ text: String) -> (code: UInt32, parameters: [UInt64])? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("*** STOP: 0x") }) else { return nil }
        let body = line.dropFirst("*** STOP: 0x".count)
        guard let code = UInt32(body.prefix(8), radix: 16), let open = body.firstIndex(of: "("),
            let close = body.firstIndex(of: ")")
        else { return nil }
        let parameters = body[body.index(after: open)..<close].split(separator: ",").compactMap { UInt64($0.dropFirst(2), radix: 16) }
        return (code, parameters)
    }

    /// Checks the stop and that the report's `  at` line names `function` in main.c with a line.
    static func expectStop(
        _ run: Run, code: UInt32, parameter1: UInt64? = nil, function: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let stop = stop(run.standardError) else {
            Issue.record("no stop in: \(run.standardError)", sourceLocation: sourceLocation)
            return
        }
        #expect(stop.code == code, "\(run.standardError)", sourceLocation: sourceLocation)
        if let parameter1 { #expect(stop.parameters[0] == parameter1, "\(run.standardError)", sourceLocation: sourceLocation) }
        let lines = run.standardError.split(separator: "\n").map(String.init)
        let stopIndex = lines.firstIndex { $0.hasPrefix("*** STOP:") } ?? 0
        let atLine = lines.dropFirst(stopIndex).first { $0.hasPrefix("  at ") } ?? ""
        #expect(atLine.hasPrefix("  at \(function) ("), "\(run.standardError)", sourceLocation: sourceLocation)
        #expect(atLine.contains("verifier-client/main.c:"), "\(run.standardError)", sourceLocation: sourceLocation)
        #expect(run.reason == .uncaughtSignal, sourceLocation: sourceLocation)
    }

    @Test func leakedPoolBlockStopsTheUnloadWith0xC4_62() throws {
        let run = try Self.run("leak-pool", settings: "VerifyDriverLevel=0x8")
        Self.expectStop(run, code: 0xC4, parameter1: 0x62, function: "LeakABlock")
        #expect(Self.stop(run.standardError)?.parameters[3] == 1)
        let leak = run.standardError.split(separator: "\n").first { $0.hasPrefix("VERIFIER LEAK: ") }.map(String.init) ?? ""
        #expect(leak.hasPrefix("VERIFIER LEAK: Tag='Tst1' Size=40 Type=NonPagedPoolNx Address=0x"), "\(leak)")
        #expect(leak.contains(" Caller=LeakABlock ("), "\(leak)")
        #expect(leak.range(of: #"Age=\d+\.\d{3}s"#, options: .regularExpression) != nil, "\(leak)")
        // Standard output is flushed before the report.
        #expect(run.output.contains("load: 0x00000000"))
    }

    @Test func leakedLookasideEntryStops() throws {
        let run = try Self.run("leak-lookaside", settings: "VerifyDriverLevel=0x8")
        Self.expectStop(run, code: 0xC4, parameter1: 0x62, function: "DriverEntry")
        #expect(run.standardError.contains("Tag='TstL' Size=48"))
    }

    @Test func failedDriverEntryIsCheckedForLeaks() throws {
        let run = try Self.run("init-forgets", settings: "VerifyDriverLevel=0x8")
        Self.expectStop(run, code: 0xC4, parameter1: 0x62, function: "InitTwoBuffers")
        #expect(run.standardError.contains("failed DriverEntry"))
    }

    @Test func oneByteOverrunHitsTheGuardPage() throws {
        let run = try Self.run("overrun", settings: "VerifyDriverLevel=0x1,PoolTag=Tst*")
        Self.expectStop(run, code: 0xCD, function: "OverrunByOne")
        #expect(run.standardError.contains("tagged 'Tst1'"))
        #expect(run.standardError.contains("allocated at OverrunByOne (Tests/CClients/verifier-client/main.c:"))
        #expect(Self.stop(run.standardError)?.parameters[1] == 1)  // a write
    }

    @Test func overrunIntoTheSlackIsFoundAtFree() throws {
        let run = try Self.run("overrun-slack", settings: "VerifyDriverLevel=0x1")
        Self.expectStop(run, code: 0xC1, function: "OverrunIntoSlack")
        #expect(Self.stop(run.standardError)?.parameters[1] == 30)
    }

    @Test func writeAfterFreeHitsTheQuarantine() throws {
        let run = try Self.run("write-after-free", settings: "VerifyDriverLevel=0x1")
        Self.expectStop(run, code: 0xCC, function: "WriteAfterFree")
        #expect(run.standardError.contains("freed at WriteAfterFree (Tests/CClients/verifier-client/main.c:"))
    }

    @Test func guardPageBeforeTheBlockWithPoolTagOverrunsZero() throws {
        // With the guard page before the block, a one-byte overrun lands in the slack: found at free.
        let run = try Self.run("overrun", settings: "VerifyDriverLevel=0x1,PoolTagOverruns=0")
        Self.expectStop(run, code: 0xC1, function: "OverrunByOne")
    }

    @Test func specialPoolTagThatDoesNotMatchLeavesTheBlockInThePool() throws {
        let run = try Self.run("overrun-slack", settings: "VerifyDriverLevel=0x1,PoolTag=Oth?")
        #expect(run.status == 0, "\(run.standardError)")
    }

    @Test func pagedPoolAtDispatchNamesTheLine() throws {
        let run = try Self.run("paged-at-dispatch", settings: "VerifyDriverLevel=0x2")
        Self.expectStop(run, code: 0xC2, parameter1: 0x08, function: "PagedAtDispatch")
    }

    @Test func lookasideEntryWrittenAfterFree() throws {
        let run = try Self.run("lookaside-reuse", settings: "VerifyDriverLevel=0x8")
        Self.expectStop(run, code: 0xC1, parameter1: nil, function: "LookasideReuse")
        #expect(Self.stop(run.standardError)?.parameters[3] == 0x31)
        #expect(run.standardError.contains("freed at LookasideReuse (Tests/CClients/verifier-client/main.c:"))
    }

    @Test func faultThatIsNotOursReachesThePreviousHandler() throws {
        let run = try Self.run("not-ours", settings: "VerifyDriverLevel=0x1")
        #expect(run.status == 42, "\(run.output) \(run.standardError)")
        #expect(run.output.contains("own handler got the fault"))
    }

    @Test func cleanDriverRunsCleanWithEverySettingOn() throws {
        let run = try Self.run(
            "clean", settings: "VerifierOn=1,TrackHandles=1,VerifyDriverLevel=0x2F,LowResourcesProbability=0")
        #expect(run.status == 0, "\(run.output) \(run.standardError)")
        #expect(run.output.contains("unload: 0x00000000"))
        #expect(!run.standardError.contains("STOP"))
    }

    @Test func lowResourcesSimulationIsReplayableFromTheSeed() throws {
        let first = try Self.run("low-resources", settings: "VerifyDriverLevel=0x4,LowResourcesSeed=12345")
        let second = try Self.run("low-resources", settings: "VerifyDriverLevel=0x4,LowResourcesSeed=12345")
        #expect(first.status == 0)
        #expect(first.standardError.contains("LowResourcesSeed=12345"))
        let failed = first.output.split(separator: "\n").first { $0.hasPrefix("low-resources failed ") } ?? ""
        let count = Int(failed.split(separator: " ")[2]) ?? -1
        #expect((20...110).contains(count), "\(failed)")  // 6% of 1000
        #expect(first.output == second.output)
        let skipped = try Self.run("low-resources", settings: "VerifyDriverLevel=0x4,LowResourcesSkip=1000")
        #expect(skipped.output.contains("low-resources failed 0 of 1000"))
        let otherTag = try Self.run("low-resources", settings: "VerifyDriverLevel=0x4,LowResourcesTag=Ab*")
        #expect(otherTag.output.contains("low-resources failed 0 of 1000"))
        let everything = try Self.run("low-resources", settings: "VerifyDriverLevel=0x4,LowResourcesProbability=10000,LowResourcesTag=T?t1")
        #expect(everything.output.contains("low-resources failed 1000 of 1000"))
    }

    @Test func frameworkCallAboveItsMaximumIrqlStopsWithKmdfIrql() throws {
        let run = try Self.run("wdf-at-dispatch", settings: "VerifyDriverLevel=0x2")
        Self.expectStop(run, code: 0xC4, parameter1: 0x91001, function: "PagedMemoryAtDispatch")
        #expect(run.standardError.contains("KmdfIrql (0x91001) violated: WdfMemoryCreate should only be called at IRQL <= APC_LEVEL; it was called at DISPATCH_LEVEL"))
        // Without force IRQL checking, only the KMDF verifier's check runs: the call fails.
        let kmdf = try Self.run("wdf-at-dispatch", settings: "VerifierOn=1")
        #expect(kmdf.status == 0 && !kmdf.standardError.contains("STOP"), "\(kmdf.standardError)")
    }

    @Test func driverCreateAfterDriverEntryIsAViolation() throws {
        let run = try Self.run("driver-create-late", settings: "VerifierOn=1")
        Self.expectStop(run, code: 0xC4, parameter1: 0x91002, function: "CreateTheDriver")
        #expect(run.standardError.contains("DriverCreate (0x91002) violated: WdfDriverCreate should only be called from DriverEntry"))
        #expect(run.output.contains("load: 0x00000000"), "standard output is flushed before the stop")
        let quiet = try Self.run("driver-create-late", settings: "")
        #expect(quiet.output.contains("late WdfDriverCreate: 0x00000000"), "no verifier: no rule")
    }

    @Test func trackHandlesListsTheReferenceStillHeldWithItsLine() throws {
        let run = try Self.run("reference-leak", settings: "TrackHandles=1")
        #expect(run.output.contains("unload: 0x00000105"), "STATUS_MORE_ENTRIES: \(run.output)")
        let lines = run.standardError.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("VerifierTest: leaked WDFOBJECT") && $0.contains("1 reference still held") }, "\(run.standardError)")
        let held = lines.filter { $0.contains("reference still held: ") }
        #expect(held.count == 1, "\(run.standardError)")
        #expect(held.first?.contains("Tag 0x1234 at ") == true && held.first?.contains("verifier-client/main.c:") == true, "\(held)")
        #expect(held.first?.contains("from KeepAReference (Tests/CClients/verifier-client/main.c:") == true, "\(held)")
    }

    @Test func lowResourcesSimulationFailsFrameworkCreationsAndCountsThem() throws {
        let run = try Self.run("low-resources-wdf", settings: "VerifyDriverLevel=0x4,LowResourcesSeed=5")
        #expect(run.status == 0, "\(run.output) \(run.standardError)")
        let failed = run.output.split(separator: "\n").first { $0.hasPrefix("low-resources-wdf failed ") } ?? ""
        let count = Int(failed.split(separator: " ")[2]) ?? -1
        #expect((20...110).contains(count), "\(failed)")
        #expect(run.standardError.contains(
            "Driver Verifier: VerifierTest unloads: low resources simulation failed \(count) allocations (pool 0, framework \(count), ECP 0), LowResourcesSeed=5"),
            "\(run.standardError)")
    }

    @Test func settingsCanBeLimitedToServices() throws {
        let run = try Self.run(
            "leak-pool", settings: "VerifyDriverLevel=0x8", extraEnvironment: ["WDF_VERIFIER_SERVICES": "SomeOtherDriver"])
        #expect(run.status == 0)  // another service's settings: no pool tracking here
        #expect(!run.standardError.contains("STOP"))
        let named = try Self.run(
            "leak-pool", settings: "VerifyDriverLevel=0x8", extraEnvironment: ["WDF_VERIFIER_SERVICES": "other,verifiertest"])
        Self.expectStop(named, code: 0xC4, parameter1: 0x62, function: "LeakABlock")
    }

    @Test func systematicModeListsSitesAndFailsOne() throws {
        let sites = FileManager.default.temporaryDirectory.appendingPathComponent("sites-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: sites) }
        let listed = try Self.run("clean", settings: "", extraEnvironment: ["WDF_LOW_RESOURCES_SITES_FILE": sites.path])
        #expect(listed.status == 0)
        let lines = (try? String(contentsOf: sites, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        #expect(!lines.isEmpty)
        let pool = lines.first { $0.contains("\tDriverEntry (") } ?? ""
        let id = pool.split(separator: "\t").first.map(String.init) ?? ""
        #expect(id.hasPrefix("c-verifier-client+0x"), "\(lines)")
        let failing = try Self.run("low-resources", settings: "", extraEnvironment: ["WDF_LOW_RESOURCES_FAIL_SITE": "no-such+0x1"])
        #expect(failing.output.contains("low-resources failed 0 of 1000"))
    }
}
