// The pool's common case, inline in the routines that allocate and free: a small block of plain
// paged or non-paged pool, from and to the calling thread's bin. Everything else (the first call
// of a thread, an empty or full bin, quota, cache alignment, zeroing, large blocks, every bug
// check) declines, having done nothing, to the general path, which checks in the documented order.
import CRuntimeShims

extension PoolAllocator {
    /// Allocates a small block when: the type is plain paged or non-paged pool (NX or not; no
    /// must-succeed, cache alignment, zeroing, raising or session bits), 1 byte up to a page less
    /// the header, an IRQL the pool allows, and a bin for the size that holds a block. Returns
    /// nil otherwise. What it writes is what `allocate(byteCount:...)` writes.
    @inline(__always)
    static func allocateQuickly(_ type: PoolType, byteCount: Int, tag: UInt32) -> UnsafeMutableRawPointer? {
        guard type.rawValue & ~(PoolType.paged.rawValue | PoolType.nxAllocation.rawValue) == 0,
            UInt(bitPattern: byteCount &- 1) < UInt(PoolArena.pageSize - PoolBlockHeader.size),
            let raw = nt_thread_context_get()
        else { return nil }
        let context = raw.assumingMemoryBound(to: ThreadContext.self)
        let paged = type.rawValue & PoolType.paged.rawValue != 0
        guard context.pointee.irql <= irqlLimit(paged: paged), let cache = context.pointee.poolCache else { return nil }
        let blockSize = (byteCount &+ PoolBlockHeader.size &+ PoolSizeClass.granularity &- 1) & ~(PoolSizeClass.granularity - 1)
        let sizeClass = PoolSizeClass.smallIndex(forBlockSize: blockSize)
        let bin = cache.pointee.bins + sizeClass
        let count = bin.pointee.count
        guard count > 0 else { return nil }
        bin.pointee.count = count &- 1
        let block = bin.pointee.entries.unsafelyUnwrapped[count &- 1]
        PoolBlockHeader(
            tag: tag, requestedSize: UInt32(truncatingIfNeeded: byteCount), typeBits: paged ? PoolBlockHeader.paged : 0,
            processIndex: 0, state: BlockState.allocated, sizeClass: UInt8(truncatingIfNeeded: sizeClass),
            leadingPad: UInt8(PoolBlockHeader.size), reserved: 0
        ).write(to: block)
        PoolAccounting.recordAllocation(context, tag: tag, paged: paged, bytes: blockSize)
        return block + PoolBlockHeader.size
    }

    /// Frees a small block when: `buffer` starts a live small block (not cache-aligned, no quota
    /// charged), the tag given (if any) is the block's and an unprotected one may be omitted, the
    /// IRQL is one the pool allows, and the thread's bin for the size has room. Returns false,
    /// having done nothing, otherwise: the general path then frees or bug checks.
    @inline(__always)
    static func freeQuickly(_ buffer: UnsafeMutableRawPointer, tag: UInt32) -> Bool {
        // A thread with a pool cache has allocated, so the region (base and page map) exists.
        guard let raw = nt_thread_context_get() else { return false }
        let context = raw.assumingMemoryBound(to: ThreadContext.self)
        guard let cache = context.pointee.poolCache else { return false }
        let offset = UInt(bitPattern: buffer - PoolArena.base.unsafelyUnwrapped)
        guard offset < UInt(PoolArena.reservedBytes) else { return false }
        let pageMap = PoolArena.pageMap.unsafelyUnwrapped
        let entry = pageMap + Int(offset >> UInt(PoolArena.pageShift))
        guard entry.pointee.kind == PoolArena.PageKind.small.rawValue else { return false }
        // The block's start from the page's reciprocal of its size (see `locate`); only a block
        // whose buffer is right behind its header.
        let pageOffset = Int(offset) & (PoolArena.pageSize - 1)
        let blockSize = PoolSizeClass.blockSize(ofSmall: Int(entry.pointee.sizeClass))
        let quotient = ((pageOffset &>> 4) &* Int(entry.pointee.pages)) &>> 16
        guard pageOffset &- quotient &* blockSize == PoolBlockHeader.size else { return false }
        let header = (buffer - PoolBlockHeader.size).assumingMemoryBound(to: PoolBlockHeader.self)
        let blockTag = header.pointee.tag
        let typeBits = header.pointee.typeBits
        let paged = typeBits & PoolBlockHeader.paged != 0
        // State, size class, leading pad and reserved byte in one word: allocated, any class, a
        // buffer right behind its header. No quota charged.
        let tail = (buffer - 4).load(as: UInt32.self)
        guard tail & 0xFFFF_00FF == UInt32(PoolBlockHeader.size) << 16 | UInt32(BlockState.allocated),
            typeBits & PoolBlockHeader.quotaCharged == 0,
            freeTagFits(given: tag, block: blockTag), context.pointee.irql <= irqlLimit(paged: paged)
        else { return false }
        let bin = cache.pointee.bins + Int(entry.pointee.sizeClass)
        let count = bin.pointee.count
        guard count < bin.pointee.capacity else { return false }
        header.pointee.state = BlockState.free
        PoolAccounting.recordFree(context, tag: blockTag, paged: paged, bytes: blockSize)
        bin.pointee.entries.unsafelyUnwrapped[count] = buffer - PoolBlockHeader.size
        bin.pointee.count = count &+ 1
        return true
    }
}
