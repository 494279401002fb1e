import Synchronization
import NtKernel

/// The life of an object in its slot.
enum SlotState {
    static let free: UInt8 = 0
    static let live: UInt8 = 1
    /// Deletion has begun: children are being disposed, no new child may be added.
    static let disposing: UInt8 = 2
    /// Cleanup has run; the object stays readable until its last reference goes.
    static let disposed: UInt8 = 3
}

/// Where a memory object's buffer comes from.
enum MemorySource: UInt8 {
    case none = 0
    case pool
    case preallocated
    case lookaside
}

/// One framework object: a fixed-size record in a slab, never freed, so a stale handle can be
/// checked against the slot's generation without touching freed memory.
///
/// Parent/child links are slot indices (0: none), guarded by the parent's stripe lock. The
/// kind-specific fields (buffer, size, source) serve memory objects; other state lives in
/// `ObjectExtras`, created only when an object needs it.
struct ObjectSlot: ~Copyable {
    let generation = Atomic<UInt32>(1)
    let state = Atomic<UInt8>(SlotState.free)
    let references = Atomic<Int32>(0)
    /// Children linked (or being linked) under this object: lets a delete skip the child list
    /// (and its lock) when there are none.
    let childCount = Atomic<Int32>(0)
    /// For an object whose parent is the driver (which keeps no child list): the driver's slot
    /// in the high 32 bits and the creating thread's creation count in the low 32 (the order
    /// the driver's teardown disposes them in); 0 otherwise. Atomic, because the teardown scans
    /// every slot while other threads create and delete objects.
    let implicitLink = Atomic<UInt64>(0)
    var kind: UInt8 = 0
    /// `ObjectFlags`.
    var flags: UInt8 = 0
    var parent: UInt32 = 0
    var firstChild: UInt32 = 0
    var lastChild: UInt32 = 0
    var nextSibling: UInt32 = 0
    var previousSibling: UInt32 = 0
    /// The slot of the driver this object belongs to (0 for the driver itself).
    var driver: UInt32 = 0
    /// Callbacks, contexts, reference tags, kind-specific state: an `ObjectExtras` (retained).
    var extras: UnsafeMutableRawPointer? = nil
    // Memory objects.
    var buffer: UnsafeMutableRawPointer? = nil
    var size: Int = 0
    var source: UInt8 = MemorySource.none.rawValue
    /// For memory from a lookaside-list object: that list's slot.
    var lookaside: UInt32 = 0
}

/// Per-object flags.
enum ObjectFlags {
    /// Must be disposed at PASSIVE_LEVEL (paged lookaside lists and their memory).
    static let passiveOnly: UInt8 = 0x1
    /// Created successfully: callbacks may run.
    static let created: UInt8 = 0x2
    /// The cleanup callbacks have run.
    static let cleanedUp: UInt8 = 0x4
    /// Has cleanup or destroy callbacks (its own or its lookaside list's memory attributes).
    static let hasCallbacks: UInt8 = 0x10
    /// Recorded by the verifier's pool tracking.
    static let tracked: UInt8 = 0x20
}
