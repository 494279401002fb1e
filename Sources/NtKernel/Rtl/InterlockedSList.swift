import Synchronization

/// The interlocked singly linked list (SLIST) of the 64-bit WDK, on a header in caller memory.
///
/// Corresponds to `InterlockedPushEntrySList`, `InterlockedPopEntrySList`,
/// `InterlockedFlushSList` and `InterlockedPushListSListEx`. The header is 16 bytes, 16-byte
/// aligned: the first word holds the depth (bits 0-15) and a sequence number (bits 16-63), the
/// second the first entry. Every change is one 16-byte compare-and-exchange of the whole header,
/// so the operations are lock-free and safe from any number of threads; the sequence number,
/// bumped by every change, keeps a pop from succeeding on a header that changed and changed back
/// (ABA). An entry's first word is its link to the next entry.
///
/// This is the C door's API (the Swift API has no use for an intrusive list in caller memory).
package enum InterlockedSList {
    private static let depthMask: UInt = 0xFFFF
    private static let sequenceUnit: UInt = 0x1_0000

    @inline(__always)
    private static func header(_ raw: UnsafeMutableRawPointer, _ routine: StaticString) -> UnsafeMutablePointer<Atomic<WordPair>> {
        if UInt(bitPattern: raw) & 15 != 0 {
            // A misaligned 16-byte interlocked operation faults on Windows; here it is reported.
            BugCheck.raise(
                .kmodeExceptionNotHandled, 0x8000_0002, UInt(bitPattern: raw), 0, 0,
                "\(routine): the SLIST_HEADER at 0x\(String(UInt(bitPattern: raw), radix: 16)) is not 16-byte aligned (STATUS_DATATYPE_MISALIGNMENT)")
        }
        return UnsafeMutablePointer<Atomic<WordPair>>(OpaquePointer(raw))
    }

    /// The link word of an entry, read and written atomically: a pop may read the link of an
    /// entry that another thread is pushing again at the same moment (the exchange then fails).
    @inline(__always)
    private static func link(_ entry: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<UInt>> {
        UnsafeMutablePointer<Atomic<UInt>>(OpaquePointer(entry))
    }

    @inline(__always)
    private static func next(_ state: WordPair, depthChange: Int, first: UInt) -> WordPair {
        let depth = UInt(bitPattern: Int(bitPattern: state.first & depthMask) &+ depthChange) & depthMask
        let sequence = (state.first & ~depthMask) &+ sequenceUnit
        return WordPair(first: sequence | depth, second: first)
    }

    /// Pushes the chain `first`...`last` (`count` entries already linked through their first
    /// word); returns the previous first entry.
    package static func push(
        _ rawHeader: UnsafeMutableRawPointer, first: UnsafeMutableRawPointer, last: UnsafeMutableRawPointer, count: Int,
        routine: StaticString
    ) -> UnsafeMutableRawPointer? {
        let header = header(rawHeader, routine)
        var state = header.pointee.load(ordering: .relaxed)
        while true {
            link(last).pointee.store(state.second, ordering: .relaxed)
            let desired = next(state, depthChange: count, first: UInt(bitPattern: first))
            let (exchanged, current) = header.pointee.compareExchange(
                expected: state, desired: desired, ordering: .acquiringAndReleasing)
            if exchanged { return UnsafeMutableRawPointer(bitPattern: state.second) }
            state = current
        }
    }

    /// Pops the first entry, or returns nil when the list is empty.
    package static func pop(_ rawHeader: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        let header = header(rawHeader, "InterlockedPopEntrySList")
        var state = header.pointee.load(ordering: .acquiring)
        while true {
            guard let first = UnsafeMutableRawPointer(bitPattern: state.second) else { return nil }
            let following = link(first).pointee.load(ordering: .relaxed)
            let desired = next(state, depthChange: -1, first: following)
            let (exchanged, current) = header.pointee.compareExchange(
                expected: state, desired: desired, ordering: .acquiringAndReleasing)
            if exchanged { return first }
            state = current
        }
    }

    /// Empties the list; returns its former first entry (the chain stays linked).
    package static func flush(_ rawHeader: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        let header = header(rawHeader, "InterlockedFlushSList")
        var state = header.pointee.load(ordering: .acquiring)
        while true {
            if state.second == 0 { return nil }
            let desired = WordPair(first: (state.first & ~depthMask) &+ sequenceUnit, second: 0)
            let (exchanged, current) = header.pointee.compareExchange(
                expected: state, desired: desired, ordering: .acquiringAndReleasing)
            if exchanged { return UnsafeMutableRawPointer(bitPattern: state.second) }
            state = current
        }
    }
}
