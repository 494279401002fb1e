import NtKernel

/// The framework's lock objects, `WDFSPINLOCK` and `WDFWAITLOCK`: framework objects like any
/// other (attributes, a parent, contexts, cleanup and destroy callbacks; deleted with their
/// parent) whose lock lives in a small non-paged pool block under the driver's tag, kept in the
/// object's slot and freed when the object is destroyed. The locking itself is NtKernel's:
/// the executive spin lock (`KSPIN_LOCK`, IRQL raised to DISPATCH_LEVEL while held) and the
/// kernel event (`KEVENT`, a real sleep while another thread holds the lock).
///
/// Misuse stops as the framework's verifier does, with `WDF_VIOLATION` (0x10D):
/// - acquiring a lock the thread already holds: parameter 1 `WDF_RECURSIVE_LOCK` (0x2),
///   parameter 2 the lock's handle (on Windows the thread would spin or wait forever);
/// - releasing a lock the thread does not hold: parameter 1 `WDF_INVALID_LOCK_OPERATION` (0xB),
///   parameter 2 the handle, parameter 3 0x1 (as KMDF's `WDFSPINLOCK` verifier).
/// These checks read the lock's own owner word and cost nothing beyond it, so they are always
/// on, not only with the verifier.
enum FrameworkLocks {
    /// The lock block's size: a spin lock uses its first 16 bytes (the `KSPIN_LOCK` word, the
    /// IRQL to return to), a wait lock its first 32 (a `KEVENT`, the owner).
    static let blockSize = 64

    static let recursiveLock: UInt = 0x2
    static let invalidLockOperation: UInt = 0xB

    /// Creates a lock object of `kind` with its block, set up by `initialize`.
    static func create(
        kind: ObjectKind, attributes: WdfAttributes, routine: StaticString,
        initialize: (UnsafeMutableRawPointer) -> Void
    ) throws(NTStatus) -> WdfObject {
        let owner = ObjectCreation.owner(parent: attributes.parent, routine: routine)
        try attributes.validate(forMemory: false)
        let driver = DriverState.of(ObjectTable.slot(owner.driver))
        let block: UnsafeMutableRawPointer
        do {
            block = try Pool.allocate(.nonPagedNx.union(.zeroAllocation), byteCount: blockSize, tag: driver?.tag ?? DriverTag.fallback)
        } catch {
            throw .insufficientResources
        }
        initialize(block)
        do {
            // The object (with its lock) is one framework allocation, as in KMDF.
            return try ObjectCreation.create(kind: kind, attributes: attributes, owner: owner, routine: routine) { slot in
                slot.pointee.buffer = block
            }
        } catch {
            Pool.free(block)
            throw error
        }
    }

    /// The lock block of a live lock object of `kind` (any other handle: 0x10D/5).
    @inline(__always)
    static func block(_ object: WdfObject, kinds: ObjectKinds, routine: StaticString) -> UnsafeMutableRawPointer {
        ObjectTable.resolve(object, kinds: kinds, routine: routine).pointee.buffer.unsafelyUnwrapped
    }

    /// Frees a destroyed lock object's block.
    static func destroy(_ slot: UnsafeMutablePointer<ObjectSlot>) {
        if let block = slot.pointee.buffer { Pool.free(block) }
        slot.pointee.buffer = nil
    }

    static func recursiveAcquire(_ object: WdfObject, routine: StaticString) -> Never {
        BugCheck.raise(
            .wdfViolation, recursiveLock, object.rawValue, 0, 0,
            "\(routine): this thread already holds \(object); acquiring it again would never return (WDF_RECURSIVE_LOCK)")
    }

    static func releaseNotHeld(_ object: WdfObject, routine: StaticString) -> Never {
        BugCheck.raise(
            .wdfViolation, invalidLockOperation, object.rawValue, 0x1, 0,
            "\(routine): \(object) is not held by this thread (WDF_INVALID_LOCK_OPERATION)")
    }
}
