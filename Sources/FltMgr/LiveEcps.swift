public import Synchronization

/// The words the ECP fast paths read, in one allocation reached through one global: a word per
/// filter slot (see `FilterTable`), then the table of live ECPs (see `LiveEcps`).
///
/// Made with the filter table, before the first filter exists (so before any ECP does), and never
/// freed. `words` is a constant-initialized global, read without a lazy-initialization check; it
/// is nil until then, and a fast path that finds it nil takes the slow path. Written once, so
/// never under a conflicting access: `@exclusivity(unchecked)` spares every read a runtime
/// exclusivity check (the compiler cannot see every access of a `@usableFromInline` variable).
@usableFromInline
enum EcpHotTable {
    @exclusivity(unchecked) @usableFromInline nonisolated(unsafe) static var words: UnsafeMutablePointer<Atomic<UInt>>? = nil

    /// Words before the live table: one per filter slot.
    @inlinable static var filterWords: Int { 256 }

    /// Where the table starts in its first page. The filter words are read first on every call,
    /// right after the stores of the last call: an offset that lies where blocks rarely start (a
    /// pool page's first block starts at 16, its ECP header runs to 96) keeps those loads from
    /// looking like they depend on those stores (4 KiB aliasing).
    static var pageOffset: Int { 0x200 }

    static func create() {
        let count = filterWords + LiveEcps.slotCount
        let memory = UnsafeMutableRawPointer.allocate(byteCount: pageOffset + count * MemoryLayout<UInt>.stride, alignment: 4096)
        let table = (memory + pageOffset).bindMemory(to: Atomic<UInt>.self, capacity: count)
        for index in 0..<filterWords { (table + index).initialize(to: Atomic(FilterTable.vacantWord(index))) }
        for index in filterWords..<count { (table + index).initialize(to: Atomic(0)) }
        words = table
    }
}

/// The contexts of live ECPs, in a direct-mapped table indexed by address: what lets
/// `FltFreeExtraCreateParameter` trust an ECP's header without asking the pool first.
///
/// Every allocation stores its context in its slot; every release clears the slot (if it still
/// holds that context) before the memory goes back to its list or the pool. So a slot that holds
/// the pointer being checked names a live ECP this layer made and has not released: its header
/// is ours to read. Anything else (a collision evicted it, a double free, a pointer that is not
/// an ECP) takes the full check, which asks the pool whether the block is live before reading
/// it. The table is only a cache of that answer: losing an entry costs time, never correctness.
///
/// Slots are indexed by address bits, not a hash, so the ECPs of one thread (carved from its own
/// pool pages) land on lines of their own: threads do not write each other's lines.
@usableFromInline
enum LiveEcps {
    /// 2^16 slots (512 KiB of address space, committed as touched): one per 16 bytes of a 1 MiB
    /// window of addresses.
    @inlinable static var slotCount: Int { 1 << 16 }

    /// The slot of `context` in the table that starts at `words` (`EcpHotTable.words`).
    @inlinable @inline(__always)
    static func slot(for context: UnsafeRawPointer, in words: UnsafeMutablePointer<Atomic<UInt>>) -> UnsafeMutablePointer<Atomic<UInt>> {
        words + (EcpHotTable.filterWords &+ Int(truncatingIfNeeded: (UInt(bitPattern: context) &>> 4) & UInt(slotCount &- 1)))
    }

    @inline(__always)
    static func slot(for context: UnsafeRawPointer) -> UnsafeMutablePointer<Atomic<UInt>>? {
        guard let words = EcpHotTable.words else { return nil }
        return slot(for: context, in: words)
    }

    /// Records a new ECP.
    @inline(__always)
    static func insert(_ context: UnsafeRawPointer) {
        slot(for: context)?.pointee.store(UInt(bitPattern: context), ordering: .relaxed)
    }

    /// Whether `context` is recorded as a live ECP (false means "unknown": check fully).
    @inline(__always)
    static func contains(_ context: UnsafeRawPointer) -> Bool {
        guard let slot = slot(for: context) else { return false }
        return slot.pointee.load(ordering: .relaxed) == UInt(bitPattern: context)
    }

    /// Forgets `context` (before its memory is given back).
    @inline(__always)
    static func remove(_ context: UnsafeRawPointer) {
        guard let slot = slot(for: context) else { return }
        if slot.pointee.load(ordering: .relaxed) == UInt(bitPattern: context) {
            slot.pointee.store(0, ordering: .relaxed)
        }
    }
}
