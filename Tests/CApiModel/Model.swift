// A model of the C API's framework objects, run against the real thing: random valid operations
// (from a seeded generator, or decoded from a fuzzer's bytes) go to the exported routines and to
// the model, and every status, buffer, callback (once, in order), parent relation (seen through
// deletion cascades), reference and per-tag pool count is compared. Misuse (stale handles, a last
// dereference of a live object, deleting the driver) is never generated.
//
// Shared by the model test (CApiTests), the fault-injection sweep and the libFuzzer target.
public import CWdf
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where operations come from: a seeded generator or a fuzzer's input.
public protocol OperationSource {
    /// A value in 0..<bound (bound > 0); sources that run dry return 0.
    mutating func next(_ bound: Int) -> Int
    /// False once a finite source is used up.
    var hasMore: Bool { get }
}

/// SplitMix64: a seeded, replayable source.
public struct SeededSource: OperationSource {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public var hasMore: Bool { true }
    public mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(bound))
    }
}

/// A fuzzer's bytes, read one or two at a time.
public struct ByteSource: OperationSource {
    let bytes: [UInt8]
    var position = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var hasMore: Bool { position < bytes.count }
    public mutating func next(_ bound: Int) -> Int {
        var value = 0
        var range = 1
        while range < bound, position < bytes.count {
            value = value << 8 | Int(bytes[position])
            position += 1
            range <<= 8
        }
        return value % bound
    }
}

// MARK: Callback log (C function pointers cannot capture: the log is global)

/// Which callback ran: creation attributes' (A) or a later context's (B).
enum CallbackKind: UInt8 {
    case cleanupA = 1, destroyA, cleanupB, destroyB
}

struct CallbackEvent: Equatable, CustomStringConvertible {
    var kind: CallbackKind
    var handle: UInt
    var description: String { "\(kind)(0x\(String(handle, radix: 16)))" }
}

nonisolated(unsafe) var callbackLog: [CallbackEvent] = []

private func log(_ kind: CallbackKind, _ object: WDFOBJECT?) {
    callbackLog.append(CallbackEvent(kind: kind, handle: UInt(bitPattern: object)))
}
private let cleanupA: PFN_WDF_OBJECT_CONTEXT_CLEANUP = { log(.cleanupA, $0) }
private let destroyA: PFN_WDF_OBJECT_CONTEXT_DESTROY = { log(.destroyA, $0) }
private let cleanupB: PFN_WDF_OBJECT_CONTEXT_CLEANUP = { log(.cleanupB, $0) }
private let destroyB: PFN_WDF_OBJECT_CONTEXT_DESTROY = { log(.destroyB, $0) }

// MARK: The model

/// A mismatch between the library and the model.
public struct ModelMismatch: Error, CustomStringConvertible {
    public var operation: Int
    public var text: String
    public var description: String { "operation \(operation): \(text)" }
}

/// Counts of what a run did.
public struct ModelFigures: Sendable {
    public var operations = 0
    public var callbacks = 0
    public var statusChecks = 0
    public var accountingChecks = 0
    public init() {}
}

enum ModelKind { case generic, memory, preallocated, lookasideMemory, list, request }

final class ModelObject {
    let id: Int
    let handle: UInt
    let kind: ModelKind
    /// nil: the driver.
    var parent: Int?
    var children: [Int] = []
    var references = 1
    /// WdfObjectDelete ran (or a parent's teardown): cleanup done, no longer live.
    var disposed = false
    var destroyed = false
    var cleanups: [CallbackKind] = []
    var destroys: [CallbackKind] = []
    /// Context types (index into the model's types) and their memory.
    var contexts: [Int: UnsafeMutableRawPointer] = [:]
    /// Memory: the shadow of the buffer; preallocated memory's storage is the caller's.
    var shadow: [UInt8] = []
    var poolTag: ULONG = 0
    var paged = false
    /// A passive-only object was linked somewhere below this one, or it is one itself.
    var passiveSubtree = false
    /// Memory from a list: the list. Lists: their memory objects still out, their settings.
    var list: Int?
    var outstanding = 0
    var awaitingMemory = false
    var listBufferSize = 0
    var listMemoryParent: Int?
    var listMemoryCallbacks = false
    var listMemoryContext: Int?
    var preallocatedStorage: UnsafeMutableRawPointer?

    init(id: Int, handle: UInt, kind: ModelKind) {
        self.id = id
        self.handle = handle
        self.kind = kind
    }
}

/// Runs operations against the loaded driver and the model.
public final class CApiModel {
    var objects: [Int: ModelObject] = [:]
    /// Objects not destroyed, by id (for picking).
    var alive: [Int] = []
    /// Top-level objects (parent: the driver), oldest first.
    var topLevel: [Int] = []
    var nextId = 1
    var liveHandles: Set<UInt> = []
    /// Above this many objects, half the operations are deletes (keeps the picks cheap).
    public var population = 400
    var expected: [CallbackEvent] = []
    /// Per (tag, paged): allocations and frees expected of pool-backed memory and contexts.
    var allocations: [UInt64: Counts] = [:]

    struct Counts {
        var allocs = 0
        var frees = 0
    }
    let memoryTags: [ULONG]
    let listTags: [ULONG]
    let driverTag: ULONG
    let contextTypes: [UnsafeMutablePointer<WDF_OBJECT_CONTEXT_TYPE_INFO>]
    public private(set) var figures = ModelFigures()
    var operation = 0

    /// `tagPrefix`: three characters; tags are the prefix plus a digit. `driverTag`: the loaded
    /// driver's default tag (contexts are accounted under it).
    public init(tagPrefix: String, driverTag: ULONG) {
        func make(_ suffix: String) -> ULONG {
            var value: ULONG = 0
            for (index, byte) in (tagPrefix + suffix).utf8.prefix(4).enumerated() { value |= ULONG(byte) << (8 * ULONG(index)) }
            return value
        }
        memoryTags = ["0", "1", "2"].map(make)
        listTags = ["L", "M"].map(make)
        self.driverTag = driverTag
        contextTypes = [("MODEL_A", 24), ("MODEL_B", 40)].map { name, size in
            let info = UnsafeMutablePointer<WDF_OBJECT_CONTEXT_TYPE_INFO>.allocate(capacity: 1)
            info.initialize(to: WDF_OBJECT_CONTEXT_TYPE_INFO())
            info.pointee.Size = ULONG(MemoryLayout<WDF_OBJECT_CONTEXT_TYPE_INFO>.size)
            info.pointee.ContextName = strdup(name)
            info.pointee.ContextSize = size
            info.pointee.UniqueType = UnsafePointer(info)
            return info
        }
        callbackLog = []
        // Counts from before this model (a process that ran other models, or the fuzzer's
        // earlier inputs): the model compares what changed.
        baseline = (try? readPoolTags()) ?? [:]
    }

    var baseline: [ULONG: SYSTEM_POOLTAG] = [:]

    func readPoolTags() throws(ModelMismatch) -> [ULONG: SYSTEM_POOLTAG] {
        var needed: ULONG = 0
        _ = ZwQuerySystemInformation(SystemPoolTagInformation, nil, 0, &needed)
        let capacity = Int(needed) + 8192
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        let status = ZwQuerySystemInformation(SystemPoolTagInformation, buffer, ULONG(capacity), &needed)
        try expect(status, STATUS_SUCCESS, "ZwQuerySystemInformation")
        let count = Int(buffer.load(as: ULONG.self))
        let header = MemoryLayout<SYSTEM_POOLTAG_INFORMATION>.offset(of: \SYSTEM_POOLTAG_INFORMATION.TagInfo) ?? 8
        let entries = (buffer + header).assumingMemoryBound(to: SYSTEM_POOLTAG.self)
        var seen: [ULONG: SYSTEM_POOLTAG] = [:]
        for index in 0..<count { seen[entries[index].TagUlong] = entries[index] }
        return seen
    }

    deinit {
        for info in contextTypes {
            free(info.pointee.ContextName)
            info.deallocate()
        }
    }

    // MARK: Checks

    func fail(_ text: String) throws(ModelMismatch) -> Never { throw ModelMismatch(operation: operation, text: text) }

    func expect(_ status: NTSTATUS, _ wanted: NTSTATUS, _ what: String) throws(ModelMismatch) {
        figures.statusChecks += 1
        if status != wanted {
            try fail("\(what): status 0x\(String(UInt32(bitPattern: status), radix: 16)), expected 0x\(String(UInt32(bitPattern: wanted), radix: 16))")
        }
    }

    /// The callbacks that ran must be exactly the ones the model expects, in order.
    func checkCallbacks(_ what: String) throws(ModelMismatch) {
        figures.callbacks += callbackLog.count
        if callbackLog != expected {
            try fail("\(what): callbacks \(callbackLog), expected \(expected)")
        }
        callbackLog.removeAll(keepingCapacity: true)
        expected.removeAll(keepingCapacity: true)
    }

    func key(_ tag: ULONG, paged: Bool) -> UInt64 { UInt64(tag) << 1 | (paged ? 1 : 0) }

    func counted(_ tag: ULONG, paged: Bool, alloc: Bool) {
        var entry = allocations[key(tag, paged: paged)] ?? Counts()
        if alloc { entry.allocs += 1 } else { entry.frees += 1 }
        allocations[key(tag, paged: paged)] = entry
    }

    /// Per-tag accounting read with ZwQuerySystemInformation against the model's counts.
    public func checkAccounting(final: Bool = false) throws(ModelMismatch) {
        figures.accountingChecks += 1
        let seen = try readPoolTags()
        for tag in memoryTags + [driverTag] {
            let entry = seen[tag]
            let before = baseline[tag]
            for paged in [false, true] {
                let model = allocations[key(tag, paged: paged)] ?? Counts()
                let allocs = Int(paged ? entry?.PagedAllocs ?? 0 : entry?.NonPagedAllocs ?? 0)
                    - Int(paged ? before?.PagedAllocs ?? 0 : before?.NonPagedAllocs ?? 0)
                let frees = Int(paged ? entry?.PagedFrees ?? 0 : entry?.NonPagedFrees ?? 0)
                    - Int(paged ? before?.PagedFrees ?? 0 : before?.NonPagedFrees ?? 0)
                let used = (paged ? entry?.PagedUsed ?? 0 : entry?.NonPagedUsed ?? 0)
                    - (paged ? before?.PagedUsed ?? 0 : before?.NonPagedUsed ?? 0)
                if allocs != model.allocs || frees != model.frees || (allocs == frees) != (used == 0) {
                    try fail("tag \(tagText(tag)) \(paged ? "paged" : "non-paged"): \(allocs) allocs, \(frees) frees, \(used) bytes; model \(model.allocs), \(model.frees)")
                }
            }
        }
        if final {
            // Everything is gone: every tag of the run, lookaside lists' included, is back to 0.
            for tag in memoryTags + listTags + [driverTag] {
                guard let entry = seen[tag] else { continue }
                if entry.PagedAllocs != entry.PagedFrees || entry.NonPagedAllocs != entry.NonPagedFrees || entry.PagedUsed != 0
                    || entry.NonPagedUsed != 0
                {
                    try fail("after unload, tag \(tagText(tag)) still has blocks: \(entry.PagedAllocs - entry.PagedFrees) paged, \(entry.NonPagedAllocs - entry.NonPagedFrees) non-paged")
                }
            }
        }
    }

    func tagText(_ tag: ULONG) -> String {
        String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: tag >> (8 * $0)) }, as: UTF8.self)
    }

    // MARK: Picking

    func pick<S: OperationSource>(_ source: inout S, where condition: (ModelObject) -> Bool) -> ModelObject? {
        guard !alive.isEmpty else { return nil }
        let start = source.next(alive.count)
        for offset in 0..<alive.count {
            let object = objects[alive[(start + offset) % alive.count]]!
            if condition(object) { return object }
        }
        return nil
    }

    /// A parent for a new object: the driver (nil) or a live object of a kind that may be one.
    func pickParent<S: OperationSource>(_ source: inout S) -> ModelObject? {
        guard source.next(3) != 0 else { return nil }
        // Now and then one that is deleted but kept by a reference: STATUS_DELETE_PENDING.
        let deleted = source.next(8) == 0
        return pick(&source) { $0.disposed == deleted && self.depth($0) < 6 }
    }

    func depth(_ object: ModelObject) -> Int {
        var depth = 0
        var current = object.parent
        while let id = current { depth += 1; current = objects[id]?.parent }
        return depth
    }

    // MARK: Applying

    /// Runs `count` operations (or until a finite source runs dry).
    public func run<S: OperationSource>(_ source: inout S, operations count: Int) throws(ModelMismatch) {
        while operation < count, source.hasMore {
            operation += 1
            figures.operations += 1
            try step(&source)
            try checkCallbacks("after \(lastOperation)")
            if operation % 97 == 0 { try checkAccounting() }
        }
        try checkAccounting()
    }

    var lastOperation = ""

    func step<S: OperationSource>(_ source: inout S) throws(ModelMismatch) {
        if alive.count > population, source.next(2) == 0 { return try delete(&source) }
        switch source.next(20) {
        case 0, 1: try createGeneric(&source)
        case 2, 3, 4: try createMemory(&source)
        case 5: try createPreallocated(&source)
        case 6: try createList(&source)
        case 7, 8, 9: try createFromList(&source)
        case 10: try createRequest(&source)
        case 11, 12, 13: try delete(&source)
        case 14: try referenceOrDereference(&source)
        case 15: try allocateContext(&source)
        case 16, 17: try copy(&source)
        case 18: try inspect(&source)
        default: try deleteAtDispatch(&source)
        }
    }

    func attributes<S: OperationSource>(
        _ source: inout S, parent: ModelObject?, callbacks: inout [CallbackKind], destroys: inout [CallbackKind],
        context: inout Int?
    ) -> WDF_OBJECT_ATTRIBUTES {
        var value = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT(&value)
        value.ParentObject = parent.map { UnsafeMutableRawPointer(bitPattern: $0.handle) } ?? nil
        if source.next(3) == 0 {
            value.EvtCleanupCallback = cleanupA
            callbacks.append(.cleanupA)
        }
        if source.next(3) == 0 {
            value.EvtDestroyCallback = destroyA
            destroys.append(.destroyA)
        }
        if source.next(4) == 0 {
            let type = source.next(contextTypes.count)
            value.ContextTypeInfo = UnsafePointer(contextTypes[type])
            context = type
        }
        return value
    }

    /// Registers a created object in the model (and its context from the attributes).
    func register(
        _ handle: UInt, kind: ModelKind, parent: ModelObject?, cleanups: [CallbackKind], destroys: [CallbackKind],
        context: Int?, paged: Bool
    ) throws(ModelMismatch) -> ModelObject {
        if !liveHandles.insert(handle).inserted {
            try fail("handle 0x\(String(handle, radix: 16)) given to two live objects")
        }
        let object = ModelObject(id: nextId, handle: handle, kind: kind)
        nextId += 1
        object.parent = parent?.id
        object.cleanups = cleanups
        object.destroys = destroys
        object.paged = paged
        object.passiveSubtree = paged
        objects[object.id] = object
        alive.append(object.id)
        if let parent {
            parent.children.append(object.id)
            if paged {
                var current: ModelObject? = parent
                while let ancestor = current {
                    ancestor.passiveSubtree = true
                    current = ancestor.parent.flatMap { objects[$0] }
                }
            }
        } else {
            topLevel.append(object.id)
        }
        if let context {
            try adoptContext(object, type: context)
        }
        return object
    }

    /// Finds the object's context of `type` through the C API and records it (zero-filled).
    func adoptContext(_ object: ModelObject, type: Int) throws(ModelMismatch) {
        guard let memory = WdfObjectGetTypedContextWorker(UnsafeMutableRawPointer(bitPattern: object.handle), contextTypes[type]) else {
            try fail("no context of type \(type) on 0x\(String(object.handle, radix: 16))")
        }
        let size = contextTypes[type].pointee.ContextSize
        let bytes = memory.assumingMemoryBound(to: UInt8.self)
        if !(0..<size).allSatisfy({ bytes[$0] == 0 }) { try fail("context not zero-filled") }
        if UInt(bitPattern: WdfObjectContextGetObject(memory)) != object.handle { try fail("WdfObjectContextGetObject") }
        // A pattern the model checks later (the context's memory is the object's until destroyed).
        memset(memory, Int32(object.id & 0x7F) | 1, size)
        object.contexts[type] = memory
        counted(driverTag, paged: false, alloc: true)
    }

    func createGeneric<S: OperationSource>(_ source: inout S) throws(ModelMismatch) {
        let parent = pickParent(&source)
        var cleanups: [CallbackKind] = []
        var destroys: [CallbackKind] = []
        var context: Int?
        var value = attributes(&source, parent: parent, callbacks: &cleanups, destroys: &destroys, context: &context)
        var handle: WDFOBJECT? = UnsafeMutableRawPointer(bitPattern: 0x10)
        lastOperation = "WdfObjectCreate"
        let status = WdfObjectCreate(&value, &handle)
        if let parent, parent.disposed {
            try expect(status, STATUS_DELETE_PENDING, lastOperation)
            if handle != nil { try fail("out handle not NULL") }
            return
        }
        try expect(status, STATUS_SUCCESS, lastOperation)
        _ = try register(UInt(bitPattern: handle), kind: .generic, parent: parent, cleanups: cleanups, destroys: destroys, context: context, paged: false)
    }

    func createRequest<S: OperationSource>(_ source: inout S) throws(ModelMismatch) {
        let parent = pickParent(&source)
        var cleanups: [CallbackKind] = []
        var destroys: [CallbackKind] = []
        var context: Int?
        var value = attributes(&source, parent: parent, callbacks: &cleanups, destroys: &destroys, context: &context)
        var handle: WDFREQUEST?
        lastOperation = "WdfRequestCreate"
        let status = WdfRequestCreate(&value, nil, &handle)
        if let parent, parent.disposed {
            try expect(status, STATUS_DELETE_PENDING, lastOperation)
            return
        }
        try expect(status, STATUS_SUCCESS, lastOperation)
        _ = try register(raw(handle), kind: .request, parent: parent, cleanups: cleanups, destroys: destroys, context: context, paged: false)
    }

    func raw(_ handle: OpaquePointer?) -> UInt { UInt(bitPattern: UnsafeMutableRawPointer(handle)) }

    func randomSize<S: OperationSource>(_ source: inout S) -> Int {
        switch source.next(8) {
        case 0: return 1 + source.next(16)
        case 1: return 4096 + source.next(3) * 4096 - source.next(2)
        default: return 1 + source.next(600)
        }
    }

    /// Fills a new buffer through WdfMemoryCopyFromBuffer and records it in the shadow.
    func fill<S: OperationSource>(_ object: ModelObject, size: Int, _ source: inout S) throws(ModelMismatch) {
        let seed = UInt8(truncatingIfNeeded: source.next(256))
        var pattern = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed }
        let status = WdfMemoryCopyFromBuffer(OpaquePointer(bitPattern: object.handle), 0, &pattern, size)
        try expect(status, STATUS_SUCCESS, "WdfMemoryCopyFromBuffer (fill)")
        object.shadow = pattern
    }

    func createMemory<S: OperationSource>(_ source: inout S) throws(ModelMismatch) {
        let parent = pickParent(&source)
        var cleanups: [CallbackKind] = []
        var destroys: [CallbackKind] = []
        var context: Int?
        let plain = source.next(2) == 0
        var value = plain ? WDF_OBJECT_ATTRIBUTES() : attributes(&source, parent: parent, callbacks: &cleanups, destroys: &destroys, context: &context)
        if plain {
            WDF_OBJECT_ATTRIBUTES_INIT(&value)
            value.ParentObject = parent.map { UnsafeMutableRawPointer(bitPattern: $0.handle) } ?? nil
        }
        let paged = source.next(4) == 0
        let tag = memoryTags[source.next(memoryTags.count)]
        let size = randomSize(&source)
        var handle: WDFMEMORY? = OpaquePointer(bitPattern: 0x10)
        var buffer: PVOID?
        lastOperation = "WdfMemoryCreate"
        let status: NTSTATUS
        if plain && parent == nil && source.next(2) == 0 {
            status = WdfMemoryCreate(nil, paged ? PagedPool : NonPagedPool, tag, size, &handle, &buffer)
        } else {
            status = WdfMemoryCreate(&value, paged ? PagedPool : NonPagedPool, tag, size, &handle, &buffer)
        }
        if let parent, parent.disposed {
            try expect(status, STATUS_DELETE_PENDING, lastOperation)
            if handle != nil { try fail("out handle not NULL") }
            counted(tag, paged: paged, alloc: true)  // the buffer was allocated, then freed
            counted(tag, paged: paged, alloc: false)
            return
        }
        try expect(status, STATUS_SUCCESS, lastOperation)
        guard let buffer else { try fail("no buffer") }
        let alignment = size >= 4096 ? 4096 : 16
        if UInt(bitPattern: buffer) % UInt(alignment) != 0 { try fail("buffer of \(size) bytes at \(buffer): not \(alignment)-aligned") }
        counted(tag, paged: paged, alloc: true)
        let object = try register(raw(handle), kind: .memory, parent: parent, cleanups: cleanups, destroys: destroys, context: context, paged: paged)
        object.poolTag = tag
        try fill(object, size: size, &source)
    }

    func createPreallocated<S: OperationSource>(_ source: inout S) throws(ModelMismatch) {
        let parent = pickParent(&source)
        var cleanups: [CallbackKind] = []
        var destroys: [CallbackKind] = []
        var context: Int?
        var value = attributes(&source, parent: parent, callbacks: &cleanups, destroys: &destroys, context: &context)
        let size = randomSize(&source)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        var handle: WDFMEMORY?
        lastOperation = "WdfMemoryCreatePreallocated"
        let status = WdfMemoryCreatePreallocated(&value, storage, size, &handle)
        if let parent, parent.disposed {
            storage.deallocate()
            try expect(status, STATUS_DELETE_PENDING, lastOperation)
            return
        }
        try expect(status, STATUS_SUCCESS, lastOperation)
        let object = try register(raw(handle), kind: .preallocated, parent: parent, cleanups: cleanups, destroys: destroys, context: context, paged: false)
        object.preallocatedStorage = storage
        try fill(object, size: size, &source)
        if UnsafeMutableRawPointer(WdfMemoryGetBuffer(handle, nil)) != storage { try fail("preallocated buffer is not the caller's") }
    }

    func createList<S: OperationSource>(_ source: inout S) throws(ModelMismatch) {
        let parent = pickParent(&source)
        let memoryParent = pickParent(&source)
        var cleanups: [CallbackKind] = []
        var destroys: [CallbackKind] = []
        var listAttributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT(&listAttributes)
        listAttributes.ParentObject = parent.map { UnsafeMutableRawPointer(bitPattern: $0.handle) } ?? nil
        if source.next(2) == 0 {
            listAttributes.EvtCleanupCallback = cleanupA
            cleanups.append(.cleanupA)
        }
        if source.next(2) == 0 {
            listAttributes.EvtDestroyCallback = destroyA
            destroys.append(.destroyA)
        }
        var memoryCleanups: [CallbackKind] = []
        var memoryDestroys: [CallbackKind] = []
        var memoryContext: Int?
        var memoryAttributes = attributes(
            &source, parent: memoryParent, callbacks: &memoryCleanups, destroys: &memoryDestroys, context: &memoryContext)
        // Both or neither: a list's memory attributes give every memory object the same pair.
        if !memoryCleanups.isEmpty || !memoryDestroys.isEmpty {
            memoryAttributes.EvtCleanupCallback = cleanupA
            memoryAttributes.EvtDestroyCallback = destroyA
        }
        let paged = source.next(4) == 0
        let size = randomSize(&source)
        let tag = listTags[source.next(listTags.count)]
        var handle: WDFLOOKASIDE?
        lastOperation = "WdfLookasideListCreate"
        let status = WdfLookasideListCreate(&listAttributes, size, paged ? PagedPool : NonPagedPool, &memoryAttributes, tag, &handle)
        if let parent, parent.disposed {
            try expect(status, STATUS_DELETE_PENDING, lastOperation)
            return
        }
        try expect(status, STATUS_SUCCESS, lastOperation)
        let object = try register(raw(handle), kind: .list, parent: parent, cleanups: cleanups, destroys: destroys, context: nil, paged: paged)
        object.listBufferSize = size
        object.listMemoryParent = memoryParent?.id
        object.listMemoryCallbacks = !memoryCleanups.isEmpty || !memoryDestroys.isEmpty
        object.listMemoryContext = memoryContext
        object.poolTag = tag
    }

    func createFromList<S: OperationSource>(_ source: inout S) throws(ModelMismatch) {
        // A list whose memory parent is still there (a destroyed one would be misuse).
        guard let list = pick(&source, where: { object in
            object.kind == .list && !object.disposed && (object.listMemoryParent.map { self.objects[$0] != nil } ?? true)
        }) else { return try createList(&source) }
        let memoryParent = list.listMemoryParent.map { objects[$0]! }
        var handle: WDFMEMORY? = OpaquePointer(bitPattern: 0x10)
        lastOperation = "WdfMemoryCreateFromLookaside"
        let status = WdfMemoryCreateFromLookaside(OpaquePointer(bitPattern: list.handle), &handle)
        if let memoryParent, memoryParent.disposed {
            try expect(status, STATUS_DELETE_PENDING, lastOperation)
            if handle != nil { try fail("out handle not NULL") }
            return
        }
        try expect(status, STATUS_SUCCESS, lastOperation)
        let callbacks: [CallbackKind] = list.listMemoryCallbacks ? [.cleanupA] : []
        let destroys: [CallbackKind] = list.listMemoryCallbacks ? [.destroyA] : []
        let object = try register(
            raw(handle), kind: .lookasideMemory, parent: memoryParent, cleanups: callbacks, destroys: destroys,
            context: list.listMemoryContext, paged: list.paged)
        object.list = list.id
        list.outstanding += 1
        let size = list.listBufferSize
        var reported = 0
        guard let buffer = WdfMemoryGetBuffer(handle, &reported), reported == size else { try fail("lookaside buffer size \(reported), expected \(size)") }
        if !list.paged, size < 4096 {
            let bytes = buffer.assumingMemoryBound(to: UInt8.self)
            if !(0..<size).allSatisfy({ bytes[$0] == 0 }) { try fail("a non-paged lookaside buffer under a page is not zeroed") }
        }
        try fill(object, size: size, &source)
    }

    // MARK: Deleting, references, destruction (the model's side of the deletion order)

    /// Disposes `object` and its subtree as the library does: children oldest first, each
    /// child's subtree before the next; then the object's cleanup; then the children's creation
    /// references are dropped. Returns nothing; appends the expected callbacks.
    func dispose(_ object: ModelObject) {
        guard !object.disposed else { return }
        object.disposed = true
        if let parentId = object.parent, let parent = objects[parentId] {
            parent.children.removeAll { $0 == object.id }
        } else {
            topLevel.removeAll { $0 == object.id }
        }
        let children = object.children
        object.children = []
        for id in children { if let child = objects[id] { child.parent = nil; disposeDetached(child) } }
        for callback in object.cleanups { expected.append(CallbackEvent(kind: callback, handle: object.handle)) }
        for id in children { if let child = objects[id] { release(child) } }
    }

    /// A child its parent's dispose detached: its subtree, then its cleanup (no unlinking).
    func disposeDetached(_ object: ModelObject) {
        guard !object.disposed else { return }
        object.disposed = true
        let children = object.children
        object.children = []
        for id in children { if let child = objects[id] { child.parent = nil; disposeDetached(child) } }
        for callback in object.cleanups { expected.append(CallbackEvent(kind: callback, handle: object.handle)) }
        for id in children { if let child = objects[id] { release(child) } }
    }

    func release(_ object: ModelObject) {
        object.references -= 1
        guard object.references == 0 else { return }
        if object.kind == .list, object.outstanding > 0 {
            object.awaitingMemory = true
            return
        }
        destroy(object)
    }

    func destroy(_ object: ModelObject) {
        for callback in object.destroys { expected.append(CallbackEvent(kind: callback, handle: object.handle)) }
        object.destroyed = true
        if let index = alive.lastIndex(of: object.id) { alive.remove(at: index) }
        liveHandles.remove(object.handle)
        for _ in object.contexts { counted(driverTag, paged: false, alloc: false) }
        object.contexts = [:]
        switch object.kind {
        case .memory: counted(object.poolTag, paged: object.paged, alloc: false)
        case .preallocated: object.preallocatedStorage?.deallocate()
        case .lookasideMemory:
            if let list = object.list.flatMap({ objects[$0] }) {
                list.outstanding -= 1
                if list.outstanding == 0, list.awaitingMemory {
                    list.awaitingMemory = false
                    destroy(list)
                }
            }
        default: break
        }
        // Nothing refers to a destroyed object by id any more; keep the record for handle checks
        // only while the library could still hand its slot out again.
        objects[object.id] = nil
    }

    func delete<S: OperationSource>(_ source: inout S) throws(ModelMismatch) {
        guard let object = pick(&source, where: { _ in true }) else { return try createGeneric(&source) }
        lastOperation = "WdfObjectDelete(\(object.kind))"
        if !object.disposed {
            dispose(object)
            release(object)
        }
        WdfObjectDelete(UnsafeMutableRawPointer(bitPattern: object.handle))
    }

    /// A delete at DISPATCH_LEVEL of an object without anything passive-only in its subtree
    /// (those are deferred to PASSIVE_LEVEL, at a time the model does not know).
    func deleteAtDispatch<S: OperationSource>(_ source: inout S) throws(ModelMismatch) {
        guard let object = pick(&source, where: { !$0.disposed && !$0.passiveSubtree && !self.touchesPassive($0) }) else { return }
        lastOperation = "WdfObjectDelete at DISPATCH_LEVEL (\(object.kind))"
        dispose(object)
        release(object)
        var old: KIRQL = 0
        KeRaiseIrql(KIRQL(DISPATCH_LEVEL), &old)
        WdfObjectDelete(UnsafeMutableRawPointer(bitPattern: object.handle))
        KeLowerIrql(old)
    }

    /// Whether destroying this subtree could destroy a passive-only list (the last memory of a
    /// paged list, or a paged list's destruction).
    func touchesPassive(_ object: ModelObject) -> Bool {
        var stack = [object]
        while let current = stack.popLast() {
            if current.paged { return true }
            if let list = current.list.flatMap({ objects[$0] }), list.paged { return true }
            stack.append(contentsOf: current.children.compactMap { objects[$0] })
        }
        return false
    }

    func referenceOrDereference<S: OperationSource>(_ source: inout S) throws(ModelMismatch) {
        guard let object = pick(&source, where: { _ in true }) else { return }
        let handle = UnsafeMutableRawPointer(bitPattern: object.handle)
        // A dereference only of a reference the model took, or of a disposed object's last one
        // (dropping a live object's last reference is misuse: bug check 0x10D/7).
        if object.references > 1 || (object.disposed && source.next(2) == 0) {
            lastOperation = "WdfObjectDereference(\(object.kind))"
            release(object)
            WdfObjectDereferenceActual(handle, nil, 0, nil)
        } else {
            lastOperation = "WdfObjectReference(\(object.kind))"
            object.references += 1
            WdfObjectReferenceActual(handle, nil, 0, nil)
        }
    }

    func allocateContext<S: OperationSource>(_ source: inout S) throws(ModelMismatch) {
        guard let object = pick(&source, where: { _ in true }) else { return }
        let type = source.next(contextTypes.count)
        var value = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT(&value)
        value.ContextTypeInfo = UnsafePointer(contextTypes[type])
        let cleanup = source.next(2) == 0
        let destroy = source.next(2) == 0
        if cleanup { value.EvtCleanupCallback = cleanupB }
        if destroy { value.EvtDestroyCallback = destroyB }
        var context: PVOID? = UnsafeMutableRawPointer(bitPattern: 0x10)
        lastOperation = "WdfObjectAllocateContext"
        let status = WdfObjectAllocateContext(UnsafeMutableRawPointer(bitPattern: object.handle), &value, &context)
        if object.disposed {
            try expect(status, STATUS_DELETE_PENDING, lastOperation)
            if context != nil { try fail("context not NULL") }
            return
        }
        if let existing = object.contexts[type] {
            try expect(status, STATUS_OBJECT_NAME_EXISTS, lastOperation)
            if context != existing { try fail("an existing context: another pointer") }
            return
        }
        try expect(status, STATUS_SUCCESS, lastOperation)
        if cleanup { object.cleanups.append(.cleanupB) }
        if destroy { object.destroys.append(.destroyB) }
        try adoptContext(object, type: type)
        if context != object.contexts[type] { try fail("WdfObjectAllocateContext returned another pointer than the typed lookup") }
    }

    func copy<S: OperationSource>(_ source: inout S) throws(ModelMismatch) {
        guard let object = pick(&source, where: { [.memory, .preallocated, .lookasideMemory].contains($0.kind) }) else { return }
        let size = object.shadow.count
        let handle = OpaquePointer(bitPattern: object.handle)
        var offset: Int
        var count: Int
        switch source.next(6) {
        case 0: offset = source.next(size + 8); count = Int(bitPattern: UInt.max - UInt(source.next(16)))
        case 1: offset = Int(bitPattern: UInt.max - UInt(source.next(size + 8))); count = 1 + source.next(8)
        case 2: offset = size + source.next(4); count = 1 + source.next(4)
        case 3: offset = source.next(size); count = 0
        default:
            offset = source.next(size)
            count = 1 + source.next(size - offset + (source.next(4) == 0 ? 4 : 0))
        }
        let fits = count != 0 && (offset == 0 || UInt(bitPattern: offset) < UInt(size)) && UInt(bitPattern: count) <= UInt(size) - UInt(bitPattern: offset)
        var scratch = [UInt8](repeating: 0xEE, count: 64 + (fits ? count : 16))
        if source.next(2) == 0 {
            lastOperation = "WdfMemoryCopyToBuffer(\(offset), \(count)) of \(size)"
            let status = WdfMemoryCopyToBuffer(handle, offset, &scratch, count)
            if count == 0 { return try expect(status, STATUS_INVALID_PARAMETER, lastOperation) }
            guard fits else { return try expect(status, STATUS_BUFFER_TOO_SMALL, lastOperation) }
            try expect(status, STATUS_SUCCESS, lastOperation)
            if Array(scratch[0..<count]) != Array(object.shadow[offset..<offset + count]) { try fail("\(lastOperation): contents differ") }
            if scratch[count...].contains(where: { $0 != 0xEE }) { try fail("\(lastOperation): wrote past the count") }
        } else {
            let seed = UInt8(truncatingIfNeeded: source.next(256))
            for index in scratch.indices { scratch[index] = UInt8(truncatingIfNeeded: index) ^ seed }
            lastOperation = "WdfMemoryCopyFromBuffer(\(offset), \(count)) of \(size)"
            let status = WdfMemoryCopyFromBuffer(handle, offset, &scratch, count)
            if count == 0 { return try expect(status, STATUS_INVALID_PARAMETER, lastOperation) }
            guard fits else { return try expect(status, STATUS_INVALID_BUFFER_SIZE, lastOperation) }
            try expect(status, STATUS_SUCCESS, lastOperation)
            object.shadow.replaceSubrange(offset..<offset + count, with: scratch[0..<count])
        }
    }

    /// Reads a memory object's whole buffer and its contexts directly and compares.
    func inspect<S: OperationSource>(_ source: inout S) throws(ModelMismatch) {
        guard let object = pick(&source, where: { _ in true }) else { return }
        lastOperation = "inspect(\(object.kind))"
        if !object.shadow.isEmpty {
            var size = 0
            guard let buffer = WdfMemoryGetBuffer(OpaquePointer(bitPattern: object.handle), &size), size == object.shadow.count else {
                try fail("WdfMemoryGetBuffer size \(size), expected \(object.shadow.count)")
            }
            if memcmp(buffer, object.shadow, size) != 0 { try fail("buffer contents differ from the model") }
        }
        for (type, memory) in object.contexts {
            let found = WdfObjectGetTypedContextWorker(UnsafeMutableRawPointer(bitPattern: object.handle), contextTypes[type])
            if found != memory { try fail("context of type \(type) moved") }
            let bytes = memory.assumingMemoryBound(to: UInt8.self)
            let pattern = UInt8(object.id & 0x7F) | 1
            if !(0..<contextTypes[type].pointee.ContextSize).allSatisfy({ bytes[$0] == pattern }) { try fail("context contents changed") }
        }
    }

    // MARK: The end

    /// Drops every reference the model took (a live object keeps its creation reference), then
    /// expects the driver's teardown: its top-level objects disposed oldest first, then their
    /// creation references dropped in the same order.
    public func prepareUnload() throws(ModelMismatch) {
        operation += 1
        lastOperation = "dropping the model's references"
        for id in alive {
            guard let object = objects[id] else { continue }
            while object.references > (object.disposed ? 0 : 1) {
                release(object)
                WdfObjectDereferenceActual(UnsafeMutableRawPointer(bitPattern: object.handle), nil, 0, nil)
                if object.destroyed { break }
            }
        }
        try checkCallbacks(lastOperation)
        lastOperation = "unload"
        let top = topLevel
        for id in top { if let object = objects[id] { disposeDetached(object) } }
        for id in top { if let object = objects[id] { release(object) } }
        topLevel = []
    }

    /// After WdfHostUnloadDriver: the teardown's callbacks and the accounting.
    public func checkUnloaded() throws(ModelMismatch) {
        try checkCallbacks("unload")
        for object in objects.values where !object.destroyed {
            try fail("\(object.kind) 0x\(String(object.handle, radix: 16)) not destroyed by the unload in the model")
        }
        try checkAccounting(final: true)
    }
}
