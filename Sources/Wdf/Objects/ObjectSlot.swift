import Synchronization
@_spi(Runtime) import NtKernel

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

/// One framework object: a fixed-size record in a chunk that is never freed, so a stale handle
/// can be checked against the slot's generation without touching freed memory.
///
/// The slot holds what every object uses (40 bytes). What only some objects use (child-list
/// links, extras, a buffer's size) is in its `ObjectColdSlot`, in a separate, lazily mapped
/// part of the same chunk: a memory object from a lookaside list whose parent is its driver
/// never touches that part, so it costs no memory.
struct ObjectSlot: ~Copyable {
    let generation = Atomic<UInt32>(1)
    let state = Atomic<UInt8>(SlotState.free)
    var kind: UInt8 = 0
    /// `ObjectFlags`.
    var flags: UInt8 = 0
    /// For memory objects: a `MemorySource`.
    var source: UInt8 = MemorySource.none.rawValue
    let references = Atomic<Int32>(0)
    /// Children linked (or being linked) under this object: lets a delete skip the child list
    /// (and its lock) when there are none. Bit 30 (`ObjectLifetime.watchedBit`) says a child
    /// could watch its siblings while they are disposed; bit 29 (`ObjectLifetime.passiveBit`)
    /// that a passive-only object is somewhere below.
    let childCount = Atomic<Int32>(0)
    /// The slot of the driver this object belongs to in the high 32 bits (the driver's own slot
    /// for a driver). The low 32 bits are 0, or, for an object whose parent is the driver
    /// (which keeps no child list), the creating thread's creation count: the order the
    /// driver's teardown disposes them in. Atomic, because the teardown scans every slot while
    /// other threads create and delete objects.
    let driverLink = Atomic<UInt64>(0)
    /// The parent's slot (0: none, or unlinked). Atomic: a child's first child reads it (to mark
    /// the grandparent, see `ObjectLifetime.watchedBit`) while the grandparent's delete may be
    /// detaching the child.
    let parent = Atomic<UInt32>(0)
    /// For memory from a lookaside-list object: that list's slot. For a lookaside-list object:
    /// its `ListDrain` state once it waits for its memory objects (0 before). Atomic for the
    /// latter: memory objects deleted on other threads read it. For a driver: see `plainTag`.
    let lookaside = Atomic<UInt32>(0)
    /// Memory objects: the buffer. Lookaside-list objects: their `LookasideFastPath`.
    var buffer: UnsafeMutableRawPointer? = nil

    /// The slot of the driver this object belongs to.
    var driver: UInt32 { UInt32(truncatingIfNeeded: driverLink.load(ordering: .relaxed) >> 32) }

    /// For a driver (in its `lookaside` field, which drivers do not otherwise use): its default
    /// pool tag when its verifier settings ask nothing of each allocation (no pool or handle
    /// tracking, no IRQL checks, no failing allocations), else 0. Set before the driver is
    /// published; the creation fast paths take it as their sign to go ahead.
    var plainTag: UInt32 { lookaside.load(ordering: .relaxed) }
}

/// The part of an object's record that most objects never touch. All zero in a fresh chunk,
/// and again whenever its slot is free: unlinking clears the links, destroying an object
/// clears its extras and size.
struct ObjectColdSlot {
    /// Callbacks, contexts, reference tags, kind-specific state: an `ObjectExtras` (retained).
    /// The slot's `ObjectFlags.hasExtras` mirrors it, so an object's own hot paths can tell
    /// without touching this record.
    var extras: UnsafeMutableRawPointer? = nil
    /// Memory objects from the pool or preallocated: the buffer's size (a lookaside list's
    /// memory takes its list's buffer size).
    var size: Int = 0
    /// Children, oldest first, guarded by the parent's stripe lock (0: none).
    var firstChild: UInt32 = 0
    var lastChild: UInt32 = 0
    /// Siblings under an object parent (a driver keeps no list), guarded by the parent's stripe lock.
    var nextSibling: UInt32 = 0
    var previousSibling: UInt32 = 0
    /// Lookaside-list objects: the executive list. The delete of a memory object reaches it from
    /// the list's slot number with arithmetic and this one load (its list slot's `buffer`, the
    /// `LookasideFastPath`, would be two more, on the path that the next create waits for).
    var lookasideList: LookasideHandle? = nil
}

extension UnsafeMutablePointer where Pointee == ObjectSlot {
    /// The slot's flags through a pointer of their own. Changing them so is an access to that one
    /// byte; `pointee.flags |= x` would be a modifying access to the whole slot, which
    /// ThreadSanitizer sees overlap another thread's handle check (an atomic read of the
    /// generation) although no byte is shared.
    /// (Offset 6: after the 4-byte generation, the state and the kind; the slot-layout tests
    /// check it.)
    @inline(__always)
    var flagsByte: UnsafeMutablePointer<UInt8> {
        (UnsafeMutableRawPointer(self) + 6).assumingMemoryBound(to: UInt8.self)
    }

    /// The slot's cold record: one chunk's worth of slots further on.
    @inline(__always)
    var cold: UnsafeMutablePointer<ObjectColdSlot> {
        (UnsafeMutableRawPointer(self) + ObjectTable.coldOffset).assumingMemoryBound(to: ObjectColdSlot.self)
    }
}

/// Per-object flags.
enum ObjectFlags {
    /// Must be disposed at PASSIVE_LEVEL (paged lookaside lists and their memory).
    static let passiveOnly: UInt8 = 0x1
    // 0x2 is free (it marked a finished creation, which nothing read).
    /// The cleanup callbacks have run.
    static let cleanedUp: UInt8 = 0x4
    /// Has an `ObjectExtras` (in its cold record).
    static let hasExtras: UInt8 = 0x8
    /// Has cleanup or destroy callbacks (its own or its lookaside list's memory attributes).
    static let hasCallbacks: UInt8 = 0x10
    /// Recorded by the verifier's pool tracking.
    static let tracked: UInt8 = 0x20
}
