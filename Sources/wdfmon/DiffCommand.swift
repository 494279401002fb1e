// `wdfmon diff A.json B.json`: per-tag differences between two runs.
import ArgumentParser
import Foundation
import WdfMonitor

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compares the per-tag tables of two runs (verdict files from run --json, or snapshot files).",
        discussion: """
            For each tag and pool type: allocations in A and B, the change in allocations and in \
            bytes in use at exit, and leaked blocks (leak reports, or Diff at exit for a snapshot \
            file). A tag grew when B made more allocations, holds more bytes at exit, or leaked \
            more blocks than A (a tag only in B grew if it did any of that). Exit status: 0 when \
            nothing grew, 1 when something did, 2 when a file cannot be read. Of a verdict file \
            with several runs, the first run is compared.
            """)

    @Argument(help: "The earlier run.") var a: String
    @Argument(help: "The later run.") var b: String

    @Flag(help: "List every tag, not only those that changed.")
    var all = false

    struct Entry: Equatable {
        var allocs: UInt64 = 0
        var bytes: Int64 = 0
        var leaks = 0
    }

    func run() throws {
        let before = try Self.load(a)
        let after = try Self.load(b)
        let keys = Set(before.keys).union(after.keys).sorted()
        let columns: [(String, Int)] = [
            ("Tag", 4), ("Type", 5), ("Allocs A", 10), ("Allocs B", 10), ("+/-", 9), ("Bytes +/-", 10), ("Leaks A", 7), ("Leaks B", 7),
        ]
        func line(_ cells: [String]) -> String {
            var text = " " + zip(columns, cells).enumerated().map { index, pair in
                let ((_, width), cell) = pair
                let fill = String(repeating: " ", count: max(0, width - cell.count))
                return index < 2 ? cell + fill : fill + cell
            }.joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text
        }
        var lines = [line(columns.map(\.0))]
        var grown: [String] = []
        for key in keys {
            let old = before[key] ?? Entry()
            let new = after[key] ?? Entry()
            let deltaAllocs = Int64(bitPattern: new.allocs &- old.allocs)
            let deltaBytes = new.bytes - old.bytes
            let grew = deltaAllocs > 0 || deltaBytes > 0 || new.leaks > old.leaks
            if grew { grown.append(key.replacingOccurrences(of: "/", with: " ")) }
            guard all || old != new else { continue }
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            lines.append(line([
                parts[0], parts.count > 1 ? parts[1] : "", "\(old.allocs)", "\(new.allocs)", Self.signed(deltaAllocs),
                Self.signed(deltaBytes), "\(old.leaks)", "\(new.leaks)",
            ]))
        }
        if lines.count == 1 { lines.append(" (no tag changed)") }
        lines.append("")
        lines.append(grown.isEmpty ? "wdfmon diff: nothing grew" : "wdfmon diff: \(grown.count) tag\(grown.count == 1 ? "" : "s") grew: \(grown.joined(separator: ", "))")
        print(lines.joined(separator: "\n"))
        if !grown.isEmpty { throw ExitCode(1) }
    }

    static func signed(_ value: Int64) -> String { value > 0 ? "+\(value)" : "\(value)" }

    /// Per "tag/type": allocations, bytes at exit, leaked blocks.
    static func load(_ path: String) throws -> [String: Entry] {
        guard let data = FileManager.default.contents(atPath: path) else {
            FileHandle.standardError.write(Data("wdfmon diff: cannot read \(path)\n".utf8))
            throw ExitCode(2)
        }
        struct Header: Decodable { var schema: String; var version: Int }
        guard let header = try? JSONDecoder().decode(Header.self, from: data), header.version == 1 else {
            FileHandle.standardError.write(Data("wdfmon diff: \(path) is not a wdfmon verdict or snapshot file (version 1)\n".utf8))
            throw ExitCode(2)
        }
        var entries: [String: Entry] = [:]
        do {
            switch header.schema {
            case "wdfmon.verdict":
                let file = try JSONDecoder().decode(VerdictFile.self, from: data)
                guard let run = file.runs.first else { return [:] }
                for row in run.pool { entries[row.key] = Entry(allocs: row.allocs, bytes: row.bytes, leaks: 0) }
                for leak in run.leaks {
                    let type = leak.type == "Paged" || leak.type.hasPrefix("Paged") ? "Paged" : "Nonp"
                    entries[leak.tag + "/" + type, default: Entry()].leaks += leak.count
                }
            case MonitorSnapshot.schemaName:
                let snapshot = try JSONDecoder().decode(MonitorSnapshot.self, from: data)
                for row in snapshot.pool {
                    entries[row.key] = Entry(allocs: row.allocs, bytes: row.bytes, leaks: max(0, Int(row.diff)))
                }
            default:
                FileHandle.standardError.write(Data("wdfmon diff: \(path) has an unknown schema '\(header.schema)'\n".utf8))
                throw ExitCode(2)
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("wdfmon diff: \(path): \(error)\n".utf8))
            throw ExitCode(2)
        }
        return entries
    }
}
