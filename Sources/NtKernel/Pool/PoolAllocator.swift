internal import CRuntimeShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why an allocation failed before the caller's routine decides whether to raise.
enum PoolFailure: Error {
    case insufficientResources
    case quotaExceeded

    var status: NTStatus { self == .quotaExceeded ? .quotaExceeded : .insufficientResources }
}

/// What the pool knows about a block it handed out.
package struct PoolBlockInfo: Hashable, Sendable {
    /// The tag given at allocation, protected bit included.
    package var tag: PoolTag
    /// The size the caller asked for.
    package var requestedSize: Int
    /// The size of the whole block: header and rounding included (what accounting counts).
    package var blockSize: Int
    package var isPaged: Bool
    /// The process charged for the block, if any.
    package var chargedProcess: EmulatedProcess?
}

/// The pool's engine: size classes in front of per-thread caches, shared depots, and the arena.
/// The public routines in `Pool` validate and decide about raising; this does the work.
enum PoolAllocator {
    /// Allocates a block and accounts it under `tag`. Small blocks come from the thread's bin
    /// (no lock), then the depot, then fresh pages; large ones are whole pages.
    @inline(__always)
    static func allocate(
        byteCount: Int, paged: Bool, cacheAligned: Bool, tag: UInt32, chargeQuota: Bool, zero: Bool,
        context: UnsafeMutablePointer<ThreadContext>
    ) throws(PoolFailure) -> UnsafeMutableRawPointer {
        let pad = cacheAligned ? 64 : PoolBlockHeader.size
        let limit = PoolArena.pageSize - pad
        guard byteCount <= limit else {
            return try allocateLarge(byteCount: byteCount, paged: paged, tag: tag, chargeQuota: chargeQuota, zero: zero, context: context)
        }
        let alignment = cacheAligned ? 64 : PoolSizeClass.granularity
        let blockSize = (byteCount + pad + alignment - 1) & ~(alignment - 1)
        let sizeClass = PoolSizeClass.smallIndex(forBlockSize: blockSize)
        let processIndex = chargeQuota ? context.pointee.processIndex : 0
        if processIndex != 0, !ProcessTable.charge(processIndex, paged: paged, bytes: blockSize) {
            throw .quotaExceeded
        }
        let cache = context.pointee.poolCache ?? PoolThreadCache.create(for: context)
        let bin = cache.pointee.bins + sizeClass
        if bin.pointee.count == 0, bin.refill(bin: sizeClass) == 0, carve(sizeClass: sizeClass, into: bin) == 0 {
            ProcessTable.refund(processIndex, paged: paged, bytes: blockSize)
            throw .insufficientResources
        }
        bin.pointee.count &-= 1
        let block = bin.pointee.entries.unsafelyUnwrapped[bin.pointee.count]
        let buffer = block + pad
        let header = PoolBlockHeader(
            tag: tag, requestedSize: UInt32(byteCount),
            typeBits: (paged ? PoolBlockHeader.paged : 0) | (processIndex != 0 ? PoolBlockHeader.quotaCharged : 0),
            processIndex: processIndex, state: BlockState.allocated, sizeClass: UInt8(sizeClass),
            leadingPad: UInt8(pad), reserved: 0)
        header.write(to: buffer - PoolBlockHeader.size)
        // A cache-aligned block starts with a copy too: the first bytes of every block say where
        // its buffer is (see `locate`).
        if pad != PoolBlockHeader.size { header.write(to: block) }
        PoolAccounting.recordAllocation(context, tag: tag, paged: paged, bytes: blockSize)
        if zero { buffer.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount) }
        return buffer
    }

    /// `allocate` for the pool routines' checked paths: through Driver Verifier while its gate is
    /// open (see ``DriverVerifier``).
    @inline(__always)
    static func allocateChecked(
        byteCount: Int, paged: Bool, cacheAligned: Bool, tag: UInt32, chargeQuota: Bool, zero: Bool,
        context: UnsafeMutablePointer<ThreadContext>, poolType: UInt32
    ) throws(PoolFailure) -> UnsafeMutableRawPointer {
        if nt_driver_verifier_active() != 0 {
            return try DriverVerifier.allocate(
                byteCount: byteCount, paged: paged, cacheAligned: cacheAligned, tag: tag, chargeQuota: chargeQuota,
                zero: zero, context: context, poolType: poolType)
        }
        return try allocate(
            byteCount: byteCount, paged: paged, cacheAligned: cacheAligned, tag: tag, chargeQuota: chargeQuota, zero: zero,
            context: context)
    }

    /// Fills an empty bin with blocks cut from fresh pages. A block never crosses a page.
    @inline(never)
    static func carve(sizeClass: Int, into bin: UnsafeMutablePointer<PoolBin>) -> Int {
        let blockSize = PoolSizeClass.blockSize(ofSmall: sizeClass)
        let perPage = PoolArena.pageSize / blockSize
        let entries = bin.pointee.entries ?? bin.prepare(bin: sizeClass)
        let wanted = max(1, bin.pointee.capacity / 2)
        let pages = min(16, max(1, (wanted + perPage - 1) / perPage))
        guard let span = PoolArena.allocateSpan(pages: pages) else { return 0 }
        let total = pages * perPage
        let keep = min(total, bin.pointee.capacity)
        withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer.self, capacity: total) { carved in
            for page in 0..<pages {
                let pageStart = span + page * PoolArena.pageSize
                PoolArena.entry(for: pageStart).unsafelyUnwrapped.pointee = PoolArena.PageEntry(
                    kind: PoolArena.PageKind.small.rawValue, state: 0, sizeClass: UInt16(sizeClass),
                    pages: PoolSizeClass.reciprocal(ofSmall: sizeClass),
                    tag: 0, typeBits: 0, processIndex: 0)
                for index in 0..<perPage { carved[page * perPage + index] = pageStart + index * blockSize }
            }
            // The lowest addresses are handed out first: the bin pops from the end.
            let base = carved.baseAddress.unsafelyUnwrapped
            if total > keep { PoolDepots.table.depots[sizeClass].put(base + keep, count: total - keep) }
            for index in 0..<keep { entries[index] = base[keep - 1 - index] }
        }
        bin.pointee.count = keep
        return keep
    }

    @inline(never)
    static func allocateLarge(
        byteCount: Int, paged: Bool, tag: UInt32, chargeQuota: Bool, zero: Bool,
        context: UnsafeMutablePointer<ThreadContext>
    ) throws(PoolFailure) -> UnsafeMutableRawPointer {
        guard byteCount <= PoolArena.reservedBytes else { throw .insufficientResources }
        let pages = (byteCount + PoolArena.pageSize - 1) >> PoolArena.pageShift
        let blockSize = pages << PoolArena.pageShift
        let processIndex = chargeQuota ? context.pointee.processIndex : 0
        if processIndex != 0, !ProcessTable.charge(processIndex, paged: paged, bytes: blockSize) {
            throw .quotaExceeded
        }
        var span: UnsafeMutableRawPointer? = nil
        if let binIndex = PoolSizeClass.largeBin(pages: pages) {
            let cache = context.pointee.poolCache ?? PoolThreadCache.create(for: context)
            let bin = cache.pointee.bins + binIndex
            if bin.pointee.count > 0 || bin.refill(bin: binIndex) > 0 {
                bin.pointee.count -= 1
                span = bin.pointee.entries.unsafelyUnwrapped[bin.pointee.count]
            }
        }
        if span == nil, let fresh = PoolArena.allocateSpan(pages: pages) {
            for page in 1..<pages {
                PoolArena.entry(for: fresh + page * PoolArena.pageSize).unsafelyUnwrapped.pointee = PoolArena.PageEntry(
                    kind: PoolArena.PageKind.largeTail.rawValue, state: 0, sizeClass: 0, pages: 0, tag: 0,
                    typeBits: 0, processIndex: 0)
            }
            span = fresh
        }
        guard let span else {
            ProcessTable.refund(processIndex, paged: paged, bytes: blockSize)
            throw .insufficientResources
        }
        PoolArena.entry(for: span).unsafelyUnwrapped.pointee = PoolArena.PageEntry(
            kind: PoolArena.PageKind.largeHead.rawValue, state: BlockState.allocated, sizeClass: 0,
            pages: UInt32(pages), tag: tag,
            typeBits: (paged ? PoolBlockHeader.paged : 0) | (processIndex != 0 ? PoolBlockHeader.quotaCharged : 0),
            processIndex: processIndex)
        PoolAccounting.recordAllocation(context, tag: tag, paged: paged, bytes: blockSize)
        if zero { span.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount) }
        return span
    }

    /// A block found from a caller's pointer.
    enum Located {
        case small(header: UnsafeMutablePointer<PoolBlockHeader>, block: UnsafeMutableRawPointer)
        case large(entry: UnsafeMutablePointer<PoolArena.PageEntry>)
        /// Not the start of any pool block.
        case invalid
    }

    /// Finds the block `buffer` starts, reading only pool-owned memory.
    @inline(__always)
    static func locate(_ buffer: UnsafeMutableRawPointer) -> Located {
        guard let entry = PoolArena.entry(for: buffer) else { return .invalid }
        let pageOffset = Int(bitPattern: buffer) & (PoolArena.pageSize - 1)
        switch entry.pointee.kind {
        case PoolArena.PageKind.small.rawValue:
            let blockSize = PoolSizeClass.blockSize(ofSmall: Int(entry.pointee.sizeClass))
            // pageOffset % blockSize, with the quotient from the page's reciprocal (exact within
            // a page; see `PoolSizeClass.reciprocal`).
            let quotient = ((pageOffset >> 4) &* Int(entry.pointee.pages)) >> 16
            let leading = pageOffset &- quotient &* blockSize
            guard leading == PoolBlockHeader.size || (leading == 64 && blockSize % 64 == 0),
                pageOffset - leading + blockSize <= PoolArena.pageSize
            else { return .invalid }
            // The block's first bytes say where its buffer is (its header, or for a cache-aligned
            // block a copy of it): an address 64 bytes into an ordinary block is not a
            // cache-aligned block's buffer, whatever the data there looks like.
            guard Int((buffer - leading).assumingMemoryBound(to: PoolBlockHeader.self).pointee.leadingPad) == leading else {
                return .invalid
            }
            let header = (buffer - PoolBlockHeader.size).assumingMemoryBound(to: PoolBlockHeader.self)
            return .small(header: header, block: buffer - leading)
        case PoolArena.PageKind.largeHead.rawValue where pageOffset == 0:
            return .large(entry: entry)
        default:
            return .invalid
        }
    }

    /// Information about a live block, or nil when `buffer` is not one.
    static func info(_ buffer: UnsafeMutableRawPointer) -> PoolBlockInfo? {
        switch locate(buffer) {
        case .small(let header, _):
            guard header.pointee.state == BlockState.allocated else { return nil }
            let process = header.pointee.processIndex
            return PoolBlockInfo(
                tag: PoolTag(rawValue: header.pointee.tag), requestedSize: Int(header.pointee.requestedSize),
                blockSize: PoolSizeClass.blockSize(ofSmall: Int(header.pointee.sizeClass)),
                isPaged: header.pointee.typeBits & PoolBlockHeader.paged != 0,
                chargedProcess: process == 0 ? nil : EmulatedProcess(imageName: ProcessTable.name(of: process), index: process))
        case .large(let entry):
            guard entry.pointee.state == BlockState.allocated else { return nil }
            let process = entry.pointee.processIndex
            let size = Int(entry.pointee.pages) << PoolArena.pageShift
            return PoolBlockInfo(
                tag: PoolTag(rawValue: entry.pointee.tag), requestedSize: size, blockSize: size,
                isPaged: entry.pointee.typeBits & PoolBlockHeader.paged != 0,
                chargedProcess: process == 0 ? nil : EmulatedProcess(imageName: ProcessTable.name(of: process), index: process))
        case .invalid:
            return nil
        }
    }

    /// Frees a block after checking it: not a block → 0xC2/0x99, already free → 0xC2/0x07,
    /// IRQL above the pool's limit → 0xC2/0x09, tag mismatch → 0xC2/0x0A.
    @inline(__always)
    static func free(_ buffer: UnsafeMutableRawPointer, tag: UInt32?, routine: StaticString) {
        let context = ThreadContext.current
        switch locate(buffer) {
        case .small(let header, let block):
            let state = header.pointee.state
            guard state == BlockState.allocated else { freeFailure(buffer, state: state, routine: routine) }
            let paged = header.pointee.typeBits & PoolBlockHeader.paged != 0
            check(buffer, blockTag: header.pointee.tag, givenTag: tag, paged: paged, context: context, routine: routine)
            let sizeClass = Int(header.pointee.sizeClass)
            let blockSize = PoolSizeClass.blockSize(ofSmall: sizeClass)
            header.pointee.state = BlockState.free
            if header.pointee.typeBits & PoolBlockHeader.quotaCharged != 0 {
                ProcessTable.refund(header.pointee.processIndex, paged: paged, bytes: blockSize)
            }
            PoolAccounting.recordFree(context, tag: header.pointee.tag, paged: paged, bytes: blockSize)
            cache(block, bin: sizeClass, context: context)
        case .large(let entry):
            let state = entry.pointee.state
            guard state == BlockState.allocated else { freeFailure(buffer, state: state, routine: routine) }
            let paged = entry.pointee.typeBits & PoolBlockHeader.paged != 0
            check(buffer, blockTag: entry.pointee.tag, givenTag: tag, paged: paged, context: context, routine: routine)
            let pages = Int(entry.pointee.pages)
            let blockSize = pages << PoolArena.pageShift
            entry.pointee.state = BlockState.free
            if entry.pointee.typeBits & PoolBlockHeader.quotaCharged != 0 {
                ProcessTable.refund(entry.pointee.processIndex, paged: paged, bytes: blockSize)
            }
            PoolAccounting.recordFree(context, tag: entry.pointee.tag, paged: paged, bytes: blockSize)
            if let bin = PoolSizeClass.largeBin(pages: pages) {
                cache(buffer, bin: bin, context: context)
            } else {
                PoolArena.freeSpan(buffer, pages: pages)
            }
        case .invalid:
            BugCheck.badPoolCaller(
                .invalidAddress, UInt(bitPattern: buffer), 0, 0,
                "\(routine): \(buffer) is not the start of a pool block")
        }
    }

    @inline(__always)
    static func cache(_ block: UnsafeMutableRawPointer, bin index: Int, context: UnsafeMutablePointer<ThreadContext>) {
        let cache = context.pointee.poolCache ?? PoolThreadCache.create(for: context)
        let bin = cache.pointee.bins + index
        if bin.pointee.entries == nil { _ = bin.prepare(bin: index) }
        if bin.pointee.count == bin.pointee.capacity { bin.spill(bin: index) }
        bin.pointee.entries.unsafelyUnwrapped[bin.pointee.count] = block
        bin.pointee.count &+= 1
    }

    @inline(__always)
    static func check(
        _ buffer: UnsafeMutableRawPointer, blockTag: UInt32, givenTag: UInt32?, paged: Bool,
        context: UnsafeMutablePointer<ThreadContext>, routine: StaticString
    ) {
        let irql = context.pointee.irql
        if irql > irqlLimit(paged: paged) {
            BugCheck.badPoolCaller(
                .freeAtBadIrql, UInt(irql), paged ? 1 : 0, UInt(bitPattern: buffer),
                "\(routine) at IRQL \(irql): \(paged ? "paged" : "non-paged") pool may be freed at IRQL <= \(paged ? "APC_LEVEL" : "DISPATCH_LEVEL") only")
        }
        let given = givenTag ?? 0
        if !freeTagFits(given: given, block: blockTag) {
            let unprotectedFree = given == 0
            BugCheck.badPoolCaller(
                .wrongTag, UInt(bitPattern: buffer), UInt(blockTag), UInt(given),
                "\(routine) with tag '\(PoolTag(rawValue: given))' for a block tagged '\(PoolTag(rawValue: blockTag))'\(unprotectedFree ? " (protected: the tag must be given)" : "")")
        }
    }

    /// The IRQL a pool routine may run at: APC_LEVEL for paged pool, DISPATCH_LEVEL otherwise.
    @inline(__always)
    static func irqlLimit(paged: Bool) -> UInt8 { paged ? Irql.apc.rawValue : Irql.dispatch.rawValue }

    /// Whether a free's tag fits the block's: the same tag (protected bit aside), or none given
    /// for a block whose tag is not protected.
    @inline(__always)
    static func freeTagFits(given: UInt32, block: UInt32) -> Bool {
        given == 0 ? block & PoolTag.protectedBit == 0 : (given ^ block) & ~PoolTag.protectedBit == 0
    }

    static func freeFailure(_ buffer: UnsafeMutableRawPointer, state: UInt8, routine: StaticString) -> Never {
        if state == BlockState.free {
            BugCheck.badPoolCaller(
                .doubleFree, UInt(bitPattern: buffer), 0, 0, "\(routine): the pool block at \(buffer) is already free")
        }
        BugCheck.badPoolCaller(
            .invalidAddress, UInt(bitPattern: buffer), 0, 0, "\(routine): \(buffer) is not the start of a pool block")
    }
}
