// The sample's screen, drawn with the library's poolmon table (WdfMonitor.PoolMonTable): pool usage
// per tag, framework objects per type (one column per moment), the driver's lookaside lists.
import NtKernel
import Wdf
import WdfMonitor

/// One column of the objects table: how many framework objects of each type existed at one
/// moment (`ObjectStatistics.liveCounts()`), e.g. "Live", or "Stopped" and "Unloaded".
struct ObjectCountColumn {
    var title: String
    var counts: [String: Int]

    /// The counts now, under `title`.
    static func now(_ title: String) -> ObjectCountColumn {
        var counts: [String: Int] = [:]
        for (kind, count) in ObjectStatistics.liveCounts() { counts["\(kind)"] = count }
        return ObjectCountColumn(title: title, counts: counts)
    }
}

/// A rendered screen of the sample: a title line, the pool table (this process, now), the
/// objects table and the lookaside table.
struct SampleScreen {
    var title: String
    var objectColumns: [ObjectCountColumn]
    var lookasideLists: [LookasideListSnapshot]

    func render(sortedBy order: PoolMonTable.SortKey) -> String {
        let table = PoolMonTable(sort: order, width: 80)
        var lines = [title, ""]
        lines += table.renderPool(MonitorSnapshot.capture())
        if !objectColumns.isEmpty {
            lines.append("")
            lines += table.renderObjects(objectColumns.map { ($0.title, $0.counts) })
        }
        if !lookasideLists.isEmpty {
            lines.append("")
            lines += table.renderLookaside(lookasideLists.map { list in
                let statistics = list.statistics
                return MonitorSnapshot.LookasideRow(
                    id: list.name, routine: list.name, tag: list.tag.name, type: list.isPaged ? "Paged" : "Nonp",
                    entrySize: list.entrySize, depth: statistics.depth, maximumDepth: statistics.maximumDepth,
                    allocates: statistics.totalAllocates, allocateMisses: statistics.allocateMisses,
                    frees: statistics.totalFrees, freeMisses: statistics.freeMisses,
                    hitRate: statistics.totalAllocates == 0 ? 0 : statistics.hitRate * 100)
            })
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
