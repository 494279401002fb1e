@_spi(Runtime) package import NtKernel
import Synchronization

/// What `WdfMemoryCreateFromLookaside` needs of a list, as plain values: kept in the list's slot
/// (its `buffer` field), so the hot path takes no reference count and no lock. Freed when the
/// list is destroyed, with the executive list it names.
struct LookasideFastPath {
    let list: LookasideHandle
    let bufferSize: Int
    let zeroes: Bool
    let memoryParent: UInt32
    let memoryDriver: UInt32
    /// The handle (slot and generation) of the parent the memory attributes named, 0 for none:
    /// checked at every creation, so a parent deleted since (its slot perhaps reused) is caught.
    let memoryParentHandle: UInt
    /// `ObjectFlags` every memory object gets (callbacks, passive-only).
    let memoryFlags: UInt8
    /// Memory objects need a context or pool tracking: take the general path.
    let needsGeneralPath: Bool
}

/// What a lookaside-list object keeps: the executive list its buffers come from and the
/// attributes every memory object from it gets.
final class LookasideObjectState: @unchecked Sendable {
    /// The executive list; set to nil when the object is destroyed (which deletes it).
    var list: LookasideListEx?
    let bufferSize: Int
    let poolType: PoolType
    let tag: PoolTag
    let memoryAttributes: WdfAttributes
    /// Where memory objects go: the memory attributes' parent, or the driver.
    let memoryOwner: (parent: UInt32, driver: UInt32)
    /// The memory attributes' parent handle, checked at every creation (0: none named).
    var memoryParentHandle: UInt { memoryAttributes.parent?.rawValue ?? 0 }
    /// Buffers under a page from non-paged pool are zeroed on every allocation.
    let zeroes: Bool
    /// The driver whose pool tracking records this list's memory objects (nil: tracking off).
    let tracking: DriverState?
    /// Allocations from the executive list that failed: counted there as allocations, they are
    /// no memory object's buffer (see `LookasideObjects.outstanding`).
    let failedAllocations = Atomic<Int>(0)

    init(list: LookasideListEx, bufferSize: Int, poolType: PoolType, tag: PoolTag, memoryAttributes: WdfAttributes,
         memoryOwner: (parent: UInt32, driver: UInt32), tracking: DriverState?) {
        self.tracking = tracking
        self.list = list
        self.bufferSize = bufferSize
        self.poolType = poolType
        self.tag = tag
        self.memoryAttributes = memoryAttributes
        self.memoryOwner = memoryOwner
        zeroes = !poolType.isPaged && bufferSize < 4096
    }
}

/// A lookaside-list object: memory objects whose buffers come from a lookaside list. Corresponds
/// to `WDFLOOKASIDE`.
package struct WdfLookasideHandle: Hashable, Sendable {
    package let object: WdfObject
    package init(_ object: WdfObject) { self.object = object }

    /// Creates a list of `bufferSize`-byte buffers; each memory object from it gets
    /// `memoryAttributes`. Corresponds to `WdfLookasideListCreate`.
    package static func create(
        attributes: WdfAttributes = WdfAttributes(), bufferSize: Int, poolType: PoolType = .nonPaged,
        memoryAttributes: WdfAttributes = WdfAttributes(), tag: PoolTag? = nil
    ) throws(NTStatus) -> WdfLookasideHandle {
        let routine: StaticString = "WdfLookasideListCreate"
        let owner = ObjectCreation.owner(parent: attributes.parent, routine: routine)
        let memoryOwner = ObjectCreation.owner(parent: memoryAttributes.parent, routine: routine)
        return try LookasideObjects.create(
            owner: owner, memoryOwner: memoryOwner, attributes: { () throws(NTStatus) in attributes },
            memoryAttributes: { () throws(NTStatus) in memoryAttributes }, bufferSize: bufferSize < 0 ? 0 : UInt(bufferSize),
            poolType: poolType, tag: tag?.rawValue ?? 0, clearOutput: {})
    }

    /// A memory object whose buffer comes from this list: a slot and a cached entry, no new heap
    /// allocation once the list is warm. Corresponds to `WdfMemoryCreateFromLookaside`.
    package func createMemory() throws(NTStatus) -> WdfMemoryHandle {
        try LookasideObjects.createMemory(from: object)
    }

    /// The executive list's counters.
    package var statistics: LookasideStatistics? {
        let slot = ObjectTable.resolve(object, kinds: .lookaside, routine: "WdfLookasideHandle.statistics")
        return ObjectExtras.of(slot)?.lookaside?.list?.statistics
    }

    package func delete() { object.delete() }
}

/// The work behind the lookaside-object routines; the C door calls these.
package enum LookasideObjects {
    /// `WdfLookasideListCreate` after the early parent lookups and the out-pointer check.
    /// `bufferSize` is the C `size_t` as it is (0: `.invalidParameter`; more than fits a ULONG
    /// with the list's overhead, 2^63 and up included: `.integerOverflow`).
    package static func create(
        owner: (parent: UInt32, driver: UInt32), memoryOwner: (parent: UInt32, driver: UInt32),
        attributes: () throws(NTStatus) -> WdfAttributes, memoryAttributes: () throws(NTStatus) -> WdfAttributes,
        bufferSize: UInt, poolType: PoolType, tag: UInt32, clearOutput: () -> Void
    ) throws(NTStatus) -> WdfLookasideHandle {
        let routine: StaticString = "WdfLookasideListCreate"
        clearOutput()
        guard bufferSize != 0 else { throw .invalidParameter }
        let listAttributes = try attributes()
        try listAttributes.validate(forMemory: true)
        let memoryAttributes = try memoryAttributes()
        try memoryAttributes.validate(forMemory: true)
        let driver = DriverState.of(ObjectTable.slot(owner.driver))
        driver?.requireIrql(atMost: poolType.irqlLimit, routine: routine)
        if driver?.settings.checksIrql == true, Irql.current > poolType.irqlLimit { throw .invalidDeviceRequest }
        if poolType.isPaged, let listDevice = device(above: owner.parent), let memoryDevice = device(above: memoryOwner.parent),
            listDevice != memoryDevice
        {
            throw .invalidParameter
        }
        guard bufferSize <= UInt(UInt32.max) - 64 else { throw .integerOverflow }
        let bufferSize = Int(bufferSize)
        let poolTag = tag != 0 ? PoolTag(rawValue: tag) : (driver?.tag ?? DriverTag.fallback)
        guard driver?.mayAllocate() ?? true else { throw .insufficientResources }
        if let driver, driver.simulatesLowResourcesFailure() { throw .insufficientResources }
        let list: LookasideListEx
        do {
            list = try LookasideListEx(entrySize: bufferSize, poolType: poolType, tag: poolTag)
        } catch {
            throw .insufficientResources
        }
        let extras = ObjectExtras(creator: routine)
        extras.lookaside = LookasideObjectState(
            list: list, bufferSize: bufferSize, poolType: poolType, tag: poolTag, memoryAttributes: memoryAttributes,
            memoryOwner: memoryOwner, tracking: driver?.settings.tracksPool == true ? driver : nil)
        let fast = UnsafeMutablePointer<LookasideFastPath>.allocate(capacity: 1)
        let tracking = driver?.settings.tracksPool == true
        // Memory from the list of a driver with force IRQL checking is made and deleted on the
        // general paths, which check the KmdfIrql rule.
        let checksIrql = DriverState.of(ObjectTable.slot(memoryOwner.driver))?.settings.forcesIrqlChecking == true
        fast.initialize(to: LookasideFastPath(
            list: list.handle, bufferSize: bufferSize, zeroes: !poolType.isPaged && bufferSize < 4096,
            memoryParent: memoryOwner.parent, memoryDriver: memoryOwner.driver,
            memoryParentHandle: memoryAttributes.parent?.rawValue ?? 0,
            memoryFlags: (poolType.isPaged ? ObjectFlags.passiveOnly : 0)
                | (memoryAttributes.cleanup != nil || memoryAttributes.destroy != nil ? ObjectFlags.hasCallbacks : 0),
            needsGeneralPath: memoryAttributes.context != nil || tracking || checksIrql))
        let handle: WdfObject
        do {
            handle = try ObjectCreation.create(
                kind: .lookaside, attributes: listAttributes, owner: owner,
                flags: poolType.isPaged ? ObjectFlags.passiveOnly : 0, extras: extras, countsAllocation: false, routine: routine
            ) { slot in
                slot.pointee.buffer = UnsafeMutableRawPointer(fast)
                slot.cold.pointee.lookasideList = list.handle
            }
        } catch {
            fast.deallocate()
            throw error
        }
        if let driver { Verifier.track(handle.index!, driver: driver, kind: .lookaside, tag: poolTag, size: bufferSize, creator: routine) }
        return WdfLookasideHandle(handle)
    }

    /// The device an object's parent chain leads to, if any.
    static func device(above index: UInt32) -> UInt32? {
        var current = index
        while current != 0 {
            let slot = ObjectTable.slot(current)
            if slot.pointee.kind == ObjectKind.device.rawValue { return current }
            if slot.pointee.kind == ObjectKind.driver.rawValue { return nil }
            current = slot.pointee.parent.load(ordering: .relaxed)
        }
        return nil
    }

    /// Checks that `lookaside` is a live lookaside-list handle (bug check 0x10D/5 otherwise).
    package static func validate(_ lookaside: WdfObject, routine: StaticString) {
        _ = ObjectTable.resolve(lookaside, kinds: .lookaside, routine: routine)
    }

    /// `WdfMemoryCreateFromLookaside`: the handle check, then the out-pointer check (the C door
    /// says whether it got one: none is bug check 0x10D/4), then the rest. The common case (no
    /// context, no pool tracking) takes a cached entry and a cached slot: no lock, no allocation.
    /// The C door clears its out-pointer when this throws (a bug check ends the process, so
    /// clearing it earlier would show nowhere).
    @inline(__always)
    package static func createMemory(from lookaside: WdfObject, outputGiven: Bool = true) throws(NTStatus) -> WdfMemoryHandle {
        let routine: StaticString = "WdfMemoryCreateFromLookaside"
        let listSlot = ObjectTable.resolve(lookaside, kinds: .lookaside, routine: routine)
        if !outputGiven { ObjectTable.requiredParameterMissing("Memory", routine: routine) }
        guard listSlot.pointee.state.load(ordering: .acquiring) == SlotState.live,
            let fast = listSlot.pointee.buffer?.assumingMemoryBound(to: LookasideFastPath.self)
        else { deletedList(lookaside, routine: routine) }
        if fast.pointee.needsGeneralPath {
            return try createMemoryGenerally(from: lookaside, listSlot: listSlot)
        }
        let listIndex = lookaside.index!
        if fast.pointee.memoryParentHandle != 0 { checkMemoryParent(fast.pointee.memoryParentHandle, of: lookaside, routine: routine) }
        guard let entry = fast.pointee.list.allocate(routine: routine) else { try allocationFailed(listIndex) }
        let bufferSize = fast.pointee.bufferSize
        if fast.pointee.zeroes { entry.initializeMemory(as: UInt8.self, repeating: 0, count: bufferSize) }
        do {
            let (_, handle) = try ObjectLifetime.create(
                kind: .memory, parent: fast.pointee.memoryParent, driver: fast.pointee.memoryDriver,
                flags: fast.pointee.memoryFlags, extras: nil
            ) { slot in
                slot.pointee.buffer = entry
                slot.pointee.source = MemorySource.lookaside.rawValue
                slot.pointee.lookaside.store(listIndex, ordering: .relaxed)
            }
            return WdfMemoryHandle(handle)
        } catch {
            returnEntry(entry, toList: listIndex, routine: routine)
            throw error
        }
    }

    /// The parent a list's memory attributes named must still be the object they named: a
    /// parent deleted since (its slot free or reused by another object) is bug check 0x10D/5
    /// naming that parent's handle, never a stranger adopting the memory. (A parent being deleted
    /// is still that object: linking to it gives `.deletePending`.)
    @inline(never)
    static func checkMemoryParent(_ parent: UInt, of lookaside: WdfObject, routine: StaticString) {
        let handle = WdfObject(rawValue: parent)
        guard ObjectTable.lookup(handle) == nil else { return }
        BugCheck.raise(
            .wdfViolation, 0x5, handle.rawValue, lookaside.rawValue, 0,
            "\(routine): \(handle), the parent in the memory attributes of lookaside list \(lookaside), was deleted")
    }

    /// Counts a failed allocation from the list (see `outstanding`).
    @inline(never)
    static func allocationFailed(_ listIndex: UInt32) throws(NTStatus) -> Never {
        ObjectExtras.of(ObjectTable.slot(listIndex))?.lookaside?.failedAllocations.wrappingAdd(1, ordering: .relaxed)
        throw .insufficientResources
    }

    @inline(never)
    static func deletedList(_ lookaside: WdfObject, routine: StaticString) -> Never {
        BugCheck.raise(.wdfViolation, 0x5, lookaside.rawValue, 0, 0, "\(routine): \(lookaside) is a deleted lookaside list")
    }

    /// `WdfMemoryCreateFromLookaside` with the memory parented to `parent` instead of the
    /// list's memory parent (the Swift API's `WdfLookaside.makeMemory(parent:)`): the general
    /// path, with the list's memory attributes otherwise.
    package static func createMemory(from lookaside: WdfObject, parent: WdfObject) throws(NTStatus) -> WdfMemoryHandle {
        let routine: StaticString = "WdfMemoryCreateFromLookaside"
        let listSlot = ObjectTable.resolve(lookaside, kinds: .lookaside, routine: routine)
        guard listSlot.pointee.state.load(ordering: .acquiring) == SlotState.live else { deletedList(lookaside, routine: routine) }
        return try createMemoryGenerally(
            from: lookaside, listSlot: listSlot, owner: ObjectCreation.owner(parent: parent, routine: routine))
    }

    /// Memory objects that need a context or pool tracking (or another parent).
    static func createMemoryGenerally(
        from lookaside: WdfObject, listSlot: UnsafeMutablePointer<ObjectSlot>, owner: (parent: UInt32, driver: UInt32)? = nil
    ) throws(NTStatus) -> WdfMemoryHandle {
        let routine: StaticString = "WdfMemoryCreateFromLookaside"
        guard let state = ObjectExtras.of(listSlot)?.lookaside, let list = state.list else {
            deletedList(lookaside, routine: routine)
        }
        let listIndex = lookaside.index!
        if owner == nil, state.memoryParentHandle != 0 { checkMemoryParent(state.memoryParentHandle, of: lookaside, routine: routine) }
        guard let entry = try? list.allocate() else { try allocationFailed(listIndex) }
        if state.zeroes { entry.initializeMemory(as: UInt8.self, repeating: 0, count: state.bufferSize) }
        let attributes = state.memoryAttributes
        do {
            let handle = try ObjectCreation.create(
                kind: .memory, attributes: attributes, owner: owner ?? state.memoryOwner,
                flags: state.poolType.isPaged ? ObjectFlags.passiveOnly : 0, countsAllocation: false, routine: routine
            ) { slot in
                slot.pointee.buffer = entry
                slot.pointee.source = MemorySource.lookaside.rawValue
                slot.pointee.lookaside.store(listIndex, ordering: .relaxed)
            }
            if let tracking = state.tracking {
                Verifier.track(handle.index!, driver: tracking, kind: .memory, tag: state.tag, size: state.bufferSize, creator: routine)
            }
            return WdfMemoryHandle(handle)
        } catch {
            returnEntry(entry, toList: listIndex, routine: routine)
            throw error
        }
    }

    /// A memory object from a list is destroyed: its buffer goes back to the list.
    @inline(__always)
    static func giveBack(_ slot: UnsafeMutablePointer<ObjectSlot>) {
        guard let buffer = slot.pointee.buffer else { return }
        returnEntry(buffer, toList: slot.pointee.lookaside.load(ordering: .relaxed), routine: "WdfObjectDelete")
    }

    // MARK: A deleted list waits for its memory

    /// Gives a buffer back to its list. Memory objects hold no reference on their list: a list
    /// whose last reference is gone while buffers are still out waits for them (`ListDrain`),
    /// and the return of the last one destroys it. The free is the buffer's last access to the
    /// executive list (it counts the free last); then, after the light fence, only the list's
    /// slot is read, which is never freed.
    @inline(__always)
    static func returnEntry(_ entry: UnsafeMutableRawPointer, toList listIndex: UInt32, routine: StaticString) {
        let listSlot = ObjectTable.slot(listIndex)
        listSlot.cold.pointee.lookasideList.unsafelyUnwrapped.free(entry, routine: routine)
        AsymmetricFence.light()
        if listSlot.pointee.lookaside.load(ordering: .relaxed) != 0 { entryReturnedToDrainingList(listIndex) }
    }

    /// Whether a lookaside-list object whose last reference is gone must wait for buffers still
    /// out (false: destroy it now). Called by `ObjectLifetime.destroy`.
    static func mustAwaitMemory(_ listIndex: UInt32) -> Bool {
        let listSlot = ObjectTable.slot(listIndex)
        guard listSlot.pointee.lookaside.load(ordering: .relaxed) != ListDrain.destroying else { return false }
        listSlot.pointee.lookaside.store(ListDrain.checking, ordering: .relaxed)
        return !checkDrained(listIndex)
    }

    /// A buffer came back to a list that was waiting (or a slot that was one: it may have been
    /// reused since, which this tells apart). Becomes the checker when none is at work, or asks
    /// the one at work to look again.
    @inline(never)
    static func entryReturnedToDrainingList(_ listIndex: UInt32) {
        let listSlot = ObjectTable.slot(listIndex)
        while true {
            switch listSlot.pointee.lookaside.load(ordering: .relaxed) {
            case ListDrain.awaiting:
                guard listSlot.pointee.lookaside.compareExchange(
                    expected: ListDrain.awaiting, desired: ListDrain.checking, ordering: .sequentiallyConsistent
                ).exchanged else { continue }
                if checkDrained(listIndex) { ObjectLifetime.destroy(listIndex) }
                return
            case ListDrain.checking:
                guard listSlot.pointee.lookaside.compareExchange(
                    expected: ListDrain.checking, desired: ListDrain.recheck, ordering: .sequentiallyConsistent
                ).exchanged else { continue }
                return
            default:
                return  // a recheck is already asked for, the list is being destroyed, or the slot is no list's
            }
        }
    }

    /// Run by the one thread that moved the list to `checking`: true when every buffer is back
    /// (the list is then `destroying`, and the caller destroys it), false when some are still out
    /// (the list is `awaiting` again, and their return will check again). The heavy fence pairs
    /// with the light one in `returnEntry`: a buffer returned before it is counted here, one
    /// returned after it sees the list waiting.
    static func checkDrained(_ listIndex: UInt32) -> Bool {
        let listSlot = ObjectTable.slot(listIndex)
        while true {
            AsymmetricFence.heavy()
            if outstanding(listIndex) == 0 {
                listSlot.pointee.lookaside.store(ListDrain.destroying, ordering: .relaxed)
                return true
            }
            if listSlot.pointee.lookaside.compareExchange(
                expected: ListDrain.checking, desired: ListDrain.awaiting, ordering: .sequentiallyConsistent
            ).exchanged { return false }
            // A buffer came back meanwhile and asked for a recheck.
            listSlot.pointee.lookaside.store(ListDrain.checking, ordering: .relaxed)
        }
    }

    /// Buffers of the list that are out: the executive list's allocations minus its frees and
    /// the allocations that failed. Exact for the checker: every free counted itself last, with
    /// a releasing store that the statistics read with an acquiring load.
    static func outstanding(_ listIndex: UInt32) -> Int {
        guard let state = ObjectExtras.of(ObjectTable.slot(listIndex))?.lookaside, let list = state.list else { return 0 }
        let statistics = list.statistics
        return Int(truncatingIfNeeded: statistics.totalAllocates &- statistics.totalFrees)
            - state.failedAllocations.load(ordering: .relaxed)
    }
}

/// The states of a lookaside-list object whose last reference is gone (kept in its slot's
/// `lookaside` field; 0 before). Values above any slot index, so a slot reused by a memory object
/// never reads as one.
enum ListDrain {
    /// Buffers are out; the return of each one checks.
    static var awaiting: UInt32 { 0xFFFF_FFF1 }
    /// One thread is counting the buffers out.
    static var checking: UInt32 { 0xFFFF_FFF2 }
    /// A buffer came back while the count was taken: count again.
    static var recheck: UInt32 { 0xFFFF_FFF3 }
    /// Every buffer is back; the list is being destroyed.
    static var destroying: UInt32 { 0xFFFF_FFF4 }
}
