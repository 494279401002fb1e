// `wdfmon run [settings] [--json FILE] [--junit FILE] [--seconds N] [--systematic] -- PROGRAM [ARGS...]`
import ArgumentParser
import Foundation
import WdfMonitor
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Runs a program that uses the library under the verifier, watches it, and prints a verdict.",
        discussion: """
            The program gets the verifier settings through WDF_VERIFIER_SETTINGS (and \
            WDF_VERIFIER_SERVICES with --services), and WDFMON_PUBLISH=1 so the library publishes \
            snapshots. Its standard output and standard error pass through; standard error is also \
            read for the bug-check report and the verifier's leak lines. On a terminal a live \
            poolmon view runs meanwhile (keys: q s a f d b e n p / t; Ctrl-C stops the program); \
            otherwise only the verdict is printed.

            The verdict: how the program ended, the bug check if one happened, every leak, the \
            per-tag table at exit. Exit status: 0 when the program exited with 0, did not bug \
            check and leaked nothing; 1 when it failed, bug checked or leaked; 2 when wdfmon could \
            not run it. A tag with Diff > 0 in the snapshot written at a normal exit counts as a \
            leak ("outstanding at exit") unless the verifier reported it already, or \
            --ignore-outstanding is given.

            --systematic: runs the program once with WDF_LOW_RESOURCES_SITES_FILE to enumerate its \
            allocation sites, then once per site with WDF_LOW_RESOURCES_FAIL_SITE set to it, and \
            reports each site whose failure made the program crash, bug check or leak (a clean \
            non-zero exit is the program handling the failure, and passes).
            """)

    @OptionGroup(title: "Verifier settings") var verifier: VerifierOptions

    @Option(name: .customLong("json"), help: "Write the verdict and the tables as JSON (schema wdfmon.verdict, version 1).")
    var jsonFile: String?

    @Option(name: .customLong("junit"), help: "Write a JUnit XML report: one test case per program run.")
    var junitFile: String?

    @Option(parsing: .unconditional, help: "Stop the program after N seconds (SIGTERM, SIGKILL 2 s later); not a failure by itself.")
    var seconds: Double?

    @Flag(help: "Run once per allocation site, with that site failing (the verifier's systematic low-resources mode).")
    var systematic = false

    @Flag(name: .customLong("ignore-outstanding"), help: "Do not count tags with Diff > 0 at exit as leaks (leak lines still count).")
    var ignoreOutstanding = false

    @Flag(name: .customLong("no-view"), help: "No live view, even on a terminal.")
    var noView = false

    @Option(help: "Live view: initial sort key (tag, allocs, frees, diff, bytes, per-alloc).")
    var sort: PoolMonTable.SortKey = .bytes

    @Option(name: .customLong("tags"), help: "Live view: initial tag filter (* and ? wildcards).")
    var tagFilter: String?

    @Option(name: .customLong("pool"), help: "Live view: both, paged or nonpaged.")
    var poolKind: PoolMonTable.PoolKind = .both

    @Argument(parsing: .captureForPassthrough, help: "The program and its arguments (after --).")
    var command: [String] = []

    var program: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

    func validate() throws {
        if let seconds, !(seconds.isFinite && seconds > 0) {
            throw ValidationError("--seconds must be more than 0 (got \(seconds.formatted)): it is out of range.")
        }
        guard !program.isEmpty else { throw ValidationError("No program given: wdfmon run [settings] -- PROGRAM [ARGS...]") }
        if let tagFilter, tagFilter.isEmpty || tagFilter.count > 4 {
            throw ValidationError("--tags: '\(tagFilter)' is not a tag pattern (1-4 characters, * and ? wildcards).")
        }
        _ = try verifier.environment()
    }

    func run() async throws {
        Interrupts.install()
        let environment = try verifier.environment()
        var runs: [RunVerdict]
        do {
            runs = systematic ? try await runSystematically(environment) : [try await runOnce(environment, live: !noView && Terminal.isInteractive, passThrough: true, site: nil)]
        } catch let error as LaunchError {
            writeAll("wdfmon: \(error)\n", to: STDERR_FILENO)
            throw ExitCode(2)
        }
        let passed = runs.allSatisfy(\.passed)
        if let jsonFile {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try write(try encoder.encode(VerdictFile(passed: passed, runs: runs)), to: jsonFile)
        }
        if let junitFile { try write(Data(JUnit.document(runs).utf8), to: junitFile) }
        if !passed { throw ExitCode(1) }
    }

    private func write(_ data: Data, to path: String) throws {
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            writeAll("wdfmon: cannot write \(path): \(error.localizedDescription)\n", to: STDERR_FILENO)
            throw ExitCode(2)
        }
    }

    /// One run of the program, judged and printed.
    private func runOnce(
        _ environment: [String: String], live: Bool, passThrough: Bool, site: RunVerdict.FailedSite?, quiet: Bool = false
    ) async throws -> RunVerdict {
        let launch = ProgramLaunch(
            command: program, environment: environment, seconds: seconds, live: live, passThrough: passThrough,
            view: ViewSettings(sort: sort, poolKind: poolKind, tagFilter: tagFilter))
        let outcome = try await ProgramRunner.run(launch)
        var verdict = RunVerdict(
            name: program.joined(separator: " ") + (site.map { " [fail \($0.id)]" } ?? ""), command: program,
            environment: environment, exitStatus: outcome.exitStatus, signal: outcome.signal,
            signalName: outcome.signal.map(signalName), stoppedBy: outcome.stoppedBy, durationSeconds: outcome.duration,
            bugCheck: outcome.scanner.bugCheck, leaks: outcome.scanner.leaks, failures: [], passed: true,
            snapshotReason: outcome.snapshot?.reason, pool: outcome.snapshot?.pool ?? [],
            lookaside: outcome.snapshot?.lookaside ?? [], objects: outcome.snapshot?.objects ?? [:],
            tree: outcome.snapshot?.tree, failedSite: site)
        verdict.judge(countOutstanding: !ignoreOutstanding)
        if site != nil {
            // A site run fails only by crashing, bug checking or leaking: a clean non-zero exit
            // is the program handling the failed allocation.
            verdict.failures.removeAll { $0.hasPrefix("exit status") }
            verdict.passed = verdict.failures.isEmpty
        }
        if !quiet { writeAll(verdict.text(width: Terminal.isInteractive ? Terminal.size.columns : 80), to: STDOUT_FILENO) }
        return verdict
    }

    /// Contract 4: enumerate the sites, then fail each in turn.
    private func runSystematically(_ environment: [String: String]) async throws -> [RunVerdict] {
        let folder = try ProgramRunner.makePrivateFolder()
        defer { ProgramRunner.removeFolder(folder) }
        let sitesFile = folder + "/sites.txt"
        var baselineEnvironment = environment
        baselineEnvironment["WDF_LOW_RESOURCES_SITES_FILE"] = sitesFile
        let baseline = try await runOnce(baselineEnvironment, live: false, passThrough: true, site: nil)
        guard let text = try? String(contentsOfFile: sitesFile, encoding: .utf8) else {
            throw LaunchError(description: "the program wrote no allocation sites (\(sitesFile)): the library it uses does not support WDF_LOW_RESOURCES_SITES_FILE, or the program never allocated")
        }
        let sites = text.split(separator: "\n").compactMap { line -> RunVerdict.FailedSite? in
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard let id = parts.first, !id.isEmpty else { return nil }
            return RunVerdict.FailedSite(id: String(id), site: parts.count > 1 ? String(parts[1]) : String(id))
        }
        writeAll("wdfmon: \(sites.count) allocation site\(sites.count == 1 ? "" : "s"); failing each in turn\n", to: STDOUT_FILENO)
        var runs = [baseline]
        for site in sites {
            var siteEnvironment = environment
            siteEnvironment["WDF_LOW_RESOURCES_FAIL_SITE"] = site.id
            let verdict = try await runOnce(siteEnvironment, live: false, passThrough: false, site: site, quiet: true)
            let outcome = verdict.passed ? "ok" : "FAILED (" + verdict.failures.joined(separator: "; ") + ")"
            writeAll("  \(site.id)  \(site.site): \(outcome)\n", to: STDOUT_FILENO)
            if !verdict.passed {
                if let bugCheck = verdict.bugCheck { writeAll("      \(bugCheck.code) \(bugCheck.name) at \(bugCheck.site ?? "?")\n", to: STDOUT_FILENO) }
                for leak in verdict.leaks { writeAll("      leak: \(leak.text)\n", to: STDOUT_FILENO) }
            }
            runs.append(verdict)
            if Interrupts.received > 0 { break }
        }
        let failing = runs.dropFirst().filter { !$0.passed }.count
        writeAll("wdfmon: \(failing) of \(sites.count) site\(sites.count == 1 ? "" : "s") made the program crash, bug check or leak\n", to: STDOUT_FILENO)
        return runs
    }
}
