package import NtKernel

/// The parent and driver a creation routine works for: the early parent lookup (a bad handle is
/// bug check 0x10D/5), or the current driver when no parent is named. Used by the C door, which
/// must do this lookup before anything else.
package enum CreationOwner {
    package static func resolve(parent: WdfObject?, routine: StaticString) -> (parent: UInt32, driver: UInt32) {
        ObjectCreation.owner(parent: parent, routine: routine)
    }
}

/// The common path of every creation routine: parent and driver, attributes, callbacks,
/// context, tracking.
enum ObjectCreation {
    /// The parent's slot and driver for a creation naming `parent` (the early parent lookup:
    /// a bad handle is bug check 0x10D/5), or the current driver when `parent` is nil.
    static func owner(parent: WdfObject?, routine: StaticString) -> (parent: UInt32, driver: UInt32) {
        if let parent {
            let slot = ObjectTable.resolve(parent, routine: routine)
            let index = parent.index!
            let driver = slot.pointee.kind == ObjectKind.driver.rawValue ? index : slot.pointee.driver
            return (index, driver)
        }
        let driver = DriverRegistry.current()
        return (driver, driver)
    }

    /// The owner of an object whose attributes ask for nothing but (at most) a parent, when its
    /// creation may skip the general path: the parent's slot (or, with none, the current
    /// driver's, read from one published word), the driver's, and the driver's default tag; nil
    /// when the parent handle does not name a live object (the general path bug checks) or the
    /// driver's verifier settings ask something of each allocation (`ObjectSlot.plainTag`).
    @inline(__always)
    static func plainOwner(of parent: WdfObject?) -> (parent: UInt32, driver: UInt32, tag: UInt32)? {
        let owner: UInt32
        let driver: UInt32
        if let parent {
            guard let slot = ObjectTable.lookup(parent) else { return nil }
            owner = parent.index.unsafelyUnwrapped
            driver = slot.pointee.kind == ObjectKind.driver.rawValue ? owner : slot.pointee.driver
        } else {
            owner = DriverRegistry.published.load(ordering: .acquiring)
            guard owner != 0 else { return nil }
            driver = owner
        }
        // A driver slot still (a parentless creation racing the driver's unload could hold a
        // slot reused since; linking then finds the driver gone).
        let driverSlot = ObjectTable.slot(driver)
        let tag = driverSlot.pointee.plainTag
        guard tag != 0, driverSlot.pointee.kind == ObjectKind.driver.rawValue else { return nil }
        return (owner, driver, tag)
    }

    /// Creates an object of `kind` with validated `attributes` under `owner`. `prepare` fills
    /// kind-specific fields before the object is linked. With `countsAllocation`, the creation
    /// is one framework allocation for `VerifierAllocateFailCount` (a failure throws
    /// `.insufficientResources` before anything is made).
    static func create(
        kind: ObjectKind, attributes: WdfAttributes, owner: (parent: UInt32, driver: UInt32), flags: UInt8 = 0,
        extras: ObjectExtras? = nil, countsAllocation: Bool = true, routine: StaticString,
        prepare: (UnsafeMutablePointer<ObjectSlot>) -> Void = { _ in }
    ) throws(NTStatus) -> WdfObject {
        var extras = extras
        var flags = flags
        let driverState = DriverState.of(ObjectTable.slot(owner.driver))
        if let driverState, driverState.settings.forcesIrqlChecking {
            // KmdfIrql: devices at PASSIVE_LEVEL, objects that must be deleted at PASSIVE_LEVEL
            // (paged memory and lists) at APC_LEVEL or below, every other object at
            // DISPATCH_LEVEL or below. Its objects are deleted on the general path, which checks.
            let limit: Irql = kind == .device ? .passive : (flags & ObjectFlags.passiveOnly != 0 ? .apc : .dispatch)
            DdiCompliance.requireFrameworkIrql(atMost: limit, routine: routine)
            flags |= ObjectFlags.tracked
        }
        // VerifierAllocateFailCount: the object (with its context, as KMDF allocates them
        // together) is one framework allocation, unless the caller counted it already.
        if countsAllocation, let driverState, !driverState.mayAllocate() { throw .insufficientResources }
        if countsAllocation, let driverState, driverState.simulatesLowResourcesFailure() { throw .insufficientResources }
        if extras == nil, attributes.cleanup != nil || attributes.destroy != nil || attributes.context != nil
            || driverState?.settings.trackHandles == true
        {
            extras = ObjectExtras(creator: routine)
        }
        if let extras {
            extras.state.withLock { state in
                if let cleanup = attributes.cleanup { state.cleanup.append(cleanup) }
                if let destroy = attributes.destroy { state.destroy.append(destroy) }
            }
        }
        let callbackFlag = attributes.cleanup != nil || attributes.destroy != nil ? ObjectFlags.hasCallbacks : 0
        let (index, handle) = try ObjectLifetime.create(
            kind: kind, parent: owner.parent, driver: owner.driver, flags: flags | callbackFlag, extras: extras,
            prepare: prepare)
        if let context = attributes.context, let extras {
            do {
                let tag = driverState?.tag ?? DriverTag.fallback
                let memory = try ObjectContexts.make(
                    for: handle, key: context.key, bytes: attributes.contextBytes, tag: tag, alignment: attributes.contextAlignment)
                extras.state.withLock { $0.contexts.append(memory) }
            } catch {
                abandon(index)
                throw error
            }
        }
        return handle
    }

    /// Takes back an object whose creation failed after its slot was linked: no callbacks run.
    /// What `prepare` put in the slot (a memory object's buffer, a list object's fast-path
    /// record) stays the caller's to free.
    static func abandon(_ index: UInt32) {
        let slot = ObjectTable.slot(index)
        slot.pointee.buffer = nil
        slot.pointee.source = MemorySource.none.rawValue
        slot.cold.pointee.size = 0
        if let extras = ObjectExtras.of(slot) {
            extras.state.withLock { state in
                state.cleanup.removeAll()
                state.destroy.removeAll()
            }
        }
        slot.flagsByte.pointee |= ObjectFlags.cleanedUp
        ObjectLifetime.dispose(index)
    }
}

extension WdfObject {
    /// Creates a generic object. Corresponds to `WdfObjectCreate`.
    package static func create(attributes: WdfAttributes = WdfAttributes()) throws(NTStatus) -> WdfObject {
        if attributes.asksForNothingButAParent, let made = createPlainly(parent: attributes.parent) { return try made.get() }
        let owner = ObjectCreation.owner(parent: attributes.parent, routine: "WdfObjectCreate")
        try attributes.validate(forMemory: false)
        return try ObjectCreation.create(kind: .generic, attributes: attributes, owner: owner, routine: "WdfObjectCreate")
    }

    /// `WdfObjectCreate` in the common case: attributes that ask for nothing but a parent (the
    /// caller checks them) and an owner that `ObjectCreation.plainOwner` accepts. Returns nil,
    /// having done nothing, for anything else: the caller then takes the general path, which
    /// checks everything in the documented order.
    package static func createPlainly(parent: WdfObject?) -> Result<WdfObject, NTStatus>? {
        guard let (owner, driver, _) = ObjectCreation.plainOwner(of: parent) else { return nil }
        do {
            return .success(try ObjectLifetime.create(kind: .generic, parent: owner, driver: driver, extras: nil).handle)
        } catch {
            return .failure(error)
        }
    }

    /// The context of `type` on this object, or nil. Corresponds to
    /// `WdfObjectGetTypedContextWorker`.
    package func context(_ type: ContextType) -> UnsafeMutableRawPointer? {
        let slot = ObjectTable.resolve(self, routine: "WdfObjectGetTypedContextWorker")
        guard let extras = ObjectExtras.of(slot) else { return nil }
        return extras.state.withLock { $0.contexts.first { $0.key == type.key }?.memory }
    }

    /// Lends this object's context of type `Context` to `body` (nil when it has none).
    package func withContext<Context: BitwiseCopyable, Result>(
        _ type: Context.Type, _ body: (inout Context) throws -> Result
    ) rethrows -> Result? {
        guard let memory = context(ContextType(type)) else { return nil }
        return try body(&memory.assumingMemoryBound(to: Context.self).pointee)
    }

    /// Adds a context (and its callbacks) to an existing object. Corresponds to
    /// `WdfObjectAllocateContext`: the same type again returns the existing context with
    /// `.objectNameExists` as `existed`.
    /// - Throws: `.objectNameInvalid` without a context type, `.wdfParentAssignmentNotAllowed`
    ///   with a parent, `.deletePending` while the object is being deleted.
    package func allocateContext(_ attributes: WdfAttributes) throws(NTStatus) -> (context: UnsafeMutableRawPointer, existed: Bool) {
        try ObjectContextAllocation.allocate(self, attributes: attributes)
    }

    /// The object a context belongs to. Corresponds to `WdfObjectContextGetObject`.
    package static func owner(ofContext context: UnsafeMutableRawPointer) -> WdfObject {
        ObjectContexts.owner(of: context)
    }
}

enum ObjectContextAllocation {
    static func allocate(_ handle: WdfObject, attributes: WdfAttributes) throws(NTStatus)
        -> (context: UnsafeMutableRawPointer, existed: Bool)
    {
        let routine: StaticString = "WdfObjectAllocateContext"
        let slot = ObjectTable.resolve(handle, routine: routine)
        guard attributes.parent == nil else { throw .wdfParentAssignmentNotAllowed }
        guard let type = attributes.context else { throw .objectNameInvalid }
        try attributes.validate(forMemory: false)
        guard slot.pointee.state.load(ordering: .acquiring) == SlotState.live else { throw .deletePending }
        let extras: ObjectExtras
        if let existing = ObjectExtras.of(slot) {
            extras = existing
        } else {
            // An object made without extras gets them now (its owner thread publishes them). A
            // memory object from a lookaside list without extras runs its list's memory
            // callbacks (`ObjectLifetime.callbacks(of:destroy:)`); from now on it runs its
            // extras' callbacks, so they start with the list's.
            extras = ObjectExtras(creator: routine)
            let inherited = ObjectLifetime.listMemoryCallbacks(of: slot)
            extras.state.withLock { state in
                if let cleanup = inherited.cleanup { state.cleanup.append(cleanup) }
                if let destroy = inherited.destroy { state.destroy.append(destroy) }
            }
            ObjectExtras.attach(extras, to: slot)
        }
        if let existing = extras.state.withLock({ $0.contexts.first { $0.key == type.key } }) {
            return (existing.memory, true)
        }
        let driverState = DriverState.of(slot)
        driverState?.requireIrql(atMost: .dispatch, routine: routine)
        // VerifierAllocateFailCount: a context allocated later is a framework allocation of its own.
        if let driverState, !driverState.mayAllocate() { throw .insufficientResources }
        if let driverState, driverState.simulatesLowResourcesFailure() { throw .insufficientResources }
        let tag = driverState?.tag ?? DriverTag.fallback
        let memory = try ObjectContexts.make(
            for: handle, key: type.key, bytes: attributes.contextBytes, tag: tag, alignment: attributes.contextAlignment)
        let winner = extras.state.withLock { state -> ObjectExtras.Context in
            if let raced = state.contexts.first(where: { $0.key == type.key }) { return raced }
            state.contexts.append(memory)
            if let cleanup = attributes.cleanup { state.cleanup.append(cleanup) }
            if let destroy = attributes.destroy { state.destroy.append(destroy) }
            return memory
        }
        if attributes.cleanup != nil || attributes.destroy != nil { slot.flagsByte.pointee |= ObjectFlags.hasCallbacks }
        if winner.memory != memory.memory {
            ObjectContexts.free(memory)
            return (winner.memory, true)
        }
        return (memory.memory, false)
    }
}
