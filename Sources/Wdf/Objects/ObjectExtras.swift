import Synchronization
import NtKernel

/// What an object keeps beyond its slot: callbacks, contexts, reference tags and kind-specific
/// state. Created at object creation only for objects that need it.
final class ObjectExtras: @unchecked Sendable {
    struct Context: @unchecked Sendable {
        let key: UInt
        /// The caller's context memory; a 16-byte header before it holds the handle and key.
        let memory: UnsafeMutableRawPointer
        /// The pool block that holds header and context (the context is aligned within it).
        let block: UnsafeMutableRawPointer
    }

    struct State: @unchecked Sendable {
        var cleanup: [ObjectCallback] = []
        var destroy: [ObjectCallback] = []
        var contexts: [Context] = []
        /// References taken and not released yet, oldest first (handle tracking).
        var heldReferences: [TrackedReference] = []
        /// The latest references and releases, oldest first, at most
        /// `TrackedReference.historyCapacity` (handle tracking).
        var referenceHistory: [TrackedReference] = []
    }

    let state = KernelLock(State())
    /// Set for driver objects.
    var driver: DriverState?
    /// Set for lookaside-list objects.
    var lookaside: LookasideObjectState?
    /// The routine that created the object (leak reports).
    let creator: StaticString

    init(creator: StaticString) { self.creator = creator }

    /// The object's extras. Reads the pointer, not the `hasExtras` flag: other threads ask for a
    /// driver's extras while its teardown updates the driver's flags. (For an object without
    /// extras the read maps the kernel's shared zero page, not memory of its own.)
    @inline(__always)
    static func of(_ slot: UnsafeMutablePointer<ObjectSlot>) -> ObjectExtras? {
        guard let raw = slot.cold.pointee.extras else { return nil }
        return Unmanaged<ObjectExtras>.fromOpaque(raw).takeUnretainedValue()
    }

    static func attach(_ extras: ObjectExtras, to slot: UnsafeMutablePointer<ObjectSlot>) {
        slot.cold.pointee.extras = Unmanaged.passRetained(extras).toOpaque()
        slot.flagsByte.pointee |= ObjectFlags.hasExtras
    }

    /// Releases the object's extras, if any, and leaves its cold record's field empty.
    static func detach(from slot: UnsafeMutablePointer<ObjectSlot>) {
        guard slot.pointee.flags & ObjectFlags.hasExtras != 0 else { return }
        slot.flagsByte.pointee &= ~ObjectFlags.hasExtras
        if let raw = slot.cold.pointee.extras { Unmanaged<ObjectExtras>.fromOpaque(raw).release() }
        slot.cold.pointee.extras = nil
    }
}

/// Object contexts: zero-filled memory attached to an object, found by type.
enum ObjectContexts {
    static let headerSize = 16

    /// Allocates a context of `bytes` for `handle` under `tag`, aligned to `alignment` (a power
    /// of two; pool blocks are 16-byte aligned, so a larger alignment costs up to
    /// `alignment - 16` bytes more).
    static func make(for handle: WdfObject, key: UInt, bytes: Int, tag: PoolTag, alignment: Int = headerSize) throws(NTStatus)
        -> ObjectExtras.Context
    {
        let slack = max(alignment, headerSize) - headerSize
        let block = try Pool.allocate(.nonPaged.union(.zeroAllocation), byteCount: headerSize + slack + max(bytes, 1), tag: tag)
        let start = UInt(bitPattern: block + headerSize)
        let aligned = (start + UInt(slack)) & ~UInt(max(alignment, headerSize) - 1)
        let memory = block + Int(aligned - start) + headerSize
        (memory - headerSize).storeBytes(of: handle.rawValue, as: UInt.self)
        (memory - headerSize).storeBytes(of: key, toByteOffset: 8, as: UInt.self)
        return ObjectExtras.Context(key: key, memory: memory, block: block)
    }

    static func free(_ context: ObjectExtras.Context) { Pool.free(context.block) }

    /// The object a context belongs to. Corresponds to `WdfObjectContextGetObject`.
    static func owner(of context: UnsafeMutableRawPointer) -> WdfObject {
        WdfObject(rawValue: (context - headerSize).load(as: UInt.self))
    }
}
