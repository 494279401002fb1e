// The snapshot a process publishes when WDFMON_PUBLISH=1: its schema (version 1) is documented in
// README.md ("wdfmon: snapshot files"); readers check `schema` and `version`.
import NtKernel
import Wdf

/// What a process that uses the library looks like at one moment: pool usage per tag (poolmon's
/// columns), its lookaside lists, its framework objects per type, and, when asked for, its object
/// tree. Encoded as JSON (`Codable`) in the snapshot files `wdfmon` reads.
public struct MonitorSnapshot: Codable, Sendable, Equatable {
    /// "wdfmon.snapshot".
    public var schema: String = MonitorSnapshot.schemaName
    /// The schema version: 1. A reader rejects a higher major version it does not know.
    public var version: Int = MonitorSnapshot.schemaVersion
    /// The publishing process.
    public var pid: Int32
    /// Its program name (the first argument it was started with, as the kernel has it).
    public var program: String
    /// Counts the snapshots this process published (1 for the first).
    public var sequence: UInt64
    /// Seconds since 1970 (UTC) when the snapshot was taken.
    public var time: Double
    /// Why it was written: "periodic", "exit" (the final one, at exit), "bugcheck" (the final
    /// one, when a bug check began), "request" (an object tree asked for), "self" (taken in the
    /// process for its own use).
    public var reason: String
    public var pool: [PoolRow]
    public var lookaside: [LookasideRow]
    /// Framework objects per type name ("WDFMEMORY", ...), every type present.
    public var objects: [String: Int]
    /// The object tree, in final snapshots and when asked for; nil otherwise.
    public var tree: ObjectTree?

    public static let schemaName = "wdfmon.snapshot"
    public static let schemaVersion = 1

    public init(
        pid: Int32, program: String, sequence: UInt64, time: Double, reason: String, pool: [PoolRow],
        lookaside: [LookasideRow], objects: [String: Int], tree: ObjectTree?
    ) {
        self.pid = pid
        self.program = program
        self.sequence = sequence
        self.time = time
        self.reason = reason
        self.pool = pool
        self.lookaside = lookaside
        self.objects = objects
        self.tree = tree
    }

    /// One tag in one kind of pool: poolmon's row.
    public struct PoolRow: Codable, Sendable, Hashable {
        /// The tag as poolmon shows it (four characters, unprintable bytes as spaces).
        public var tag: String
        /// "Nonp" or "Paged".
        public var type: String
        public var allocs: UInt64
        public var frees: UInt64
        /// Blocks outstanding (allocs - frees; briefly negative while threads run).
        public var diff: Int64
        /// Bytes in use: block sizes, header and rounding included.
        public var bytes: Int64
        /// Bytes per outstanding block (0 when none is outstanding).
        public var perAlloc: Int64

        public init(tag: String, type: String, allocs: UInt64, frees: UInt64, bytes: Int64) {
            self.tag = tag
            self.type = type
            self.allocs = allocs
            self.frees = frees
            self.bytes = bytes
            diff = Int64(bitPattern: allocs &- frees)
            perAlloc = diff == 0 ? 0 : bytes / diff
        }

        public var isPaged: Bool { type == "Paged" }
        /// Identifies the row across snapshots: tag and type.
        public var key: String { tag + "/" + type }
    }

    /// One executive lookaside list and its counters (`GENERAL_LOOKASIDE`'s public fields).
    public struct LookasideRow: Codable, Sendable, Hashable {
        /// Stable while the list exists.
        public var id: String
        /// The routine that initialized it (`ExInitializeLookasideListEx`, ...).
        public var routine: String
        public var tag: String
        /// "Nonp" or "Paged".
        public var type: String
        public var entrySize: Int
        public var depth: Int
        public var maximumDepth: Int
        public var allocates: UInt64
        public var allocateMisses: UInt64
        public var frees: UInt64
        public var freeMisses: UInt64
        /// Percent of allocations served from the list (0 when none was made).
        public var hitRate: Double

        public init(
            id: String, routine: String, tag: String, type: String, entrySize: Int, depth: Int, maximumDepth: Int,
            allocates: UInt64, allocateMisses: UInt64, frees: UInt64, freeMisses: UInt64, hitRate: Double
        ) {
            self.id = id
            self.routine = routine
            self.tag = tag
            self.type = type
            self.entrySize = entrySize
            self.depth = depth
            self.maximumDepth = maximumDepth
            self.allocates = allocates
            self.allocateMisses = allocateMisses
            self.frees = frees
            self.freeMisses = freeMisses
            self.hitRate = hitRate
        }
    }

    /// The framework object tree (`!wdfhandle h 0x10` for every object).
    public struct ObjectTree: Codable, Sendable, Equatable {
        /// True when the process had more objects than were listed.
        public var truncated: Bool
        /// Objects, lowest slot first; parents are named by handle.
        public var objects: [Object]

        public init(truncated: Bool, objects: [Object]) {
            self.truncated = truncated
            self.objects = objects
        }
    }

    /// One framework object.
    public struct Object: Codable, Sendable, Hashable {
        /// "0x..." as C code sees the handle.
        public var handle: String
        /// "WDFMEMORY", ...
        public var type: String
        /// "live", "deleting" or "deleted".
        public var state: String
        /// The parent's handle (explicit parent, else its driver); nil for a driver.
        public var parent: String?
        public var references: Int
        public var tag: String?
        public var size: Int?
        public var service: String?
        public var contexts: [Context]
        public var cleanupCallbacks: Int
        public var destroyCallbacks: Int
        public var creator: String?

        public init(
            handle: String, type: String, state: String, parent: String?, references: Int, tag: String?, size: Int?,
            service: String?, contexts: [Context], cleanupCallbacks: Int, destroyCallbacks: Int, creator: String?
        ) {
            self.handle = handle
            self.type = type
            self.state = state
            self.parent = parent
            self.references = references
            self.tag = tag
            self.size = size
            self.service = service
            self.contexts = contexts
            self.cleanupCallbacks = cleanupCallbacks
            self.destroyCallbacks = destroyCallbacks
            self.creator = creator
        }
    }

    /// One object context.
    public struct Context: Codable, Sendable, Hashable {
        /// The context type's key, "0x..." (a `WDF_OBJECT_CONTEXT_TYPE_INFO` address from C).
        public var typeKey: String
        public var address: String
        public var size: Int

        public init(typeKey: String, address: String, size: Int) {
            self.typeKey = typeKey
            self.address = address
            self.size = size
        }
    }
}

extension MonitorSnapshot {
    /// Totals over the pool rows: (allocs, frees, bytes) for paged and non-paged pool.
    public var totals: (paged: (allocs: UInt64, frees: UInt64, bytes: Int64), nonPaged: (allocs: UInt64, frees: UInt64, bytes: Int64)) {
        var paged: (allocs: UInt64, frees: UInt64, bytes: Int64) = (0, 0, 0)
        var nonPaged: (allocs: UInt64, frees: UInt64, bytes: Int64) = (0, 0, 0)
        for row in pool {
            if row.isPaged {
                paged.allocs &+= row.allocs; paged.frees &+= row.frees; paged.bytes &+= row.bytes
            } else {
                nonPaged.allocs &+= row.allocs; nonPaged.frees &+= row.frees; nonPaged.bytes &+= row.bytes
            }
        }
        return (paged, nonPaged)
    }
}

/// Hexadecimal text "0x..." (upper-case digits).
func hexText(_ value: UInt) -> String { "0x" + String(value, radix: 16, uppercase: true) }
