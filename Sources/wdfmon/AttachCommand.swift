// `wdfmon attach PID` and `wdfmon tree PID`: a process started with WDFMON_PUBLISH=1.
import ArgumentParser
import Foundation
import WdfMonitor
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where a process's snapshots are, and the checks every reader makes.
struct PublishedProcess: ParsableArguments {
    @Argument(help: "The process id.")
    var pid: Int32

    @Option(help: "The snapshot folder (default: $WDFMON_DIR, else /dev/shm, else $XDG_RUNTIME_DIR, else /tmp).")
    var dir: String?

    var folder: String { dir ?? SnapshotLocation.directory }

    func validate() throws {
        guard pid > 0 else { throw ValidationError("PID must be a positive process id (got \(pid)): it is out of range.") }
    }

    /// The latest snapshot, or a failure that says why there is none.
    func snapshot() throws -> MonitorSnapshot {
        let path = SnapshotLocation.snapshotPath(pid: pid, in: folder)
        guard let snapshot = ProgramRunner.readSnapshot(path) else {
            let alive = kill(pid, 0) == 0 || errno == EPERM
            let reason = alive
                ? "process \(pid) publishes no snapshots in \(folder) (start it with WDFMON_PUBLISH=1; --dir if it has WDFMON_DIR)"
                : "no process \(pid), and no snapshot it left in \(folder)"
            writeAll("wdfmon: \(reason)\n", to: STDERR_FILENO)
            throw ExitCode(1)
        }
        return snapshot
    }
}

struct Attach: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Shows the live view of a process that publishes snapshots (started with WDFMON_PUBLISH=1).",
        discussion: "Without a terminal, or with --once, prints the table once and exits.")

    @OptionGroup var process: PublishedProcess

    @Flag(help: "Print one table and exit.")
    var once = false

    @Option(help: "Sort key: tag, allocs, frees, diff, bytes, per-alloc.")
    var sort: PoolMonTable.SortKey = .bytes

    @Option(name: .customLong("tags"), help: "Tag filter (* and ? wildcards).")
    var tagFilter: String?

    @Option(name: .customLong("pool"), help: "both, paged or nonpaged.")
    var poolKind: PoolMonTable.PoolKind = .both

    @Option(parsing: .unconditional, help: "Width of the printed table in columns (--once; default 80).")
    var width: Int = 80

    func validate() throws {
        guard (20...1000).contains(width) else { throw ValidationError("--width must be between 20 and 1000 (got \(width)): it is out of range.") }
    }

    func run() async throws {
        let snapshot = try process.snapshot()
        if once || !Terminal.isInteractive {
            let table = PoolMonTable(sort: sort, poolKind: poolKind, tagFilter: tagFilter, width: width)
            let title = "wdfmon  \(snapshot.program)  pid \(snapshot.pid)  snapshot \(snapshot.sequence) (\(snapshot.reason))"
            writeAll(([title, ""] + table.render(snapshot)).joined(separator: "\n") + "\n", to: STDOUT_FILENO)
            return
        }
        Interrupts.install()
        let terminal = Terminal()
        terminal.enterKeyMode()
        defer { terminal.leaveKeyMode() }
        var screen = LiveScreen(
            terminal: terminal, title: snapshot.program, pid: process.pid, folder: process.folder,
            settings: ViewSettings(sort: sort, poolKind: poolKind, tagFilter: tagFilter), state: nil)
        await screen.run()
    }
}

struct Tree: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prints the framework object tree of a process that publishes snapshots.",
        discussion: """
            Asks the process for its tree (a request file next to its snapshot) and waits for the \
            answer; a process that has ended leaves the tree of its final snapshot. Each object: \
            handle, type, references, tag, size, contexts (type key @ address (size)), callbacks, \
            the routine that created it; children indented under their parent.
            """)

    @OptionGroup var process: PublishedProcess

    @Option(parsing: .unconditional, help: "Seconds to wait for the answer.")
    var timeout: Double = 3

    @Flag(help: "Print the tree as JSON (the snapshot's \"tree\").")
    var json = false

    func validate() throws {
        guard timeout.isFinite, timeout > 0 else { throw ValidationError("--timeout must be more than 0 (got \(timeout.formatted)): it is out of range.") }
    }

    func run() async throws {
        let folder = process.folder
        let pid = process.pid
        var tree: MonitorSnapshot.ObjectTree?
        if kill(pid, 0) == 0 {
            let treePath = SnapshotLocation.treePath(pid: pid, in: folder)
            unlink(treePath)
            let descriptor = open(SnapshotLocation.treeRequestPath(pid: pid, in: folder), O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
            if descriptor >= 0 { close(descriptor) }
            let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
            while ContinuousClock.now < deadline {
                if let answer = ProgramRunner.readSnapshot(treePath)?.tree { tree = answer; break }
                if kill(pid, 0) != 0 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        if tree == nil { tree = try process.snapshot().tree }
        guard let tree else {
            writeAll("wdfmon: process \(pid) did not answer within \(timeout.formatted) s\n", to: STDERR_FILENO)
            throw ExitCode(1)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            writeAll(String(decoding: try encoder.encode(tree), as: UTF8.self) + "\n", to: STDOUT_FILENO)
        } else {
            let lines = PoolMonTable.renderTree(tree)
            writeAll((lines.isEmpty ? ["(no framework objects)"] : lines).joined(separator: "\n") + "\n", to: STDOUT_FILENO)
        }
    }
}
