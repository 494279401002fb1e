// The poolmon-style view: pool usage per tag and kind, framework objects per type, then the
// driver's lookaside lists.
import NtKernel
import Wdf

/// How the pool rows are ordered: by tag name (ascending), or by allocations, bytes in use or
/// outstanding blocks (descending; ties by tag).
enum PoolMonSort: String, CaseIterable {
    case tag
    case allocs
    case bytes
    case diff
}

/// One tag in one kind of pool, as poolmon shows it.
struct PoolMonRow {
    var tag: PoolTag
    var isPaged: Bool
    var allocations: UInt64
    var frees: UInt64
    /// Bytes in use: block sizes, header and rounding included.
    var bytes: Int

    /// Blocks outstanding. While threads run, the counters are read one thread after another, so
    /// this can be briefly negative when one thread frees what another allocated.
    var difference: Int64 { Int64(bitPattern: allocations &- frees) }

    /// Bytes per outstanding block, 0 when none is outstanding.
    var bytesPerAllocation: Int64 { difference == 0 ? 0 : Int64(bytes) / difference }

    /// The rows of a `Pool.tagUsage()` snapshot: one per tag and kind with any activity.
    static func rows(from usage: [PoolTagUsage]) -> [PoolMonRow] {
        usage.flatMap { tag -> [PoolMonRow] in
            var rows: [PoolMonRow] = []
            if tag.nonPagedAllocations != 0 || tag.nonPagedFrees != 0 {
                rows.append(PoolMonRow(
                    tag: tag.tag, isPaged: false, allocations: tag.nonPagedAllocations, frees: tag.nonPagedFrees,
                    bytes: tag.nonPagedBytes))
            }
            if tag.pagedAllocations != 0 || tag.pagedFrees != 0 {
                rows.append(PoolMonRow(
                    tag: tag.tag, isPaged: true, allocations: tag.pagedAllocations, frees: tag.pagedFrees,
                    bytes: tag.pagedBytes))
            }
            return rows
        }
    }
}

/// One column of the objects table: how many framework objects of each type existed at one
/// moment (`ObjectStatistics.liveCounts()`), e.g. "Live", or "Stopped" and "Unloaded".
struct ObjectCountColumn {
    var title: String
    var counts: [ObjectKind: Int]

    /// The counts now, under `title`.
    static func now(_ title: String) -> ObjectCountColumn {
        ObjectCountColumn(title: title, counts: ObjectStatistics.liveCounts())
    }
}

/// A rendered screen: a title line, the pool table, the objects table and the lookaside table.
struct PoolMonTable {
    var title: String
    var rows: [PoolMonRow]
    /// The objects table's columns (no table when empty).
    var objectColumns: [ObjectCountColumn]
    var lookasideLists: [LookasideListSnapshot]

    /// The rows of the objects table, in this order.
    static let objectKinds: [ObjectKind] = [.driver, .device, .request, .memory, .lookaside, .generic]

    /// The screen as text, pool rows in `order`; ends with a newline.
    func render(sortedBy order: PoolMonSort) -> String {
        var lines = [title, ""]
        lines.append(Self.poolColumns.header)
        for row in sorted(rows, by: order) {
            lines.append(Self.poolColumns.line([
                row.tag.name, row.isPaged ? "Paged" : "Nonp", "\(row.allocations)", "\(row.frees)",
                "\(row.difference)", "\(row.bytes)", "\(row.bytesPerAllocation)",
            ]))
        }
        if !objectColumns.isEmpty {
            let columns = Columns([("Object type", 12, .left)] + objectColumns.map { ($0.title, 9, .right) })
            lines.append("")
            lines.append(columns.header)
            for kind in Self.objectKinds {
                lines.append(columns.line(["\(kind)"] + objectColumns.map { "\($0.counts[kind] ?? 0)" }))
            }
        }
        if !lookasideLists.isEmpty {
            lines.append("")
            lines.append(Self.lookasideColumns.header)
            for list in lookasideLists {
                let statistics = list.statistics
                lines.append(Self.lookasideColumns.line([
                    list.name, list.tag.name, list.isPaged ? "Paged" : "Nonp", "\(list.entrySize)",
                    "\(statistics.depth)", "\(statistics.maximumDepth)", "\(statistics.totalAllocates)",
                    "\(statistics.allocateMisses)",
                    statistics.totalAllocates == 0 ? "-" : Self.oneDecimal(statistics.hitRate),
                    "\(statistics.totalFrees)", "\(statistics.freeMisses)",
                ]))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func sorted(_ rows: [PoolMonRow], by order: PoolMonSort) -> [PoolMonRow] {
        rows.sorted { a, b in
            switch order {
            case .tag: break
            case .allocs where a.allocations != b.allocations: return a.allocations > b.allocations
            case .bytes where a.bytes != b.bytes: return a.bytes > b.bytes
            case .diff where a.difference != b.difference: return a.difference > b.difference
            default: break
            }
            if a.tag.name != b.tag.name { return a.tag.name < b.tag.name }
            return !a.isPaged && b.isPaged
        }
    }

    /// A non-negative number with one decimal, e.g. "81.3".
    static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    private static let poolColumns = Columns([
        ("Tag", 4, .left), ("Type", 5, .left), ("Allocs", 12, .right), ("Frees", 12, .right),
        ("Diff", 9, .right), ("Bytes", 12, .right), ("Per Alloc", 9, .right),
    ])

    private static let lookasideColumns = Columns([
        ("Lookaside list", 29, .left), ("Tag", 4, .left), ("Type", 5, .left), ("Size", 5, .right),
        ("Depth", 5, .right), ("Max", 4, .right), ("Allocs", 11, .right), ("Misses", 11, .right),
        ("Hit %", 5, .right), ("Frees", 11, .right), ("Free misses", 11, .right),
    ])
}

/// Fixed-width text columns, separated by two spaces.
struct Columns {
    enum Alignment { case left, right }

    let columns: [(title: String, width: Int, alignment: Alignment)]

    init(_ columns: [(title: String, width: Int, alignment: Alignment)]) { self.columns = columns }

    var header: String { line(columns.map(\.title)) }

    /// One line with `cells` in the columns (a cell wider than its column pushes the rest right).
    func line(_ cells: [String]) -> String {
        let padded = zip(columns, cells).map { column, cell in
            let fill = String(repeating: " ", count: max(0, column.width - cell.count))
            return column.alignment == .left ? cell + fill : fill + cell
        }
        var text = " " + padded.joined(separator: "  ")
        while text.last == " " { text.removeLast() }
        return text
    }
}
