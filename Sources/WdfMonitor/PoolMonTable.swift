/// Renders a ``MonitorSnapshot`` as poolmon does: pool usage per tag, totals, framework objects
/// per type, lookaside lists. Lines never exceed ``width``: columns are dropped (Per Alloc, then
/// Frees, then Type) and what is still too wide is cut, never wrapped.
public struct PoolMonTable: Sendable {
    /// poolmon's sort keys: tag ascending, the others descending (ties by tag).
    public enum SortKey: String, CaseIterable, Sendable, Codable {
        case tag, allocs, frees, diff, bytes
        case perAlloc = "per-alloc"

        /// The next key, for a key that cycles through them.
        public var next: SortKey {
            let all = SortKey.allCases
            return all[(all.firstIndex(of: self)! + 1) % all.count]
        }
    }

    /// Which pool rows are shown.
    public enum PoolKind: String, CaseIterable, Sendable {
        case both, paged
        case nonPaged = "nonpaged"

        public var next: PoolKind {
            let all = PoolKind.allCases
            return all[(all.firstIndex(of: self)! + 1) % all.count]
        }
    }

    public var sort: SortKey = .bytes
    public var poolKind: PoolKind = .both
    /// Only tags matching this pattern (`*` any run of characters, `?` one character); nil: all.
    public var tagFilter: String? = nil
    /// The screen width in columns.
    public var width: Int = 80
    /// Rows whose counters differ from this earlier snapshot are highlighted (ANSI reverse video).
    public var highlightChangesSince: MonitorSnapshot? = nil
    /// Whether to show the objects and lookaside tables after the pool table.
    public var showObjects = true
    public var showLookaside = true

    public init(
        sort: SortKey = .bytes, poolKind: PoolKind = .both, tagFilter: String? = nil, width: Int = 80,
        highlightChangesSince: MonitorSnapshot? = nil
    ) {
        self.sort = sort
        self.poolKind = poolKind
        self.tagFilter = tagFilter
        self.width = width
        self.highlightChangesSince = highlightChangesSince
    }

    /// The pool rows shown, in order.
    public func rows(of snapshot: MonitorSnapshot) -> [MonitorSnapshot.PoolRow] {
        snapshot.pool.filter { row in
            switch poolKind {
            case .both: break
            case .paged where !row.isPaged: return false
            case .nonPaged where row.isPaged: return false
            default: break
            }
            guard let tagFilter else { return true }
            return TagPattern.matches(tagFilter, row.tag)
        }.sorted { a, b in
            switch sort {
            case .tag: break
            case .allocs where a.allocs != b.allocs: return a.allocs > b.allocs
            case .frees where a.frees != b.frees: return a.frees > b.frees
            case .diff where a.diff != b.diff: return a.diff > b.diff
            case .bytes where a.bytes != b.bytes: return a.bytes > b.bytes
            case .perAlloc where a.perAlloc != b.perAlloc: return a.perAlloc > b.perAlloc
            default: break
            }
            if a.tag != b.tag { return a.tag < b.tag }
            return !a.isPaged && b.isPaged
        }
    }

    /// The pool table: header, rows, totals. Each line at most `width` columns (ANSI
    /// highlighting excluded).
    public func renderPool(_ snapshot: MonitorSnapshot) -> [String] {
        let columns = poolColumns()
        var lines = [fit(columns.header)]
        let previous = highlightChangesSince.map { Dictionary($0.pool.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a }) }
        for row in rows(of: snapshot) {
            let line = fit(columns.line(columns.cells(row)))
            if let previous, previous[row.key] != row {
                lines.append("\u{1B}[7m" + line + "\u{1B}[0m")
            } else {
                lines.append(line)
            }
        }
        let totals = snapshot.totals
        switch poolKind {
        case .both, .nonPaged:
            lines.append(fit(" Total Nonp: \(totals.nonPaged.allocs) allocs, \(totals.nonPaged.frees) frees, \(totals.nonPaged.bytes) bytes"))
        case .paged: break
        }
        if poolKind != .nonPaged {
            lines.append(fit(" Total Paged: \(totals.paged.allocs) allocs, \(totals.paged.frees) frees, \(totals.paged.bytes) bytes"))
        }
        return lines
    }

    /// The whole screen: pool table, then objects per type, then lookaside lists.
    public func render(_ snapshot: MonitorSnapshot) -> [String] {
        var lines = renderPool(snapshot)
        if showObjects {
            lines.append("")
            lines += renderObjects([("Count", snapshot.objects)])
        }
        if showLookaside, !snapshot.lookaside.isEmpty {
            lines.append("")
            lines += renderLookaside(snapshot.lookaside)
        }
        return lines
    }

    /// The objects table: one row per type, one column per titled count set (e.g. "Stopped" and
    /// "Unloaded").
    public func renderObjects(_ columns: [(title: String, counts: [String: Int])]) -> [String] {
        let layout = TextColumns([("Object type", 12, true)] + columns.map { ($0.title, 9, false) })
        var lines = [fit(layout.header)]
        for type in MonitorSnapshot.objectTypes.map({ "\($0)" }) {
            lines.append(fit(layout.line([type] + columns.map { "\($0.counts[type] ?? 0)" })))
        }
        return lines
    }

    /// The lookaside table (its list column shows each row's `routine`, cut to fit; the Misses
    /// column goes first when the names need the room).
    public func renderLookaside(_ lists: [MonitorSnapshot.LookasideRow]) -> [String] {
        let longest = max(14, lists.map(\.routine.count).max() ?? 0)
        var rest: [(title: String, width: Int, left: Bool)] = [
            ("Tag", 4, true), ("Type", 5, true), ("Size", 5, false), ("Depth", 5, false), ("Allocs", 9, false),
            ("Misses", 8, false), ("Hit %", 5, false),
        ]
        func nameRoom() -> Int { width - TextColumns([("", 0, true)] + rest).totalWidth - 2 }
        if nameRoom() < longest { rest.removeAll { $0.title == "Misses" } }
        let nameWidth = max(4, min(longest, nameRoom()))
        let columns = TextColumns([("Lookaside list", nameWidth, true)] + rest)
        let showsMisses = rest.contains { $0.title == "Misses" }
        var lines = [fit(columns.header)]
        for list in lists {
            var cells = [
                String(list.routine.prefix(nameWidth)), list.tag, list.type, "\(list.entrySize)", "\(list.depth)",
                "\(list.allocates)",
            ]
            if showsMisses { cells.append("\(list.allocateMisses)") }
            cells.append(list.allocates == 0 ? "-" : oneDecimal(list.hitRate))
            lines.append(fit(columns.line(cells)))
        }
        return lines
    }

    /// The object tree as text: each object under its parent, indented, with what
    /// `!wdfhandle h 0x10` shows. Iterative (no recursion, however deep the tree).
    public static func renderTree(_ tree: MonitorSnapshot.ObjectTree) -> [String] {
        var children: [String: [MonitorSnapshot.Object]] = [:]
        var handles = Set<String>()
        for object in tree.objects { handles.insert(object.handle) }
        var roots: [MonitorSnapshot.Object] = []
        for object in tree.objects {
            if let parent = object.parent, handles.contains(parent) {
                children[parent, default: []].append(object)
            } else {
                roots.append(object)
            }
        }
        var lines: [String] = []
        var stack: [(object: MonitorSnapshot.Object, depth: Int)] = roots.reversed().map { ($0, 0) }
        while let (object, depth) = stack.popLast() {
            // Indented two spaces per level up to 16 levels; deeper objects say their level.
            var text = String(repeating: "  ", count: min(depth, 16)) + (depth > 16 ? "[level \(depth)] " : "")
                + "\(object.handle) \(object.type)"
            if object.state != "live" { text += " (\(object.state))" }
            text += " refs=\(object.references)"
            if let service = object.service { text += " service=\(service)" }
            if let tag = object.tag { text += " tag='\(tag)'" }
            if let size = object.size { text += " size=\(size)" }
            if !object.contexts.isEmpty {
                text += " contexts=" + object.contexts.map { "\($0.typeKey)@\($0.address)(\($0.size))" }.joined(separator: ",")
            }
            if object.cleanupCallbacks > 0 { text += " cleanup=\(object.cleanupCallbacks)" }
            if object.destroyCallbacks > 0 { text += " destroy=\(object.destroyCallbacks)" }
            if let creator = object.creator { text += " by \(creator)" }
            lines.append(text)
            for child in (children[object.handle] ?? []).reversed() { stack.append((child, depth + 1)) }
        }
        if tree.truncated { lines.append("(more objects than listed)") }
        return lines
    }

    // MARK: Layout

    private func poolColumns() -> PoolColumns {
        // Full width: 1 + 4+5+11+11+9+12+9 + 6×2 = 74. Narrower: drop Per Alloc, Frees, Type.
        var names = ["Tag", "Type", "Allocs", "Frees", "Diff", "Bytes", "Per Alloc"]
        for dropped in ["Per Alloc", "Frees", "Type"] where PoolColumns(names).totalWidth > width {
            names.removeAll { $0 == dropped }
        }
        return PoolColumns(names)
    }

    private func fit(_ line: String) -> String { line.count <= width ? line : String(line.prefix(max(0, width))) }

    private func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

/// The pool table's columns, by name.
struct PoolColumns {
    static let all: [String: (width: Int, left: Bool)] = [
        "Tag": (4, true), "Type": (5, true), "Allocs": (11, false), "Frees": (11, false), "Diff": (9, false),
        "Bytes": (12, false), "Per Alloc": (9, false),
    ]
    let names: [String]
    let columns: TextColumns

    init(_ names: [String]) {
        self.names = names
        columns = TextColumns(names.map { ($0, Self.all[$0]!.width, Self.all[$0]!.left) })
    }

    var totalWidth: Int { columns.totalWidth }
    var header: String { columns.header }
    func line(_ cells: [String]) -> String { columns.line(cells) }

    func cells(_ row: MonitorSnapshot.PoolRow) -> [String] {
        names.map { name in
            switch name {
            case "Tag": row.tag
            case "Type": row.type
            case "Allocs": "\(row.allocs)"
            case "Frees": "\(row.frees)"
            case "Diff": "\(row.diff)"
            case "Bytes": "\(row.bytes)"
            default: "\(row.perAlloc)"
            }
        }
    }
}

/// Fixed-width text columns, separated by two spaces, with a leading space.
struct TextColumns {
    let columns: [(title: String, width: Int, left: Bool)]

    init(_ columns: [(title: String, width: Int, left: Bool)]) { self.columns = columns }

    var totalWidth: Int { 1 + columns.reduce(0) { $0 + $1.width } + 2 * max(0, columns.count - 1) }
    var header: String { line(columns.map(\.title)) }

    /// One line; a cell wider than its column pushes the rest right.
    func line(_ cells: [String]) -> String {
        let padded = zip(columns, cells).map { column, cell in column.left ? cell.padding(column.width) : cell.leftPadding(column.width) }
        var text = " " + padded.joined(separator: "  ")
        while text.last == " " { text.removeLast() }
        return text
    }
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
    func leftPadding(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

/// Tag patterns: `*` matches any run of characters (none included), `?` exactly one; anything
/// else itself, case-sensitively (tags are). Trailing spaces of a short tag are ignored.
public enum TagPattern {
    /// Whether `tag` matches `pattern`. Iterative (the classic two-pointer backtracking).
    public static func matches(_ pattern: String, _ tag: String) -> Bool {
        let p = Array(pattern)
        var t = Array(tag)
        while t.last == " " { t.removeLast() }
        var pi = 0, ti = 0
        var starP = -1, starT = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == "*" {
                starP = pi; starT = ti; pi += 1
            } else if starP >= 0 {
                pi = starP + 1; starT += 1; ti = starT
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
