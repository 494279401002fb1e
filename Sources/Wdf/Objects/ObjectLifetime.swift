import Synchronization
internal import CRuntimeShims
import NtKernel
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Creation, deletion, references and destruction of framework objects.
///
/// Deletion is iterative (an explicit stack, never the native one), so a chain of a million
/// objects deletes. Order: the object is unlinked from its parent; its children are disposed
/// oldest first, each child's subtree before the next; every child's cleanup runs before its
/// parent's; then the creation references are dropped, children first. Destroy callbacks run
/// when an object's last reference goes.
enum ObjectLifetime {
    /// A new object's slot, linked under `parent` (nil: no parent, for drivers). Throws
    /// `.deletePending` when the parent is being deleted. The caller fills kind-specific fields
    /// in `prepare` before the object becomes visible.
    @inline(__always)
    static func create(
        kind: ObjectKind, parent: UInt32?, driver: UInt32, flags: UInt8 = 0, extras: ObjectExtras?,
        prepare: (UnsafeMutablePointer<ObjectSlot>) -> Void = { _ in }
    ) throws(NTStatus) -> (index: UInt32, handle: WdfObject) {
        let index = try ObjectTable.allocateSlot()
        let slot = ObjectTable.slot(index)
        // The cold record is already empty (its fields are cleared before a slot is freed).
        slot.pointee.kind = kind.rawValue
        slot.pointee.flags = flags
        slot.pointee.parent.store(0, ordering: .relaxed)
        slot.pointee.buffer = nil
        slot.pointee.source = MemorySource.none.rawValue
        slot.pointee.lookaside.store(0, ordering: .relaxed)
        slot.pointee.driverLink.store(UInt64(driver) << 32, ordering: .relaxed)
        if let extras { ObjectExtras.attach(extras, to: slot) }
        prepare(slot)
        slot.pointee.references.store(1, ordering: .relaxed)
        if let parent {
            do {
                // Makes the object live once it is linked (a driver's child) or before (an
                // explicit child: the parent's lock orders it).
                try link(index, under: parent)
            } catch {
                abandonUnlinked(index)
                throw error
            }
        } else {
            slot.pointee.state.store(SlotState.live, ordering: .releasing)
        }
        return (index, ObjectTable.handle(of: index))
    }

    /// Frees the slot of an object that could not be linked (never created: no callbacks run).
    @inline(never)
    static func abandonUnlinked(_ index: UInt32) {
        let slot = ObjectTable.slot(index)
        slot.pointee.state.store(SlotState.disposed, ordering: .releasing)
        ObjectExtras.detach(from: slot)
        if slot.pointee.source != MemorySource.lookaside.rawValue { slot.cold.pointee.size = 0 }
        ObjectTable.freeSlot(index)
    }

    /// Appends `child` to `parent`'s children (youngest last) and makes it live. A driver keeps
    /// no list: its children are marked and numbered instead, with no lock and no atomic
    /// read-modify-write.
    ///
    /// Linking to a driver is a store-then-load handshake with the driver's teardown
    /// (`detachChildren`): the child stores its link, then reads the driver's state; the
    /// teardown stores the driver's state, then scans the links. With the asymmetric fences
    /// between, at least one sees the other: the child fails with `.deletePending`, or the scan
    /// finds it (and waits for it to go live, which it does right after its check).
    @inline(__always)
    static func link(_ child: UInt32, under parent: UInt32) throws(NTStatus) {
        let parentSlot = ObjectTable.slot(parent)
        let childSlot = ObjectTable.slot(child)
        if parentSlot.pointee.kind == ObjectKind.driver.rawValue {
            let cache = SlotCache.current
            cache.pointee.created &+= 1
            // The low half is never 0 (0 means "not linked to the driver").
            if cache.pointee.created & 0xFFFF_FFFF == 0 { cache.pointee.created &+= 1 }
            childSlot.pointee.parent.store(parent, ordering: .relaxed)
            childSlot.pointee.driverLink.store(UInt64(parent) << 32 | (cache.pointee.created & 0xFFFF_FFFF), ordering: .relaxed)
            AsymmetricFence.light()
            guard parentSlot.pointee.state.load(ordering: .relaxed) == SlotState.live else {
                childSlot.pointee.driverLink.store(UInt64(parent) << 32, ordering: .relaxed)
                throw .deletePending
            }
            childSlot.pointee.state.store(SlotState.live, ordering: .releasing)
            return
        }
        childSlot.pointee.state.store(SlotState.live, ordering: .releasing)
        try linkExplicitly(child, under: parent)
    }

    static func linkExplicitly(_ child: UInt32, under parent: UInt32) throws(NTStatus) {
        let parentSlot = ObjectTable.slot(parent)
        // Counted before the state check, so a delete that finds no children can skip the lock.
        let earlier = parentSlot.pointee.childCount.wrappingAdd(1, ordering: .sequentiallyConsistent).oldValue
        let childSlot = ObjectTable.slot(child)
        // A child with callbacks can watch its siblings; a parent that gets its first child
        // has a subtree that can watch its own siblings.
        if childSlot.pointee.flags & ObjectFlags.hasCallbacks != 0 {
            parentSlot.pointee.childCount.bitwiseOr(watchedBit, ordering: .relaxed)
        }
        if childSlot.pointee.flags & ObjectFlags.passiveOnly != 0 { markPassiveDescendant(above: child, parent: parent) }
        if earlier & ~(watchedBit | passiveBit) == 0 {
            let grandparent = parentSlot.pointee.parent.load(ordering: .relaxed)
            if grandparent != 0 { ObjectTable.slot(grandparent).pointee.childCount.bitwiseOr(watchedBit, ordering: .relaxed) }
        }
        try ObjectTable.withChildList(of: parent) { () throws(NTStatus) in
            guard parentSlot.pointee.state.load(ordering: .sequentiallyConsistent) == SlotState.live else {
                parentSlot.pointee.childCount.wrappingSubtract(1, ordering: .relaxed)
                throw .deletePending
            }
            let parentCold = parentSlot.cold
            childSlot.pointee.parent.store(parent, ordering: .relaxed)
            childSlot.cold.pointee.previousSibling = parentCold.pointee.lastChild
            childSlot.cold.pointee.nextSibling = 0
            if parentCold.pointee.lastChild != 0 {
                ObjectTable.slot(parentCold.pointee.lastChild).cold.pointee.nextSibling = child
            } else {
                parentCold.pointee.firstChild = child
            }
            parentCold.pointee.lastChild = child
        }
    }

    /// A passive-only object was linked under `parent`: every ancestor up to the driver learns
    /// that its subtree holds one (`passiveBit`), so deleting any of them above PASSIVE_LEVEL is
    /// deferred as a whole, and the deletion order (children's cleanup first) holds there too.
    /// Stops at the first ancestor that knew already. Only paged objects pay for this.
    @inline(never)
    static func markPassiveDescendant(above child: UInt32, parent: UInt32) {
        var current = parent
        while current != 0 {
            let slot = ObjectTable.slot(current)
            if slot.pointee.kind == ObjectKind.driver.rawValue { return }
            let earlier = slot.pointee.childCount.bitwiseOr(passiveBit, ordering: .relaxed).oldValue
            if earlier & passiveBit != 0 { return }
            current = slot.pointee.parent.load(ordering: .relaxed)
        }
    }

    /// Whether deleting the object in `slot` (or dropping its last reference, `subtree` false)
    /// must wait for PASSIVE_LEVEL: it is passive-only, or (for a delete) its subtree holds a
    /// passive-only object, and the caller is above PASSIVE_LEVEL.
    @inline(__always)
    static func mustDefer(_ slot: UnsafeMutablePointer<ObjectSlot>, subtree: Bool) -> Bool {
        let passive = slot.pointee.flags & ObjectFlags.passiveOnly != 0
            || (subtree && slot.pointee.childCount.load(ordering: .relaxed) & passiveBit != 0)
        return passive && Irql.current > .passive
    }

    /// Removes `child` from its parent's list, if it has a parent.
    @inline(__always)
    static func unlink(_ child: UInt32) {
        let childSlot = ObjectTable.slot(child)
        let parent = childSlot.pointee.parent.load(ordering: .relaxed)
        guard parent != 0 else { return }
        let link = childSlot.pointee.driverLink.load(ordering: .relaxed)
        if link & 0xFFFF_FFFF != 0 {
            // Relaxed: the child is already disposing (its state's compare-exchange is what a
            // concurrent driver teardown contends on), so the scan skips it either way.
            childSlot.pointee.driverLink.store(link & ~0xFFFF_FFFF, ordering: .relaxed)
            return
        }
        unlinkExplicitly(child, from: parent)
    }

    static func unlinkExplicitly(_ child: UInt32, from parent: UInt32) {
        let childSlot = ObjectTable.slot(child)
        try! ObjectTable.withChildList(of: parent) { () throws(NTStatus) in
            guard childSlot.pointee.parent.load(ordering: .relaxed) == parent else { return }
            let parentSlot = ObjectTable.slot(parent)
            let childCold = childSlot.cold
            let previous = childCold.pointee.previousSibling
            let next = childCold.pointee.nextSibling
            if previous != 0 { ObjectTable.slot(previous).cold.pointee.nextSibling = next } else { parentSlot.cold.pointee.firstChild = next }
            if next != 0 { ObjectTable.slot(next).cold.pointee.previousSibling = previous } else { parentSlot.cold.pointee.lastChild = previous }
            childSlot.pointee.parent.store(0, ordering: .relaxed)
            childCold.pointee.previousSibling = 0
            childCold.pointee.nextSibling = 0
            parentSlot.pointee.childCount.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    /// Whether `parent` (already disposing) has or may still get children. A driver's children
    /// are found by a scan, so a driver always takes the full path.
    @inline(__always)
    static func hasChildren(_ parent: UInt32) -> Bool {
        let slot = ObjectTable.slot(parent)
        return slot.pointee.kind == ObjectKind.driver.rawValue
            || slot.pointee.childCount.load(ordering: .sequentiallyConsistent) != 0
    }

    /// A driver's children (objects created without a parent), oldest first per thread. One
    /// found between its link and going live is waited for (see `link`).
    static func implicitChildren(of driver: UInt32) -> [UInt32] {
        var found: [(order: UInt64, index: UInt32)] = []
        let end = ObjectTable.highWaterMark
        var index: UInt32 = 1
        while index < end {
            let slot = ObjectTable.slot(index)
            while true {
                let link = slot.pointee.driverLink.load(ordering: .acquiring)
                guard link >> 32 == UInt64(driver), link & 0xFFFF_FFFF != 0 else { break }
                let state = slot.pointee.state.load(ordering: .acquiring)
                if state == SlotState.live { found.append((link & 0xFFFF_FFFF, index)) }
                guard state == SlotState.free else { break }
                // Linked but not yet live: its creator is between its check and going live.
                sched_yield()
            }
            index += 1
        }
        return found.sorted { $0.order < $1.order }.map(\.index)
    }

    // MARK: Delete

    /// `WdfObjectDelete`: memory from a lookaside list without callbacks, extras or tracking
    /// (the common case) inline, everything else out of line.
    @inline(__always)
    static func delete(_ handle: WdfObject, routine: StaticString) {
        if let slot = ObjectTable.lookup(handle), isPlain(slot),
            slot.pointee.flags & (ObjectFlags.hasCallbacks | ObjectFlags.passiveOnly) == 0
        {
            return deletePlainly(slot, index: handle.index.unsafelyUnwrapped)
        }
        deleteGenerally(handle, routine: routine)
    }

    /// `WdfObjectDelete` of a generic or memory object that has no callbacks, no extras, is not
    /// tracked and may be deleted at any IRQL (the common case): one compare-exchange claims
    /// it; with no children and no other reference, a memory object's buffer goes back to its
    /// list or the pool and the slot to the thread's cache right here. Anything else continues
    /// on the general path.
    @inline(__always)
    static func deletePlainly(_ slot: UnsafeMutablePointer<ObjectSlot>, index: UInt32) {
        guard slot.pointee.state.compareExchange(
            expected: SlotState.live, desired: SlotState.disposing, ordering: .sequentiallyConsistent
        ).exchanged else { return }
        if slot.pointee.childCount.load(ordering: .sequentiallyConsistent) != 0 {
            return disposeClaimedWithChildren(index)
        }
        unlink(index)
        slot.flagsByte.pointee |= ObjectFlags.cleanedUp
        slot.pointee.state.store(SlotState.disposed, ordering: .releasing)
        // Someone else holds a reference: the last release destroys it.
        guard dropReference(slot) <= 0 else { return }
        destroyPlainly(slot, index: index)
    }

    /// `deletePlainly` of an object with children: disposed now, or at PASSIVE_LEVEL when its
    /// subtree holds a passive-only object and the caller is above it. Out of line: the IRQL
    /// read and the deferral kept the plain delete's inline path 11 ns slower.
    @inline(never)
    static func disposeClaimedWithChildren(_ index: UInt32) {
        if mustDefer(ObjectTable.slot(index), subtree: true) { return DisposeList.disposeClaimedLater(index) }
        disposeClaimed(index)
    }

    @inline(never)
    static func deleteGenerally(_ handle: WdfObject, routine: StaticString) {
        let slot = ObjectTable.resolve(handle, routine: routine)
        let kind = ObjectKind(rawValue: slot.pointee.kind)!
        DriverState.of(slot)?.requireIrql(atMost: .dispatch, routine: routine)
        if kind == .driver || kind == .device {
            Verifier.message(driver: slot.pointee.driver, "\(routine): a \(kind) is deleted by the framework, not the driver; nothing happens")
            return
        }
        guard slot.pointee.state.load(ordering: .acquiring) == SlotState.live else { return }
        if mustDefer(slot, subtree: true) {
            DisposeList.enqueue(handle)
            return
        }
        dispose(handle.index!)
    }

    /// Deletes an object and its subtree, whatever its kind (the framework's own teardown).
    static func dispose(_ root: UInt32) {
        let rootSlot = ObjectTable.slot(root)
        var expected = SlotState.live
        while true {
            let (exchanged, original) = rootSlot.pointee.state.compareExchange(
                expected: expected, desired: SlotState.disposing, ordering: .sequentiallyConsistent)
            if exchanged { break }
            guard original == SlotState.live else { return }
            expected = original
        }
        disposeClaimed(root)
    }

    /// `dispose` once the caller has moved `root` from live to disposing.
    static func disposeClaimed(_ root: UInt32) {
        let rootSlot = ObjectTable.slot(root)
        unlink(root)
        if !hasChildren(root) {
            // A leaf (the common case): no traversal, nothing allocated.
            runCleanup(root)
            rootSlot.pointee.state.store(SlotState.disposed, ordering: .releasing)
            release(root, routine: "WdfObjectDelete")
            return
        }
        // Depth-first, children oldest first, each child's subtree before the next. Reaching an
        // object detaches and claims all its children in one lock hold; a frame covers the range
        // of `pending` that holds its children. When a frame's children are done, its cleanup
        // runs and then its children's creation references are dropped.
        var frames: [(index: UInt32, start: Int, cursor: Int)] = []
        var pending: [UInt32] = []
        func expand(_ index: UInt32) {
            let start = pending.count
            detachChildren(of: index, into: &pending)
            frames.append((index, start, start))
        }
        expand(root)
        while let top = frames.last {
            if top.cursor < pending.count {
                frames[frames.count - 1].cursor += 1
                let entry = pending[top.cursor]
                if entry & disposedLeaf == 0 { expand(entry) }
                continue
            }
            frames.removeLast()
            runCleanup(top.index)
            ObjectTable.slot(top.index).pointee.state.store(SlotState.disposed, ordering: .releasing)
            var position = top.start
            while position < pending.count {
                if position + prefetchDistance < pending.count { prefetchBuffer(pending[position + prefetchDistance] & ~disposedLeaf) }
                let entry = pending[position]
                if entry & disposedLeaf != 0 {
                    releaseLeaf(entry & ~disposedLeaf)
                } else {
                    release(entry, routine: "WdfObjectDelete")
                }
                position += 1
            }
            pending.removeLast(pending.count - top.start)
        }
        release(root, routine: "WdfObjectDelete")
    }

    /// Set in a parent's `childCount` (and kept until it is destroyed) once a child has callbacks or
    /// children of its own: some cleanup callback in its subtree could then look at a sibling
    /// after that sibling's disposal, before the creation references are dropped.
    static var watchedBit: Int32 { 1 << 30 }

    /// Set in an object's `childCount` (and kept until it is destroyed) once a passive-only
    /// object was linked anywhere below it (`markPassiveDescendant`).
    static var passiveBit: Int32 { 1 << 29 }

    /// Marks an entry of the children being disposed whose disposal is already complete: a leaf
    /// without callbacks (slot indices stay below 2^24).
    static var disposedLeaf: UInt32 { 1 << 31 }

    /// Takes all of `parent`'s children off it (oldest first) and claims each one that is still
    /// live (one that is not is being deleted by another thread, which finishes it). A driver's
    /// children come from a scan; other objects' from their list, in one lock hold.
    static func detachChildren(of parent: UInt32, into children: inout [UInt32]) {
        let parentSlot = ObjectTable.slot(parent)
        if parentSlot.pointee.kind == ObjectKind.driver.rawValue {
            // The teardown's side of the handshake in `link` (the driver is already disposing):
            // every child that saw its driver live is in the scan.
            AsymmetricFence.heavy()
            for child in implicitChildren(of: parent) {
                ObjectTable.slot(child).pointee.driverLink.store(UInt64(parent) << 32, ordering: .relaxed)
                claim(child, into: &children, destroyingLeaves: false)
            }
        }
        let counted = parentSlot.pointee.childCount.load(ordering: .sequentiallyConsistent)
        let count = counted & ~(watchedBit | passiveBit)
        guard count != 0 else { return }
        // When neither the parent nor any child can run a cleanup callback that looks at a
        // disposed child, the plain leaves are destroyed as they are taken (no second pass).
        let destroyingLeaves = parentSlot.pointee.flags & ObjectFlags.hasCallbacks == 0 && counted & watchedBit == 0
        if !destroyingLeaves {
            // Room for all of them at once (a wide parent: one allocation), growing at least
            // geometrically (a deep chain: amortized constant).
            let needed = children.count + Int(count)
            if children.capacity < needed { children.reserveCapacity(Swift.max(needed, 2 * children.capacity)) }
        }
        try! ObjectTable.withChildList(of: parent) { () throws(NTStatus) in
            var child = parentSlot.cold.pointee.firstChild
            // A scout runs ahead along the list and fetches the buffers that freeing will read.
            var scout = child
            for _ in 0..<prefetchDistance where scout != 0 { scout = ObjectTable.slot(scout).cold.pointee.nextSibling }
            var taken: Int32 = 0
            while child != 0 {
                if scout != 0 {
                    prefetchBuffer(scout)
                    scout = ObjectTable.slot(scout).cold.pointee.nextSibling
                }
                let childSlot = ObjectTable.slot(child)
                let childCold = childSlot.cold
                let next = childCold.pointee.nextSibling
                childSlot.pointee.parent.store(0, ordering: .relaxed)
                childCold.pointee.previousSibling = 0
                childCold.pointee.nextSibling = 0
                claim(child, into: &children, destroyingLeaves: destroyingLeaves)
                taken += 1
                child = next
            }
            parentSlot.cold.pointee.firstChild = 0
            parentSlot.cold.pointee.lastChild = 0
            parentSlot.pointee.childCount.wrappingSubtract(taken, ordering: .relaxed)
        }
    }

    /// How far ahead along a child list the buffers that freeing reads are fetched.
    static var prefetchDistance: Int { 16 }

    /// Fetches the start of a child's pool buffer, whose block header freeing it reads: the
    /// children of a wide parent are freed in a row, and their buffers are all over the pool.
    @inline(__always)
    static func prefetchBuffer(_ index: UInt32) {
        let slot = ObjectTable.slot(index)
        if slot.pointee.source == MemorySource.pool.rawValue, let buffer = slot.pointee.buffer { nt_prefetch(buffer - 16) }
    }

    /// Moves a detached child from live to disposing and queues it. A leaf without callbacks is
    /// disposed right here (nothing of that is observable); with `destroyingLeaves`, a plain one
    /// whose buffer (if any) is not a lookaside list's is also destroyed here (a list's buffer
    /// coming back may destroy the list, which runs callbacks: not under the child-list lock).
    /// The rest is the traversal's.
    @inline(__always)
    static func claim(_ child: UInt32, into children: inout [UInt32], destroyingLeaves: Bool) {
        let slot = ObjectTable.slot(child)
        guard slot.pointee.state.compareExchange(
            expected: SlotState.live, desired: SlotState.disposing, ordering: .sequentiallyConsistent
        ).exchanged else { return }
        if slot.pointee.flags & ObjectFlags.hasCallbacks == 0, !hasChildren(child) {
            slot.flagsByte.pointee |= ObjectFlags.cleanedUp
            slot.pointee.state.store(SlotState.disposed, ordering: .releasing)
            if destroyingLeaves, isPlain(slot), slot.pointee.source != MemorySource.lookaside.rawValue {
                releaseLeaf(child)
            } else {
                children.append(child | disposedLeaf)
            }
        } else {
            children.append(child)
        }
    }

    @inline(__always)
    static func runCleanup(_ index: UInt32) {
        let slot = ObjectTable.slot(index)
        guard slot.pointee.flags & ObjectFlags.cleanedUp == 0 else { return }
        slot.flagsByte.pointee |= ObjectFlags.cleanedUp
        guard slot.pointee.flags & ObjectFlags.hasCallbacks != 0 else { return }
        let handle = ObjectTable.handle(of: index)
        for callback in callbacks(of: slot, destroy: false) { callback(handle) }
    }

    /// The cleanup or destroy callbacks of an object (a lookaside memory object without extras
    /// uses its list's memory attributes; one that got extras later has them copied there).
    static func callbacks(of slot: UnsafeMutablePointer<ObjectSlot>, destroy: Bool) -> [ObjectCallback] {
        if let extras = ObjectExtras.of(slot) {
            return extras.state.withLock { destroy ? $0.destroy : $0.cleanup }
        }
        let inherited = listMemoryCallbacks(of: slot)
        return (destroy ? inherited.destroy : inherited.cleanup).map { [$0] } ?? []
    }

    /// The callbacks of a memory object from a lookaside list: its list's memory attributes'
    /// (none for any other object).
    static func listMemoryCallbacks(of slot: UnsafeMutablePointer<ObjectSlot>) -> (cleanup: ObjectCallback?, destroy: ObjectCallback?) {
        guard slot.pointee.kind == ObjectKind.memory.rawValue, slot.pointee.source == MemorySource.lookaside.rawValue,
            let list = ObjectExtras.of(ObjectTable.slot(slot.pointee.lookaside.load(ordering: .relaxed)))?.lookaside
        else { return (nil, nil) }
        return (list.memoryAttributes.cleanup, list.memoryAttributes.destroy)
    }

    // MARK: References

    static func reference(_ handle: WdfObject, tag: UnsafeRawPointer?, source: ReferenceSource, routine: StaticString) {
        let slot = ObjectTable.resolve(handle, routine: routine)
        let driver = DriverState.of(slot)
        driver?.requireIrql(atMost: .dispatch, routine: routine)
        slot.pointee.references.wrappingAdd(1, ordering: .relaxed)
        if let driver, driver.settings.trackHandles, let extras = ObjectExtras.of(slot) {
            let record = TrackedReference(tag: UInt(bitPattern: tag), source: source, isRelease: false)
            extras.state.withLock { state in
                state.heldReferences.append(record)
                state.remember(record)
            }
            driver.referencedObjects.withLock { _ = $0.insert(handle.rawValue) }
        }
    }

    static func dereference(_ handle: WdfObject, tag: UnsafeRawPointer?, source: ReferenceSource, routine: StaticString) {
        let slot = ObjectTable.resolve(handle, routine: routine)
        let driver = DriverState.of(slot)
        driver?.requireIrql(atMost: .dispatch, routine: routine)
        if let driver, driver.settings.trackHandles, let extras = ObjectExtras.of(slot) {
            let record = TrackedReference(tag: UInt(bitPattern: tag), source: source, isRelease: true)
            let known = extras.state.withLock { state -> Bool in
                state.remember(record)
                // The most recent reference taken with this tag is the one released.
                guard let held = state.heldReferences.lastIndex(where: { $0.tag == record.tag }) else { return false }
                state.heldReferences.remove(at: held)
                return true
            }
            if !known {
                Verifier.message(
                    driver: slot.pointee.driver,
                    "\(routine): releasing tag \(String(UInt(bitPattern: tag), radix: 16)) on \(handle), which was never taken")
            }
        }
        release(handle.index!, routine: routine)
    }

    /// Drops one reference; at zero the object is destroyed. Reaching zero while the object is
    /// still live (parented, not deleted) is bug check 0x10D, p1 = 7 (`WDF_OBJECT_ERROR`).
    static func release(_ index: UInt32, routine: StaticString) {
        let slot = ObjectTable.slot(index)
        let remaining = dropReference(slot)
        guard remaining <= 0 else { return }
        let state = slot.pointee.state.load(ordering: .acquiring)
        guard state == SlotState.disposed else {
            BugCheck.raise(
                .wdfViolation, 0x7, ObjectTable.handle(of: index).rawValue, UInt(bitPattern: Int(remaining)), 0,
                "\(routine): the last reference to \(ObjectTable.handle(of: index)) was dropped while it is still parented (not deleted)")
        }
        // The last release of a passive-only object above PASSIVE_LEVEL: destroyed later, at
        // PASSIVE_LEVEL, as its delete would have been.
        if mustDefer(slot, subtree: false) { return DisposeList.destroyLater(index) }
        destroy(index)
    }

    /// Drops one reference the caller holds and returns how many are left. The last one is taken
    /// without a read-modify-write: a count of 1 seen by its holder cannot rise, because taking
    /// a reference needs one already (`WdfObjectReference` on an object nobody else holds a
    /// reference on races with its deletion, and the handle goes stale). The acquiring load orders
    /// every other holder's work, released with its own drop, before the destruction.
    @inline(__always)
    static func dropReference(_ slot: UnsafeMutablePointer<ObjectSlot>) -> Int32 {
        if slot.pointee.references.load(ordering: .acquiring) == 1 { return 0 }
        return slot.pointee.references.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue
    }

    /// Drops the creation reference of a leaf the traversal disposed (no callbacks, no
    /// children): a generic or memory object without extras or tracking is destroyed right here.
    @inline(__always)
    static func releaseLeaf(_ index: UInt32) {
        let slot = ObjectTable.slot(index)
        guard dropReference(slot) <= 0 else { return }
        if mustDefer(slot, subtree: false) { return DisposeList.destroyLater(index) }
        guard isPlain(slot) else { return destroy(index) }
        destroyPlainly(slot, index: index)
    }

    /// Destroys an `isPlain` object whose last reference is gone: its buffer, if it is memory,
    /// goes back, and its slot to the thread's cache.
    @inline(__always)
    static func destroyPlainly(_ slot: UnsafeMutablePointer<ObjectSlot>, index: UInt32) {
        if slot.pointee.kind == ObjectKind.memory.rawValue { KindHooks.destroyMemory(slot) }
        ObjectTable.freeSlot(index)
    }

    /// A generic or memory object without extras or tracking: destroying it runs no callback,
    /// takes no lock beyond the pool's and the slot table's, and frees nothing but its buffer.
    @inline(__always)
    static func isPlain(_ slot: UnsafeMutablePointer<ObjectSlot>) -> Bool {
        let kind = slot.pointee.kind
        return slot.pointee.flags & (ObjectFlags.hasExtras | ObjectFlags.tracked) == 0
            && (kind == ObjectKind.generic.rawValue || kind == ObjectKind.memory.rawValue)
    }

    /// Runs destroy callbacks, frees what the object holds, and frees the slot. A lookaside list
    /// whose buffers are not all back waits for them (the last one's return destroys it).
    static func destroy(_ index: UInt32) {
        let slot = ObjectTable.slot(index)
        if slot.pointee.kind == ObjectKind.lookaside.rawValue, LookasideObjects.mustAwaitMemory(index) { return }
        let handle = ObjectTable.handle(of: index)
        runCleanup(index)
        if slot.pointee.flags & ObjectFlags.hasCallbacks != 0 {
            for callback in callbacks(of: slot, destroy: true) { callback(handle) }
        }
        KindHooks.destroy(slot, index: index)
        if let extras = ObjectExtras.of(slot) {
            let contexts = extras.state.withLock { state -> [ObjectExtras.Context] in
                defer { state.contexts.removeAll() }
                return state.contexts
            }
            for context in contexts { ObjectContexts.free(context) }
        }
        if slot.pointee.flags & ObjectFlags.tracked != 0 { Verifier.untrack(slot, index: index) }
        ObjectExtras.detach(from: slot)
        // Its children are gone; a watched bit may be left (objects that never had one, or
        // whose count is 0, are freed by the paths that skip this: see `releaseLeaf`).
        slot.pointee.childCount.store(0, ordering: .relaxed)
        ObjectTable.freeSlot(index)
    }
}
