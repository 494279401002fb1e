internal import CWdfMonitor
import NtKernel
package import Wdf
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension MonitorSnapshot {
    /// The objects table's type order.
    package static let objectTypes: [ObjectKind] = [.driver, .device, .request, .memory, .lookaside, .generic]

    /// This process now: `Pool.tagUsage()`, `LookasideListEx.inventory()`,
    /// `ObjectStatistics.liveCounts()` and, with `includeTree`, `ObjectStatistics.inventory()`.
    /// A Swift program prints a poolmon table of itself with
    /// `PoolMonTable().render(MonitorSnapshot.capture()).joined(separator: "\n")`.
    public static func capture(
        includeTree: Bool = false, treeLimit: Int = 10_000, reason: String = "self", sequence: UInt64 = 0
    ) -> MonitorSnapshot {
        // Racy reads on purpose (see CWdfMonitor.h); ThreadSanitizer is told to ignore them.
        wdf_monitor_ignore_reads_begin()
        defer { wdf_monitor_ignore_reads_end() }
        var pool: [PoolRow] = []
        for usage in Pool.tagUsage() {
            if usage.nonPagedAllocations != 0 || usage.nonPagedFrees != 0 {
                pool.append(PoolRow(
                    tag: usage.tag.name, type: "Nonp", allocs: usage.nonPagedAllocations, frees: usage.nonPagedFrees,
                    bytes: Int64(usage.nonPagedBytes)))
            }
            if usage.pagedAllocations != 0 || usage.pagedFrees != 0 {
                pool.append(PoolRow(
                    tag: usage.tag.name, type: "Paged", allocs: usage.pagedAllocations, frees: usage.pagedFrees,
                    bytes: Int64(usage.pagedBytes)))
            }
        }
        let lookaside = LookasideListEx.inventory().map { list in
            let statistics = list.statistics
            return LookasideRow(
                id: hexText(list.identifier), routine: list.routine, tag: list.tag.name,
                type: list.poolType.isPaged ? "Paged" : "Nonp", entrySize: list.entrySize, depth: statistics.depth,
                maximumDepth: statistics.maximumDepth, allocates: statistics.totalAllocates,
                allocateMisses: statistics.allocateMisses, frees: statistics.totalFrees, freeMisses: statistics.freeMisses,
                hitRate: statistics.totalAllocates == 0 ? 0 : statistics.hitRate * 100)
        }
        let counts = ObjectStatistics.liveCounts()
        var objects: [String: Int] = [:]
        for kind in objectTypes { objects["\(kind)"] = counts[kind] ?? 0 }
        var tree: ObjectTree? = nil
        if includeTree {
            let (records, truncated) = ObjectStatistics.inventory(limit: treeLimit)
            tree = ObjectTree(truncated: truncated, objects: records.map(Object.init))
        }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return MonitorSnapshot(
            pid: getpid(), program: ProcessInfoLite.programName, sequence: sequence,
            time: Double(now.tv_sec) + Double(now.tv_nsec) / 1e9, reason: reason, pool: pool,
            lookaside: lookaside, objects: objects, tree: tree)
    }
}

extension MonitorSnapshot.Object {
    init(_ record: ObjectRecord) {
        self.init(
            handle: record.handle.description, type: "\(record.kind)", state: record.state.rawValue,
            parent: record.parent?.description, references: record.references, tag: record.tag?.name,
            size: record.size, service: record.serviceName,
            contexts: record.contexts.map {
                MonitorSnapshot.Context(typeKey: hexText($0.typeKey), address: hexText($0.address), size: $0.size)
            },
            cleanupCallbacks: record.cleanupCallbacks, destroyCallbacks: record.destroyCallbacks, creator: record.creator)
    }
}

/// The program name, from /proc/self/cmdline (works in a C program too, where the Swift
/// runtime was never given argc/argv).
enum ProcessInfoLite {
    static let programName: String = {
        guard let file = fopen("/proc/self/cmdline", "r") else { return "?" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        while true {
            let c = fgetc(file)
            if c == EOF || c == 0 { break }
            bytes.append(UInt8(truncatingIfNeeded: c))
        }
        let path = String(decoding: bytes, as: UTF8.self)
        return path.split(separator: "/").last.map(String.init) ?? path
    }()
}
