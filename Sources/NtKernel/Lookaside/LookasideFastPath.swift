// The lookaside hot path, inlinable so that the C exports and the framework's fast paths contain
// it: the calling thread's magazine, reached from the list and the thread context with four loads,
// and a tail call to the slow path for everything else.
public import CRuntimeShims
public import Synchronization

extension UnsafeMutablePointer where Pointee == LookasideCore {
    // MARK: Hot path

    /// Takes an entry. Corresponds to `ExAllocateFromLookasideListEx`.
    @inlinable @inline(__always)
    func allocate(routine: StaticString) -> UnsafeMutableRawPointer? {
        if let entry = allocateFromMagazine() { return entry }
        return allocateSlow(routine: routine)
    }

    /// Returns an entry. Corresponds to `ExFreeToLookasideListEx`.
    @inlinable @inline(__always)
    func free(_ entry: UnsafeMutableRawPointer, routine: StaticString) {
        if freeToMagazine(entry) { return }
        freeSlow(entry, routine: routine)
    }

    /// Takes an entry from the calling thread's magazine (its `last` entry if it has one), or
    /// returns nil when the call needs the slow path: an empty magazine, the thread's first call
    /// on the list, a flush to catch up with (the flush clears the magazine's key), a thread
    /// without a slot, or an IRQL too high.
    @inlinable @inline(__always)
    func allocateFromMagazine() -> UnsafeMutableRawPointer? {
        guard nt_driver_verifier_active() == 0, let raw = nt_thread_context_get() else { return nil }
        let context = raw.assumingMemoryBound(to: ThreadContext.self)
        let magazine = pointee.magazines.magazine(atOffset: context.pointee.magazineOffset)
        guard context.pointee.irql <= pointee.irqlLimit.rawValue,
            magazine.pointee.key.load(ordering: .relaxed) == UInt(bitPattern: raw)
        else { return nil }
        if let last = magazine.pointee.last {
            magazine.pointee.last = nil
            LookasideCounters.bump(magazine.pointee.allocates)
            return last
        }
        let count = magazine.pointee.count
        guard count > 0 else { return nil }
        magazine.pointee.count = count &- 1
        LookasideCounters.bump(magazine.pointee.allocates)
        return magazine.entries[count &- 1]
    }

    /// Puts an entry into the calling thread's magazine while the list caches fewer than Depth
    /// entries (this thread's magazine plus the depot) and the magazine has room; false when the
    /// call needs the slow path.
    @inlinable @inline(__always)
    func freeToMagazine(_ entry: UnsafeMutableRawPointer) -> Bool {
        guard nt_driver_verifier_active() == 0, let raw = nt_thread_context_get() else { return false }
        let context = raw.assumingMemoryBound(to: ThreadContext.self)
        let magazine = pointee.magazines.magazine(atOffset: context.pointee.magazineOffset)
        guard context.pointee.irql <= pointee.irqlLimit.rawValue,
            magazine.pointee.key.load(ordering: .relaxed) == UInt(bitPattern: raw)
        else { return false }
        let count = magazine.pointee.count
        if let last = magazine.pointee.last {
            guard count &+ 1 < pointee.freeLimit.load(ordering: .relaxed) else { return false }
            magazine.entries[count] = last
            magazine.pointee.count = count &+ 1
        } else {
            guard count < pointee.freeLimit.load(ordering: .relaxed) else { return false }
        }
        magazine.pointee.last = entry
        LookasideCounters.countFree(magazine.pointee.frees)
        return true
    }
}

extension LookasideHandle {
    /// The list in caller storage if it holds one (no bug check: the slow path makes it).
    @inlinable @inline(__always)
    static func core(in storage: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<LookasideCore>? {
        guard let storage else { return nil }
        let address = storage.load(fromByteOffset: 8, as: UInt.self)
        guard storage.load(as: UInt.self) ^ address == checkWord else { return nil }
        return UnsafeMutablePointer(bitPattern: address)
    }

    /// Resolves the list in caller storage and takes an entry, in one call: the C door's hot
    /// path, with a single way out (a tail call) for everything else, bug checks included.
    /// Corresponds to `ExAllocateFromLookasideListEx` (and the legacy `ExAllocateFrom…LookasideListEx`).
    @inlinable @inline(__always)
    package static func allocate(from storage: UnsafeMutableRawPointer?, routine: StaticString) -> UnsafeMutableRawPointer? {
        if let core = core(in: storage), let entry = core.allocateFromMagazine() { return entry }
        return allocateSlow(from: storage, routine: routine)
    }

    /// Resolves the list in caller storage and gives an entry back, in one call. A NULL entry is
    /// bug check `BAD_POOL_CALLER` (0xC2/0x99). Corresponds to `ExFreeToLookasideListEx`.
    @inlinable @inline(__always)
    public static func free(_ entry: UnsafeMutableRawPointer?, to storage: UnsafeMutableRawPointer?, routine: StaticString) {
        // The NULL entry's bug check has a way out of its own: sharing the slow path's, its test
        // would be merged with the storage's into flag arithmetic ahead of both branches.
        guard let entry else { nullEntry(routine: routine) }
        if let core = core(in: storage), core.freeToMagazine(entry) { return }
        freeSlow(to: storage, entry, routine: routine)
    }

    /// `allocate(from:routine:)` behind a call, for the entry points that share one copy of
    /// it (the legacy NPAGED_/PAGED_LOOKASIDE_LIST routines). Identical inline copies would be
    /// folded into one body that every routine, `ExAllocateFromLookasideListEx` included, jumps to.
    @inline(never)
    package static func allocateByCall(from storage: UnsafeMutableRawPointer?, routine: StaticString) -> UnsafeMutableRawPointer? {
        allocate(from: storage, routine: routine)
    }

    /// `free(_:to:routine:)` behind a call (see `allocateByCall`).
    @inline(never)
    package static func freeByCall(_ entry: UnsafeMutableRawPointer?, to storage: UnsafeMutableRawPointer?, routine: StaticString) {
        free(entry, to: storage, routine: routine)
    }

    @usableFromInline @inline(never)
    static func allocateSlow(from storage: UnsafeMutableRawPointer?, routine: StaticString) -> UnsafeMutableRawPointer? {
        LookasideHandle(resolving: requireStorage(storage, routine: routine), routine: routine).core.allocateSlow(routine: routine)
    }

    @usableFromInline @inline(never)
    static func freeSlow(to storage: UnsafeMutableRawPointer?, _ entry: UnsafeMutableRawPointer, routine: StaticString) {
        LookasideHandle(resolving: requireStorage(storage, routine: routine), routine: routine).core.freeSlow(entry, routine: routine)
    }

    /// A NULL entry is bug check `BAD_POOL_CALLER` (0xC2/0x99), ahead of any check of the list.
    @usableFromInline @inline(never)
    static func nullEntry(routine: StaticString) -> Never {
        BugCheck.badPoolCaller(.invalidAddress, 0, 0, 0, "\(routine): the entry is NULL")
    }

    /// A NULL list pointer is bug check `DRIVER_VERIFIER_DETECTED_VIOLATION` (p1 0xF0).
    @inlinable @inline(__always)
    package static func requireStorage(_ storage: UnsafeMutableRawPointer?, routine: StaticString) -> UnsafeMutableRawPointer {
        guard let storage else { nullStorage(routine: routine) }
        return storage
    }

    @usableFromInline @inline(never)
    static func nullStorage(routine: StaticString) -> Never {
        BugCheck.raise(
            .driverVerifierDetectedViolation, notInitializedViolation, 0, 0, 0, "\(routine): the lookaside list pointer is NULL")
    }
}
