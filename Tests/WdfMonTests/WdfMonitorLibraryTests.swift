import Foundation
import NtKernel
import Testing
import Wdf
import WdfMonitor

/// The library side: the snapshot of this process, the poolmon table, tag patterns.
@Suite("WdfMonitor library")
struct WdfMonitorLibraryTests {
    @Test func publishingIsOffWithoutTheVariable() {
        #expect(!SnapshotPublisher.isRequested)
    }

    @Test func tagPatterns() {
        #expect(TagPattern.matches("Sm*", "SmRq"))
        #expect(TagPattern.matches("*", "Abcd"))
        #expect(TagPattern.matches("S?R?", "SmRq"))
        #expect(!TagPattern.matches("S?R", "SmRq"))
        #expect(TagPattern.matches("*q", "SmRq"))
        #expect(TagPattern.matches("Ab", "Ab  "), "a short tag's padding is ignored")
        #expect(!TagPattern.matches("sm*", "SmRq"), "tags are case-sensitive")
        #expect(TagPattern.matches("*R*", "SmRq"))
        #expect(!TagPattern.matches("*x*", "SmRq"))
    }

    @Test func aSwiftProgramSnapshotsItself() throws {
        let tag = PoolTag("WmT1")
        let block = try Pool.allocate(.paged, byteCount: 300, tag: tag)
        let snapshot = MonitorSnapshot.capture(includeTree: true)
        Pool.free(block, tag: tag)
        let row = try #require(snapshot.pool.first { $0.tag == "WmT1" })
        #expect(row.type == "Paged" && row.allocs >= 1 && row.diff >= 1 && row.bytes >= 300)
        #expect(snapshot.schema == "wdfmon.snapshot" && snapshot.version == 1)
        #expect(snapshot.objects.keys.sorted() == ["WDFDEVICE", "WDFDRIVER", "WDFLOOKASIDE", "WDFMEMORY", "WDFOBJECT", "WDFREQUEST"])
        // It encodes and decodes unchanged.
        let data = try JSONEncoder().encode(snapshot)
        #expect(try JSONDecoder().decode(MonitorSnapshot.self, from: data) == snapshot)
    }

    @Test func tableFitsItsWidthAndFilters() {
        let rows = [
            MonitorSnapshot.PoolRow(tag: "Big1", type: "Nonp", allocs: 123_456_789_012, frees: 123_456_789_000, bytes: 9_876_543_210),
            MonitorSnapshot.PoolRow(tag: "Sma1", type: "Paged", allocs: 5, frees: 5, bytes: 0),
            MonitorSnapshot.PoolRow(tag: "Sma2", type: "Nonp", allocs: 7, frees: 3, bytes: 256),
        ]
        let snapshot = MonitorSnapshot(
            pid: 1, program: "x", sequence: 1, time: 0, reason: "self", pool: rows, lookaside: [], objects: [:], tree: nil)
        for width in [80, 60, 40] {
            let lines = PoolMonTable(width: width).render(snapshot)
            #expect(lines.allSatisfy { $0.count <= width }, "width \(width)")
        }
        #expect(PoolMonTable(width: 80).renderPool(snapshot)[0].contains("Per Alloc"))
        #expect(!PoolMonTable(width: 60).renderPool(snapshot)[0].contains("Per Alloc"), "a narrow table drops columns")
        let filtered = PoolMonTable(tagFilter: "Sma?").rows(of: snapshot).map(\.tag)
        #expect(filtered == ["Sma2", "Sma1"])  // by bytes, descending
        #expect(PoolMonTable(sort: .tag).rows(of: snapshot).map(\.tag) == ["Big1", "Sma1", "Sma2"])
        #expect(PoolMonTable(sort: .diff).rows(of: snapshot).map(\.tag) == ["Big1", "Sma2", "Sma1"])
        #expect(PoolMonTable(poolKind: .paged).rows(of: snapshot).map(\.tag) == ["Sma1"])
        #expect(rows[2].perAlloc == 64)
        // A changed row is highlighted.
        var before = snapshot
        before.pool[2] = MonitorSnapshot.PoolRow(tag: "Sma2", type: "Nonp", allocs: 6, frees: 3, bytes: 192)
        let highlighted = PoolMonTable(sort: .tag, highlightChangesSince: before).renderPool(snapshot)
        #expect(highlighted.filter { $0.hasPrefix("\u{1B}[7m") }.count == 1)
    }

    @Test func treeOfADeepChainIsPrintedWithoutRecursion() {
        var objects: [MonitorSnapshot.Object] = []
        for index in 0..<20_000 {
            objects.append(MonitorSnapshot.Object(
                handle: "h\(index)", type: "WDFOBJECT", state: "live", parent: index == 0 ? nil : "h\(index - 1)",
                references: 1, tag: nil, size: nil, service: nil, contexts: [], cleanupCallbacks: 0, destroyCallbacks: 0,
                creator: nil))
        }
        let lines = PoolMonTable.renderTree(MonitorSnapshot.ObjectTree(truncated: false, objects: objects))
        #expect(lines.count == 20_000)
        #expect(lines[2].hasPrefix("    h2 WDFOBJECT"))
    }

    @Test func objectInventoryListsParentsContextsAndCallbacks() throws {
        let parent = try WdfObject.create()
        defer { parent.delete() }
        let child = try WdfMemoryHandle.create(attributes: WdfAttributes(parent: parent, cleanup: { _ in }), poolType: .nonPaged, tag: "WmT2", size: 48)
        _ = child
        let (records, truncated) = ObjectStatistics.inventory()
        #expect(!truncated)
        let memory = try #require(records.first { $0.tag == PoolTag("WmT2") })
        #expect(memory.kind == .memory && memory.parent == parent && memory.size == 48 && memory.cleanupCallbacks == 1)
        #expect(records.contains { $0.handle == parent })
    }
}

