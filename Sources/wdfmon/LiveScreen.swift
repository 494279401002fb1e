// The live view of `wdfmon run` and `wdfmon attach`: poolmon-like, redrawn in place on the
// alternate screen every 250 ms.
//
// Keys: q closes the view (the program keeps running; `run` then passes its output through),
// s cycles the sort key (or a allocs, f frees, d diff, b bytes, e per alloc, n tag), p cycles
// paged / non-paged / both, / edits the tag filter (* and ?; Enter applies, Esc cancels, empty
// clears), t shows or hides the object tree. Ctrl-C stops the program (run) or wdfmon (attach).
import Foundation
import WdfMonitor
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct LiveScreen {
    let terminal: Terminal
    let title: String
    let pid: Int32
    let folder: String
    var settings: ViewSettings
    /// The run's state (output pane, elapsed time); nil for `attach`.
    let state: RunState?

    private var table = PoolMonTable()
    private var shown: MonitorSnapshot?
    private var previous: MonitorSnapshot?
    private var showingTree = false
    private var treeLines: [String] = []
    private var treeRequestedAt = 0.0
    private var editingFilter: String? = nil
    private let clock = ContinuousClock()
    private let opened = ContinuousClock.now

    init(terminal: Terminal, title: String, pid: Int32, folder: String, settings: ViewSettings, state: RunState?) {
        self.terminal = terminal
        self.title = title
        self.pid = pid
        self.folder = folder
        self.settings = settings
        self.state = state
    }

    private var elapsed: Double {
        let (seconds, attoseconds) = (ContinuousClock.now - opened).components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Runs until cancelled, `q`, or (attach) the process is gone or Ctrl-C.
    mutating func run() async {
        writeAll("\u{1B}[?1049h\u{1B}[?25l", to: STDOUT_FILENO)
        defer { writeAll("\u{1B}[?25h\u{1B}[?1049l", to: STDOUT_FILENO) }
        var nextRefresh = 0.0
        let interrupts = Interrupts.received
        while !Task.isCancelled {
            if handleKeys() { break }
            if state == nil, Interrupts.received != interrupts || kill(pid, 0) != 0 { break }
            let now = elapsed
            if now >= nextRefresh {
                refresh()
                nextRefresh = now + 0.25
            }
            try? await Task.sleep(for: .milliseconds(40))
        }
        state?.output.withLock { $0.replayAndPass() }
    }

    /// Handles typed keys; true when the view should close.
    private mutating func handleKeys() -> Bool {
        var redraw = false
        for key in terminal.readKeys() {
            redraw = true
            if var pattern = editingFilter {
                switch key {
                case 0x0D, 0x0A:
                    settings.tagFilter = pattern.isEmpty ? nil : pattern
                    editingFilter = nil
                case 0x1B: editingFilter = nil
                case 0x7F, 0x08:
                    if !pattern.isEmpty { pattern.removeLast() }
                    editingFilter = pattern
                default:
                    if (0x21...0x7E).contains(key), pattern.count < 4 { pattern.append(Character(UnicodeScalar(key))) }
                    editingFilter = pattern
                }
                continue
            }
            switch Character(UnicodeScalar(key)) {
            case "q", "Q": return true
            case "s": settings.sort = settings.sort.next
            case "a": settings.sort = .allocs
            case "f": settings.sort = .frees
            case "d": settings.sort = .diff
            case "b": settings.sort = .bytes
            case "e": settings.sort = .perAlloc
            case "n": settings.sort = .tag
            case "p": settings.poolKind = settings.poolKind.next
            case "/": editingFilter = settings.tagFilter ?? ""
            case "t":
                showingTree.toggle()
                if showingTree { requestTree() }
            default: redraw = false
            }
        }
        if redraw { draw() }
        return false
    }

    private mutating func requestTree() {
        treeLines = ["(asking the program for its object tree...)"]
        unlink(SnapshotLocation.treePath(pid: pid, in: folder))
        let path = SnapshotLocation.treeRequestPath(pid: pid, in: folder)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if descriptor >= 0 { close(descriptor) }
        treeRequestedAt = elapsed
    }

    private mutating func refresh() {
        if let snapshot = ProgramRunner.readSnapshot(SnapshotLocation.snapshotPath(pid: pid, in: folder)),
            snapshot.sequence != shown?.sequence
        {
            previous = shown
            shown = snapshot
        }
        if showingTree {
            if let tree = ProgramRunner.readSnapshot(SnapshotLocation.treePath(pid: pid, in: folder))?.tree {
                treeLines = PoolMonTable.renderTree(tree)
            }
            if elapsed - treeRequestedAt > 2 {
                // Asked again every 2 s while shown: the tree follows the program.
                let path = SnapshotLocation.treeRequestPath(pid: pid, in: folder)
                let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
                if descriptor >= 0 { close(descriptor) }
                treeRequestedAt = elapsed
            }
        }
        draw()
    }

    private mutating func draw() {
        let (columns, rows) = Terminal.size
        table.sort = settings.sort
        table.poolKind = settings.poolKind
        table.tagFilter = settings.tagFilter
        table.width = columns
        table.highlightChangesSince = previous
        var head: [String] = []
        let time = state.map { oneDecimal($0.elapsed) + " s  " } ?? ""
        head.append("wdfmon  \(title)  pid \(pid)  \(time)sort: \(settings.sort.rawValue)  pool: \(settings.poolKind.rawValue)  tags: \(settings.tagFilter ?? "*")")
        if let editingFilter {
            head.append("tag filter (* and ?, Enter applies, Esc cancels): \(editingFilter)_")
        } else {
            head.append("q quit view  s/a/f/d/b/e/n sort  p pool  / filter  t tree")
        }
        head.append("")
        var body: [String]
        if showingTree {
            body = ["Object tree (t: back to the pool table)"] + treeLines
        } else if let shown {
            body = table.render(shown)
        } else {
            body = ["(waiting for the program's first snapshot: it publishes once it uses the library)"]
        }
        var pane: [String] = []
        if let state {
            let recent = state.output.withLock { $0.recentLines }
            let paneRows = min(8, max(2, rows / 4))
            pane = ["-- program output " + String(repeating: "-", count: max(0, columns - 19))] + recent.suffix(paneRows)
        }
        let room = max(1, rows - head.count - pane.count)
        if body.count > room { body = Array(body.prefix(room - 1)) + ["(\(body.count - room + 1) more lines)"] }
        var screen = "\u{1B}[H"
        for line in head + body + pane {
            screen += cut(line, to: columns) + "\u{1B}[K\r\n"
        }
        screen.removeLast(2)
        screen += "\u{1B}[J"
        writeAll(screen, to: STDOUT_FILENO)
    }

    /// A line cut to `width` visible columns (ANSI sequences kept, not counted).
    private func cut(_ line: String, to width: Int) -> String {
        var visible = 0
        var result = ""
        var inEscape = false
        for character in line {
            if inEscape {
                result.append(character)
                if character.isLetter { inEscape = false }
                continue
            }
            if character == "\u{1B}" {
                inEscape = true
                result.append(character)
                continue
            }
            guard visible < width else { continue }
            result.append(character)
            visible += 1
        }
        return result
    }
}
