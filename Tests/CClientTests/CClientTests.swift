import Testing
import Foundation

/// Runs the C client programs that `swift test` builds next to the test bundle: C code compiled
/// against the public headers and linked to the C exports.
@Suite("C clients")
struct CClientTests {
    struct Run {
        var status: Int32
        var output: String
    }

    static func run(_ name: String, arguments: [String] = []) throws -> Run {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [folder.appendingPathComponent(name)]
        // On Linux the test runner may live inside a bundle folder one level deeper.
        candidates.append(folder.deletingLastPathComponent().appendingPathComponent(name))
        guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidates[0].path])
        }
        // Output goes to a file, not a pipe: a pipe's end of file depends on every process that
        // inherited it, and concurrent exit tests spawn processes too.
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let data = try Data(contentsOf: output)
        return Run(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    @Test func poolAndLookasideDriverLoadsRunsAndUnloads() throws {
        let run = try Self.run("c-pool-client")
        let failed = run.output.split(separator: "\n").filter { $0.hasPrefix("check ") && !$0.hasSuffix(": ok") && !$0.contains(": ok ") }
        #expect(failed.isEmpty, "\(failed)")
        #expect(run.status == 0, "\(run.output)")
        for check in ["load", "unload", "quota charged", "LIFO reuse", "flush publishes counters", "accounting counts the whole block"] {
            #expect(run.output.contains("check \(check): ok"))
        }
    }

    @Test func poolTagInformationReadsLikePoolmon() throws {
        let run = try Self.run("c-pooltag-reader")
        #expect(run.status == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n").map(String.init)
        // Two tags: 4 + 16 bytes of header, then two 40-byte SYSTEM_POOLTAG entries at least.
        let needed = lines.first { $0.hasPrefix("needed ") }.flatMap { Int($0.dropFirst(7)) }
        #expect((needed ?? 0) >= 8 + 2 * 40)
        #expect(lines.contains("tag RdNp paged 0 0 0 nonpaged 5 1 256"))
        #expect(lines.contains("tag RdPg paged 1 0 8192 nonpaged 0 0 0"))
    }
}

extension CClientTests {
    @Test func kmdfDriverRunsTheReferencePageExamples() throws {
        let run = try Self.run("c-wdf-client")
        let failed = run.output.split(separator: "\n").filter { $0.hasPrefix("check ") && !$0.hasSuffix(": ok") }
        #expect(failed.isEmpty, "\(failed)")
        #expect(run.status == 0, "\(run.output)")
        for check in [
            "WdfMemoryCreate example", "WdfMemoryCreateFromLookaside example", "deleting the parent takes the memory with it",
            "memory from a deleted list stays valid", "list destroyed after its last memory object", "children clean up first",
        ] {
            #expect(run.output.contains("check \(check): ok"))
        }
    }
}

extension CClientTests {
    @Test("framework bug checks from C", arguments: [
        ("null-out", 4 as UInt64), ("garbage-handle", 5), ("stale-handle", 5), ("wrong-type", 5), ("bad-parent", 5),
    ])
    func frameworkBugChecks(mode: String, parameter1: UInt64) throws {
        let run = try Self.run("c-wdf-client", arguments: [mode])
        #expect(run.status != 0)
        #expect(!run.output.contains("no bug check"))
        let stop = run.output.split(separator: "\n").first { $0.hasPrefix("*** STOP: 0x0000010D (") }
        #expect(stop != nil, "\(run.output)")
        if let stop {
            let p1 = stop.dropFirst("*** STOP: 0x0000010D (0x".count).prefix(16)
            #expect(UInt64(p1, radix: 16) == parameter1)
        }
        #expect(run.output.contains("WDF_VIOLATION"))
    }
}

extension CClientTests {
    @Test func minifilterGoesThroughTheWholeEcpLifeCycle() throws {
        let run = try Self.run("c-minifilter-client")
        let failed = run.output.split(separator: "\n").filter { $0.hasPrefix("check ") && !$0.hasSuffix(": ok") }
        #expect(failed.isEmpty, "\(failed)")
        #expect(run.status == 0, "\(run.output)")
        for check in ["allocate from the lookaside list", "too big: from pool", "iterate in insertion order",
                      "freeing the list frees its ECPs", "unload calls the filter's unload callback"] {
            #expect(run.output.contains("check \(check): ok"))
        }
    }
}

extension CClientTests {
    @Test func twoMinifiltersCarryAnEcpThroughTheCreatePath() throws {
        let run = try Self.run("c-minifilter-create")
        let failed = run.output.split(separator: "\n").filter { $0.hasPrefix("check ") && !$0.hasSuffix(": ok") }
        #expect(failed.isEmpty, "\(failed)")
        #expect(run.status == 0, "\(run.output)")
        for check in [
            "the lower filter found and checked the ECP", "the upper filter sees the acknowledgment",
            "cleanup went to the lower filter once, not to the upper", "IoCreateFileEx opens the file the host added",
            "FLT_PREOP_COMPLETE fails the create with the filter's status", "FltIsEcpFromUserMode in the filter",
        ] {
            #expect(run.output.contains("check \(check): ok"))
        }
    }

    /// The create path's misuse stops, from C: the stop line's code and parameter 1.
    @Test("create path stops from C", arguments: [
        ("free-list-in-flight", 0xC4 as UInt64, 0xE8 as UInt64), ("insert-twice", 0xC4, 0xE2),
        ("invalid-instance", 0xC4, 0xE9), ("dereference-too-often", 0x18, 0),
    ])
    func createPathStops(mode: String, code: UInt64, parameter1: UInt64) throws {
        let run = try Self.run("c-minifilter-create", arguments: [mode])
        #expect(run.status != 0, "\(run.output)")
        let stop = run.output.split(separator: "\n").first { $0.hasPrefix("*** STOP: ") }
        let expected = String(format: "*** STOP: 0x%08llX (0x%016llX,", code, parameter1)
        #expect(stop?.hasPrefix(expected) == true, "\(run.output)")
        if mode == "insert-twice" { #expect(run.output.contains("second insert: 0xC000000D")) }
    }
}
