package import NtKernel

/// One framework object as a monitoring tool shows it: what `!wdfhandle <handle> 0x10` shows in
/// the debugger (type, state, references, parent, contexts, callbacks), plus the pool tag and
/// size of a memory object's buffer.
package struct ObjectRecord: Hashable, Sendable {
    /// Where an object is in its life.
    package enum State: String, Hashable, Sendable {
        case live
        /// Its deletion has begun (children are being disposed).
        case deleting
        /// Deleted; a reference still keeps its record.
        case deleted
    }

    /// One context attached to the object.
    package struct Context: Hashable, Sendable {
        /// The context type's key (the address of a C `WDF_OBJECT_CONTEXT_TYPE_INFO`, or the
        /// Swift type's metadata).
        package var typeKey: UInt
        /// The context memory's address.
        package var address: UInt
        /// Its size in bytes (as allocated, rounding included), 0 when unknown.
        package var size: Int
    }

    package var handle: WdfObject
    package var kind: ObjectKind
    package var state: State
    /// The parent: an explicit parent, else the driver the object belongs to (nil for a driver).
    package var parent: WdfObject?
    /// References held now (the creation reference included).
    package var references: Int
    /// Memory objects: the pool tag of the buffer (nil when it is not a pool block); drivers:
    /// their default tag.
    package var tag: PoolTag?
    /// Memory objects: the buffer's size in bytes.
    package var size: Int?
    /// Drivers: the service name.
    package var serviceName: String?
    package var contexts: [Context]
    package var cleanupCallbacks: Int
    package var destroyCallbacks: Int
    /// The routine that created the object, when it was recorded (objects with extras).
    package var creator: String?
}

extension ObjectStatistics {
    /// Every framework object that exists now (at most `limit` of them, lowest slot first), with
    /// its parent, for printing the object tree (wdfmon's `tree`, the debugger's `!wdftagtracker`
    /// and `!wdfhandle`). `truncated` is true when more objects existed than `limit`.
    ///
    /// A monitoring read, like ``liveCounts()``: it holds the object table's allocation lock
    /// while it scans, so creations that need a fresh slot wait for it. Objects created or deleted
    /// on other threads during the scan may or may not be listed; contexts and callbacks are read
    /// only for live objects. Exact when the driver's threads are quiet.
    package static func inventory(limit: Int = 10_000) -> (records: [ObjectRecord], truncated: Bool) {
        var records: [ObjectRecord] = []
        var truncated = false
        ObjectTable.scanSlotsInUse { index, slot in
            guard records.count < limit else {
                truncated = true
                return false
            }
            if let record = record(index: index, slot: slot) { records.append(record) }
            return true
        }
        return (records, truncated)
    }

    private static func record(index: UInt32, slot: UnsafeMutablePointer<ObjectSlot>) -> ObjectRecord? {
        let stateValue = slot.pointee.state.load(ordering: .acquiring)
        guard stateValue != SlotState.free, let kind = ObjectKind(rawValue: slot.pointee.kind) else { return nil }
        let state: ObjectRecord.State =
            switch stateValue {
            case SlotState.live: .live
            case SlotState.disposing: .deleting
            default: .deleted
            }
        let parentIndex = slot.pointee.parent.load(ordering: .relaxed)
        let driverIndex = slot.pointee.driver
        let parent: WdfObject? =
            if parentIndex != 0 { ObjectTable.handle(of: parentIndex) }
            else if kind != .driver, driverIndex != 0 { ObjectTable.handle(of: driverIndex) }
            else { nil }
        var record = ObjectRecord(
            handle: ObjectTable.handle(of: index), kind: kind, state: state, parent: parent,
            references: Int(slot.pointee.references.load(ordering: .relaxed)), tag: nil, size: nil,
            serviceName: nil, contexts: [], cleanupCallbacks: 0, destroyCallbacks: 0, creator: nil)
        if kind == .memory, let buffer = slot.pointee.buffer {
            if let info = Pool.blockInfo(buffer) {
                record.tag = info.tag.unprotected
                record.size = slot.pointee.source == MemorySource.lookaside.rawValue ? info.requestedSize : slot.cold.pointee.size
            } else if slot.pointee.source != MemorySource.lookaside.rawValue {
                record.size = slot.cold.pointee.size
            }
        }
        // Extras are read for live objects only: a deleted object's extras may go at any moment.
        guard state == .live, let extras = ObjectExtras.of(slot) else { return record }
        record.creator = "\(extras.creator)"
        if let driver = extras.driver {
            record.tag = driver.tag
            record.serviceName = driver.serviceName
        }
        extras.state.withLock { state in
            record.cleanupCallbacks = state.cleanup.count
            record.destroyCallbacks = state.destroy.count
            record.contexts = state.contexts.map { context in
                let block = context.memory - ObjectContexts.headerSize
                let size = Pool.blockInfo(block).map { $0.requestedSize - ObjectContexts.headerSize } ?? 0
                return ObjectRecord.Context(typeKey: context.key, address: UInt(bitPattern: context.memory), size: size)
            }
        }
        return record
    }
}

extension ObjectTable {
    /// Calls `body` with every slot in use, lowest first, holding the allocation lock, until it
    /// returns false.
    static func scanSlotsInUse(_ body: (UInt32, UnsafeMutablePointer<ObjectSlot>) -> Bool) {
        guard base != nil else { return }
        withFreeListLocked { next in
            var index: UInt32 = 1
            while index < next {
                let slot = slot(index)
                if slot.pointee.state.load(ordering: .acquiring) != SlotState.free, !body(index, slot) { return }
                index += 1
            }
        }
    }
}
