// Runs a program under wdfmon: the verifier settings and WDFMON_PUBLISH=1 in its environment, a
// private snapshot folder, its standard error scanned for the bug-check and leak reports while it
// passes through, the live view on a terminal, and the final snapshot read at the end.
import Foundation
import Subprocess
import SystemPackage
import Synchronization
import WdfMonitor
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How to run the program.
struct ProgramLaunch: Sendable {
    var command: [String]
    /// Variables set for the program (besides WDFMON_PUBLISH and WDFMON_DIR).
    var environment: [String: String]
    /// Stop the program (SIGTERM, then SIGKILL 2 s later) after this many seconds.
    var seconds: Double?
    /// Show the live view (a terminal is required).
    var live: Bool
    /// Pass the program's output through; false: standard output is discarded and standard
    /// error only scanned (systematic runs).
    var passThrough: Bool
    var view: ViewSettings
}

/// The live view's initial settings.
struct ViewSettings: Sendable {
    var sort: PoolMonTable.SortKey = .bytes
    var poolKind: PoolMonTable.PoolKind = .both
    var tagFilter: String? = nil
}

/// What happened.
struct ProgramOutcome {
    var exitStatus: Int32?
    var signal: Int32?
    var stoppedBy: String?
    var duration: Double
    var scanner: ReportScanner
    var snapshot: MonitorSnapshot?
}

/// Why the program could not be run.
struct LaunchError: Error, CustomStringConvertible {
    var description: String
}

/// State shared by the tasks that watch one program.
final class RunState: Sendable {
    let stoppedBy = Mutex<String?>(nil)
    let scanner = Mutex(ReportScanner())
    let output = Mutex(OutputLog())
    let start = ContinuousClock.now
    let pid = Atomic<Int32>(0)

    var elapsed: Double {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// The program's output while the live view owns the screen: kept (up to 8 MiB) and shown in a
/// pane; replayed in full when the view closes. Once it is closed, output passes straight through.
struct OutputLog: ~Copyable {
    var chunks: [(descriptor: Int32, bytes: [UInt8])] = []
    var size = 0
    var dropped = 0
    var passing = false
    /// The last lines, for the pane.
    var recentLines: [String] = []
    var partialLine: [UInt8] = []

    mutating func append(_ bytes: [UInt8], descriptor: Int32) {
        if passing {
            bytes.withUnsafeBytes { writeAll($0, to: descriptor) }
            return
        }
        if size + bytes.count <= 8 << 20 {
            chunks.append((descriptor, bytes))
            size += bytes.count
        } else {
            dropped += bytes.count
        }
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                recentLines.append(String(decoding: partialLine, as: UTF8.self))
                partialLine.removeAll(keepingCapacity: true)
                if recentLines.count > 50 { recentLines.removeFirst(recentLines.count - 50) }
            } else if partialLine.count < 1000 {
                partialLine.append(byte)
            }
        }
    }

    /// Writes what was kept and lets later output pass through.
    mutating func replayAndPass() {
        guard !passing else { return }
        passing = true
        for chunk in chunks { chunk.bytes.withUnsafeBytes { writeAll($0, to: chunk.descriptor) } }
        if dropped > 0 { writeAll("wdfmon: \(dropped) bytes of the program's output were not kept\n", to: STDERR_FILENO) }
        chunks = []
    }
}

enum ProgramRunner {
    /// Runs the program to its end and returns what happened.
    static func run(_ launch: ProgramLaunch) async throws -> ProgramOutcome {
        guard let program = launch.command.first else { throw LaunchError(description: "no program given") }
        let folder = try makePrivateFolder()
        defer { removeFolder(folder) }
        var variables = launch.environment
        variables["WDFMON_PUBLISH"] = "1"
        variables["WDFMON_DIR"] = folder
        var updates: [Environment.Key: String?] = [:]
        for (name, value) in variables { updates[Environment.Key(rawValue: name)!] = value }
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        let arguments = Arguments(Array(launch.command.dropFirst()))
        let environment = Environment.inherit.updating(updates)
        let state = RunState()

        let termination: TerminationStatus
        do {
            if launch.live {
                termination = try await runLive(executable, arguments, environment, launch: launch, folder: folder, state: state)
            } else if launch.passThrough {
                termination = try await Subprocess.run(
                    executable, arguments: arguments, environment: environment, input: .currentStandardInput,
                    output: .currentStandardOutput, error: .sequence
                ) { execution in
                    try await watch(execution, launch: launch, state: state, forwardErrors: true)
                }.terminationStatus
            } else {
                termination = try await Subprocess.run(
                    executable, arguments: arguments, environment: environment, input: .none,
                    output: .discarded, error: .sequence
                ) { execution in
                    try await watch(execution, launch: launch, state: state, forwardErrors: false)
                }.terminationStatus
            }
        } catch let error as SubprocessError {
            throw LaunchError(description: "could not run \(program): \(error)")
        }
        var outcome = ProgramOutcome(
            exitStatus: nil, signal: nil, stoppedBy: state.stoppedBy.withLock { $0 }, duration: state.elapsed,
            scanner: state.scanner.withLock { scanner in
                scanner.finish()
                return scanner
            },
            snapshot: nil)
        switch termination {
        case .exited(let code): outcome.exitStatus = code
        case .signaled(let signal): outcome.signal = signal
        }
        let pid = state.pid.load(ordering: .relaxed)
        outcome.snapshot = readSnapshot(SnapshotLocation.snapshotPath(pid: pid, in: folder))
        return outcome
    }

    /// Without the live view: standard error is scanned (and passed through), and the watchdog
    /// handles --seconds and Ctrl-C.
    private static func watch<Input, Output>(
        _ execution: Execution<Input, Output, SequenceOutput>, launch: ProgramLaunch, state: RunState, forwardErrors: Bool
    ) async throws {
        state.pid.store(execution.processIdentifier.value, ordering: .relaxed)
        let watchdog = Task { await Self.watchdog(pid: execution.processIdentifier.value, launch: launch, state: state) }
        defer { watchdog.cancel() }
        for try await buffer in execution.standardError {
            let bytes = buffer.withUnsafeBytes { Array($0) }
            if forwardErrors { bytes.withUnsafeBytes { writeAll($0, to: STDERR_FILENO) } }
            state.scanner.withLock { $0.feed(bytes) }
        }
    }

    /// Stops the program after --seconds (SIGTERM, then SIGKILL 2 s later) and on Ctrl-C (the
    /// terminal sends SIGINT to the program as well; a second Ctrl-C kills it). Runs until
    /// cancelled.
    static func watchdog(pid: pid_t, launch: ProgramLaunch, state: RunState) async {
        var interrupts = Interrupts.received
        var terminatedAt: Double? = nil
        var killed = false
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            let now = state.elapsed
            if Interrupts.received != interrupts {
                interrupts = Interrupts.received
                let first = state.stoppedBy.withLock { stopped -> Bool in
                    defer { stopped = "interrupt" }
                    return stopped == nil
                }
                kill(pid, first ? SIGINT : SIGKILL)
            }
            if let seconds = launch.seconds, now >= seconds, terminatedAt == nil {
                terminatedAt = now
                state.stoppedBy.withLock { if $0 == nil { $0 = "seconds" } }
                kill(pid, SIGTERM)
            }
            if let terminatedAt, !killed, now >= terminatedAt + 2 {
                killed = true
                kill(pid, SIGKILL)
            }
        }
    }

    /// With the live view: both output streams are kept for the pane and replayed when the view
    /// closes.
    private static func runLive(
        _ executable: Executable, _ arguments: Arguments, _ environment: Environment, launch: ProgramLaunch,
        folder: String, state: RunState
    ) async throws -> TerminationStatus {
        let terminal = Terminal()
        terminal.enterKeyMode()
        defer { terminal.leaveKeyMode() }
        let result = try await Subprocess.run(
            executable, arguments: arguments, environment: environment, input: .none, output: .sequence, error: .sequence
        ) { execution in
            let pid = execution.processIdentifier.value
            state.pid.store(pid, ordering: .relaxed)
            let watchdog = Task { await Self.watchdog(pid: pid, launch: launch, state: state) }
            let view = Task {
                var screen = LiveScreen(
                    terminal: terminal, title: ([String(launch.command[0].split(separator: "/").last ?? "")] + launch.command.dropFirst()).joined(separator: " "), pid: pid, folder: folder,
                    settings: launch.view, state: state)
                await screen.run()
            }
            async let outputDone: Void = {
                for try await buffer in execution.standardOutput {
                    let bytes = buffer.withUnsafeBytes { Array($0) }
                    state.output.withLock { $0.append(bytes, descriptor: STDOUT_FILENO) }
                }
            }()
            for try await buffer in execution.standardError {
                let bytes = buffer.withUnsafeBytes { Array($0) }
                state.output.withLock { $0.append(bytes, descriptor: STDERR_FILENO) }
                state.scanner.withLock { $0.feed(bytes) }
            }
            try await outputDone
            view.cancel()
            _ = await view.value
            watchdog.cancel()
            state.output.withLock { $0.replayAndPass() }
        }
        return result.terminationStatus
    }

    /// A folder only this user can read (mode 0700), for the program's snapshot files.
    static func makePrivateFolder() throws -> String {
        var template = Array((SnapshotLocation.directory + "/wdfmon-run-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw LaunchError(description: "cannot create a private folder in \(SnapshotLocation.directory): \(String(cString: strerror(errno)))")
        }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func removeFolder(_ folder: String) {
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) {
            for entry in entries { unlink(folder + "/" + entry) }
        }
        rmdir(folder)
    }

    /// Reads a snapshot file; nil when there is none or it is not a version-1 snapshot.
    static func readSnapshot(_ path: String) -> MonitorSnapshot? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let snapshot = try? JSONDecoder().decode(MonitorSnapshot.self, from: data),
            snapshot.schema == MonitorSnapshot.schemaName, snapshot.version == MonitorSnapshot.schemaVersion
        else { return nil }
        return snapshot
    }
}

/// Signal names for the verdict.
func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGABRT: "SIGABRT"
    case SIGSEGV: "SIGSEGV"
    case SIGBUS: "SIGBUS"
    case SIGILL: "SIGILL"
    case SIGFPE: "SIGFPE"
    case SIGKILL: "SIGKILL"
    case SIGTERM: "SIGTERM"
    case SIGINT: "SIGINT"
    case SIGTRAP: "SIGTRAP"
    case SIGPIPE: "SIGPIPE"
    default: "signal \(signal)"
    }
}

/// Writes all of `bytes` to a file descriptor.
func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) {
    guard let base = bytes.baseAddress else { return }
    var offset = 0
    while offset < bytes.count {
        let written = write(descriptor, base + offset, bytes.count - offset)
        if written < 0, errno == EINTR { continue }
        guard written > 0 else { return }
        offset += written
    }
}
