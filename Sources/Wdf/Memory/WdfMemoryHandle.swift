package import NtKernel

/// A framework memory object: a buffer with an object's lifetime. Corresponds to `WDFMEMORY`.
package struct WdfMemoryHandle: Hashable, Sendable {
    package let object: WdfObject
    package init(_ object: WdfObject) { self.object = object }

    /// Creates a memory object with a new buffer of `size` bytes (not zeroed; 16-byte aligned,
    /// page-aligned at a page or more), accounted under `tag` (nil: the driver's tag).
    /// Corresponds to `WdfMemoryCreate`.
    package static func create(
        attributes: WdfAttributes = WdfAttributes(), poolType: PoolType = .nonPaged, tag: PoolTag? = nil, size: Int
    ) throws(NTStatus) -> WdfMemoryHandle {
        if attributes.asksForNothingButAParent,
            let made = MemoryObjects.createPlainly(parent: attributes.parent, poolType: poolType, tag: tag?.rawValue ?? 0, size: size)
        {
            return try made.get().memory
        }
        let owner = ObjectCreation.owner(parent: attributes.parent, routine: "WdfMemoryCreate")
        // A negative size is no size: `.invalidParameter`, as for 0.
        return try MemoryObjects.create(
            owner: owner, attributes: { () throws(NTStatus) in attributes }, validateForMemory: true, poolType: poolType,
            tag: tag?.rawValue ?? 0, size: size < 0 ? 0 : UInt(size), clearOutput: {})
    }

    /// Creates a memory object over a buffer the caller owns (never freed by the framework).
    /// Corresponds to `WdfMemoryCreatePreallocated`.
    package static func createPreallocated(attributes: WdfAttributes = WdfAttributes(), buffer: UnsafeMutableRawBufferPointer)
        throws(NTStatus) -> WdfMemoryHandle
    {
        let owner = ObjectCreation.owner(parent: attributes.parent, routine: "WdfMemoryCreatePreallocated")
        guard let base = buffer.baseAddress else { ObjectTable.requiredParameterMissing("Buffer", routine: "WdfMemoryCreatePreallocated") }
        return try MemoryObjects.createPreallocated(
            owner: owner, attributes: { () throws(NTStatus) in attributes }, buffer: base, size: UInt(buffer.count), clearOutput: {})
    }

    /// Points a preallocated memory object at another caller-owned buffer. Corresponds to
    /// `WdfMemoryAssignBuffer`.
    package func assign(_ buffer: UnsafeMutableRawBufferPointer) throws(NTStatus) {
        guard let base = buffer.baseAddress else { ObjectTable.requiredParameterMissing("Buffer", routine: "WdfMemoryAssignBuffer") }
        try MemoryObjects.assign(object, buffer: base, size: UInt(buffer.count))
    }

    /// The buffer's size. Corresponds to `WdfMemoryGetBuffer(Memory, &Size)`.
    package var size: Int { MemoryObjects.buffer(of: object).size }

    /// Lends the buffer to `body`. Corresponds to `WdfMemoryGetBuffer`.
    package func withUnsafeMutableBytes<Result, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let (buffer, size) = MemoryObjects.buffer(of: object)
        return try body(UnsafeMutableRawBufferPointer(start: buffer, count: size))
    }

    /// Copies from the buffer at `offset` into `destination`. Corresponds to
    /// `WdfMemoryCopyToBuffer`.
    /// - Throws: `.invalidParameter` for an empty destination, `.bufferTooSmall` when the range
    ///   does not fit.
    package func copy(into destination: UnsafeMutableRawBufferPointer, fromOffset offset: Int = 0) throws(NTStatus) {
        guard let base = destination.baseAddress else {
            if destination.isEmpty { throw .invalidParameter }
            ObjectTable.requiredParameterMissing("Buffer", routine: "WdfMemoryCopyToBuffer")
        }
        // A negative offset is past every buffer's end.
        try MemoryObjects.copy(object, offset: UInt(bitPattern: offset), other: base, count: UInt(destination.count), toCaller: true)
    }

    /// Copies `source` into the buffer at `offset`. Corresponds to `WdfMemoryCopyFromBuffer`.
    /// - Throws: `.invalidParameter` for an empty source, `.invalidBufferSize` when the range
    ///   does not fit.
    package func copy(from source: UnsafeRawBufferPointer, toOffset offset: Int = 0) throws(NTStatus) {
        guard let base = source.baseAddress else {
            if source.isEmpty { throw .invalidParameter }
            ObjectTable.requiredParameterMissing("Buffer", routine: "WdfMemoryCopyFromBuffer")
        }
        try MemoryObjects.copy(
            object, offset: UInt(bitPattern: offset), other: UnsafeMutableRawPointer(mutating: base), count: UInt(source.count),
            toCaller: false)
    }

    /// Deletes the memory object (its buffer goes back to the pool or its lookaside list).
    package func delete() { object.delete() }
}

/// The work behind the memory routines, in the order the reference pages give; the C door calls these.
package enum MemoryObjects {
    /// `WdfMemoryCreate` after the early parent lookup and the out-pointer check.
    /// `attributes` validates lazily so its errors come in their place; `clearOutput` is
    /// `*Memory = NULL`. `size` is the C `size_t` as it is: 2^63 bytes or more is an allocation
    /// that fails (`.insufficientResources`).
    package static func create(
        owner: (parent: UInt32, driver: UInt32), attributes: () throws(NTStatus) -> WdfAttributes,
        validateForMemory: Bool, poolType: PoolType, tag: UInt32, size: UInt, clearOutput: () -> Void
    ) throws(NTStatus) -> WdfMemoryHandle {
        let routine: StaticString = "WdfMemoryCreate"
        let driver = DriverState.of(ObjectTable.slot(owner.driver))
        driver?.requireIrql(atMost: poolType.irqlLimit, routine: routine)
        if driver?.settings.checksIrql == true, Irql.current > poolType.irqlLimit { throw .invalidDeviceRequest }
        guard size != 0 else { throw .invalidParameter }
        clearOutput()
        let attributes = try attributes()
        if validateForMemory { try attributes.validate(forMemory: true) }
        let poolTag = tag != 0 ? PoolTag(rawValue: tag) : (driver?.tag ?? DriverTag.fallback)
        guard driver?.mayAllocate() ?? true else { throw .insufficientResources }
        if let driver, driver.simulatesLowResourcesFailure() { throw .insufficientResources }
        guard let size = Int(exactly: size) else { throw .insufficientResources }
        let buffer: UnsafeMutableRawPointer
        do { buffer = try Pool.allocate(poolType, byteCount: size, tag: poolTag) } catch { throw .insufficientResources }
        do {
            let handle = try ObjectCreation.create(
                kind: .memory, attributes: attributes, owner: owner, countsAllocation: false, routine: routine
            ) { slot in
                slot.hold(buffer, size: size, from: .pool)
                if poolType.isPaged { slot.flagsByte.pointee |= ObjectFlags.passiveOnly }
            }
            if let driver { Verifier.track(handle.index!, driver: driver, kind: .memory, tag: poolTag, size: size, creator: routine) }
            return WdfMemoryHandle(handle)
        } catch {
            Pool.free(buffer)
            throw error
        }
    }

    /// `WdfMemoryCreate` in the common case, with no closure, attributes value or class instance
    /// on the way: attributes that ask for nothing but a parent (the caller checks them), an
    /// owner that `ObjectCreation.plainOwner` accepts, a size above 0. Returns nil, having
    /// done nothing, for anything else: the caller then takes `create(owner:attributes:...)`,
    /// which checks everything in the documented order. Otherwise its steps are that path's, in
    /// its order: the buffer (failure: `.insufficientResources`), then the object (a failure
    /// frees the buffer and is thrown as that path throws it).
    package static func createPlainly(parent: WdfObject?, poolType: PoolType, tag: UInt32, size: Int)
        -> Result<(memory: WdfMemoryHandle, buffer: UnsafeMutableRawPointer), NTStatus>?
    {
        guard size > 0, let (owner, driver, driverTag) = ObjectCreation.plainOwner(of: parent) else { return nil }
        let buffer: UnsafeMutableRawPointer
        do {
            buffer = try Pool.allocate(poolType, byteCount: size, tag: PoolTag(rawValue: tag != 0 ? tag : driverTag))
        } catch {
            return .failure(.insufficientResources)
        }
        do {
            let (_, handle) = try ObjectLifetime.create(
                kind: .memory, parent: owner, driver: driver, flags: poolType.isPaged ? ObjectFlags.passiveOnly : 0, extras: nil
            ) { slot in
                slot.hold(buffer, size: size, from: .pool)
            }
            return .success((WdfMemoryHandle(handle), buffer))
        } catch {
            Pool.free(buffer)
            return .failure(error)
        }
    }

    /// `WdfMemoryCreatePreallocated` after the NULL checks: `*Memory = NULL`, size, attributes.
    /// `size` is the C `size_t`: 0, or 2^63 bytes or more (no buffer in the address space is that
    /// big), is `.invalidParameter`.
    package static func createPreallocated(
        owner: (parent: UInt32, driver: UInt32), attributes: () throws(NTStatus) -> WdfAttributes,
        buffer: UnsafeMutableRawPointer, size: UInt, clearOutput: () -> Void
    ) throws(NTStatus) -> WdfMemoryHandle {
        clearOutput()
        guard size != 0, let size = Int(exactly: size) else { throw .invalidParameter }
        let attributes = try attributes()
        try attributes.validate(forMemory: true)
        let handle = try ObjectCreation.create(
            kind: .memory, attributes: attributes, owner: owner, routine: "WdfMemoryCreatePreallocated"
        ) { slot in
            slot.hold(buffer, size: size, from: .preallocated)
        }
        return WdfMemoryHandle(handle)
    }

    /// `WdfMemoryAssignBuffer`: only preallocated memory (anything else is bug check 0x10D/5).
    /// `size` 0, or 2^63 or more, is `.invalidParameter`.
    package static func assign(_ memory: WdfObject, buffer: UnsafeMutableRawPointer, size: UInt) throws(NTStatus) {
        let routine: StaticString = "WdfMemoryAssignBuffer"
        let slot = ObjectTable.resolve(memory, kinds: .memory, routine: routine)
        guard slot.pointee.source == MemorySource.preallocated.rawValue else {
            BugCheck.raise(.wdfViolation, 0x5, memory.rawValue, 0, 0, "\(routine): \(memory) is not preallocated memory")
        }
        guard size != 0, let size = Int(exactly: size) else { throw .invalidParameter }
        slot.pointee.buffer = buffer
        slot.cold.pointee.size = size
    }

    /// `WdfMemoryGetBuffer`.
    package static func buffer(of memory: WdfObject) -> (buffer: UnsafeMutableRawPointer, size: Int) {
        let slot = ObjectTable.resolve(memory, kinds: .memory, routine: "WdfMemoryGetBuffer")
        return (slot.pointee.buffer!, size(of: slot))
    }

    /// A memory object's buffer size: its list's buffer size for memory from a lookaside list
    /// (a list with buffers out is not destroyed), else the size recorded at creation.
    @inline(__always)
    static func size(of slot: UnsafeMutablePointer<ObjectSlot>) -> Int {
        guard slot.pointee.source == MemorySource.lookaside.rawValue else { return slot.cold.pointee.size }
        let list = ObjectTable.slot(slot.pointee.lookaside.load(ordering: .relaxed)).pointee.buffer.unsafelyUnwrapped
        return list.assumingMemoryBound(to: LookasideFastPath.self).pointee.bufferSize
    }

    /// `WdfMemoryCopyToBuffer` (`toCaller`) and `WdfMemoryCopyFromBuffer`: count 0 →
    /// `.invalidParameter`; offset != 0 and offset >= size, or count > size - offset →
    /// `.bufferTooSmall` (to the caller) or `.invalidBufferSize` (from the caller). Offset and
    /// count are the C `size_t`s as they are: the checks are unsigned and cannot overflow, so
    /// every value up to `SIZE_MAX` gets its status and nothing outside the buffer is touched.
    package static func copy(_ memory: WdfObject, offset: UInt, other: UnsafeMutableRawPointer, count: UInt, toCaller: Bool)
        throws(NTStatus)
    {
        let routine: StaticString = toCaller ? "WdfMemoryCopyToBuffer" : "WdfMemoryCopyFromBuffer"
        let slot = ObjectTable.resolve(memory, kinds: .memory, routine: routine)
        guard count != 0 else { throw .invalidParameter }
        let size = UInt(size(of: slot))
        // offset < size (or 0) first, so `size - offset` cannot wrap.
        guard offset == 0 || offset < size, count <= size - offset else {
            throw toCaller ? .bufferTooSmall : .invalidBufferSize
        }
        // Both are now at most `size`, which fits an Int.
        let buffer = slot.pointee.buffer! + Int(offset)
        if toCaller {
            other.copyMemory(from: buffer, byteCount: Int(count))
        } else {
            buffer.copyMemory(from: other, byteCount: Int(count))
        }
    }
}

extension UnsafeMutablePointer where Pointee == ObjectSlot {
    /// Makes a memory object's slot hold a pool or preallocated buffer of `size` bytes (a
    /// lookaside list's memory takes its size from its list instead).
    @inline(__always)
    func hold(_ buffer: UnsafeMutableRawPointer, size: Int, from source: MemorySource) {
        pointee.buffer = buffer
        cold.pointee.size = size
        pointee.source = source.rawValue
    }
}

/// Kind-specific work when an object is destroyed.
enum KindHooks {
    /// A memory object's buffer goes back to where it came from.
    @inline(__always)
    static func destroyMemory(_ slot: UnsafeMutablePointer<ObjectSlot>) {
        switch slot.pointee.source {
        case MemorySource.pool.rawValue:
            if let buffer = slot.pointee.buffer { Pool.free(buffer) }
            slot.cold.pointee.size = 0
        case MemorySource.lookaside.rawValue:
            LookasideObjects.giveBack(slot)
        case MemorySource.preallocated.rawValue:
            slot.cold.pointee.size = 0
        default:
            break
        }
        slot.pointee.buffer = nil
    }

    static func destroy(_ slot: UnsafeMutablePointer<ObjectSlot>, index: UInt32) {
        switch slot.pointee.kind {
        case ObjectKind.memory.rawValue:
            destroyMemory(slot)
        case ObjectKind.lookaside.rawValue:
            ObjectExtras.of(slot)?.lookaside?.list = nil  // deletes the executive list (frees cached entries)
            slot.pointee.buffer?.assumingMemoryBound(to: LookasideFastPath.self).deallocate()
            slot.pointee.buffer = nil
            slot.cold.pointee.lookasideList = nil
        case ObjectKind.spinLock.rawValue, ObjectKind.waitLock.rawValue:
            FrameworkLocks.destroy(slot)
        default:
            break
        }
    }
}
