internal import CRuntimeShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Special pool (`VerifyDriverLevel` 0x1): each matching allocation on its own pages next to an
/// inaccessible guard page.
///
/// With `PoolTagOverruns` 1 (the default) the guard page follows the block and the block ends
/// against it as far as 16-byte alignment allows (up to 15 bytes of slack); with 0 the guard
/// page precedes the block, which starts right after it. The rest of its pages is filled with a
/// pattern, checked when the block is freed. Freed blocks stay inaccessible in a quarantine of
/// the 1024 most recent ones. An access to a guard page stops with 0xCD
/// `PAGE_FAULT_BEYOND_END_OF_ALLOCATION`, to a freed block with 0xCC
/// `PAGE_FAULT_IN_FREED_SPECIAL_POOL`, a slack byte found changed at free with 0xC1
/// `SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION`. Cache-aligned and quota-charged allocations, and
/// any past 16,384 live special blocks, come from the ordinary pool.
package enum SpecialPool {
    static func allocate(
        byteCount: Int, tag: UInt32, paged: Bool, poolType: UInt32, guardAfter: Bool, stack: CallStack,
        context: UnsafeMutablePointer<ThreadContext>
    ) -> UnsafeMutableRawPointer? {
        nt_special_ensure_alternate_stack()
        let frames = stack.frames.prefix(16).map { UnsafeMutableRawPointer(bitPattern: $0) }
        let index = frames.withUnsafeBufferPointer { buffer in
            nt_special_allocate(
                UInt(byteCount), guardAfter ? 1 : 0, tag, poolType, buffer.baseAddress, Int32(buffer.count), DriverVerifier.now())
        }
        guard index >= 0 else { return nil }
        PoolAccounting.recordAllocation(context, tag: tag, paged: paged, bytes: accountedSize(byteCount))
        return UnsafeMutableRawPointer(bitPattern: SpecialPool.entry(index).pointee.block)
    }

    static func entry(_ index: Int32) -> UnsafeMutablePointer<nt_special_block> { nt_special_entry(index)! }

    /// What tag accounting counts for a special block: as for an ordinary one (header and
    /// 16-byte rounding), not its pages.
    static func accountedSize(_ byteCount: Int) -> Int { (byteCount + 16 + 15) & ~15 }

    /// Frees `buffer` if it is a special-pool block (true); false for any other address.
    static func free(_ buffer: UnsafeMutableRawPointer, tag: UInt32?, routine: StaticString) -> Bool {
        let found = Int(nt_special_find(buffer))
        if found == -1 { return false }
        if found <= -2 {
            BugCheck.badPoolCaller(.doubleFree, UInt(bitPattern: buffer), 0, 0, "\(routine): the special pool block at \(buffer) is already free")
        }
        let entry = SpecialPool.entry(Int32(found))
        let paged = entry.pointee.poolType & 1 != 0
        let context = ThreadContext.current
        PoolAllocator.check(buffer, blockTag: entry.pointee.tag, givenTag: tag, paged: paged, context: context, routine: routine)
        let corrupted = nt_special_check_slack(Int32(found))
        if corrupted != -1 {
            let size = Int(entry.pointee.size)
            let after = corrupted >= size
            let allocated = CallStack(pointers: entry.pointer(to: \.allocFrames)!, count: Int(entry.pointee.allocCount))
            BugCheck.raise(
                .specialPoolDetectedMemoryCorruption, UInt(bitPattern: buffer), UInt(size),
                UInt(bitPattern: buffer + corrupted), after ? 0x24 : 0x23,
                "\(routine): the \(size)-byte special pool block at \(buffer) tagged '\(PoolTag(rawValue: entry.pointee.tag).name)' was written \(after ? "\(corrupted - size + 1) byte(s) past its end" : "\(-corrupted) byte(s) before its start") (the slack pattern changed at offset \(corrupted)); it was allocated at \(allocated.site)")
        }
        let stack = CallStack.capture()
        let frames = stack.frames.prefix(16).map { UnsafeMutableRawPointer(bitPattern: $0) }
        frames.withUnsafeBufferPointer { nt_special_free(Int32(found), $0.baseAddress, Int32($0.count)) }
        PoolAccounting.recordFree(context, tag: entry.pointee.tag, paged: paged, bytes: accountedSize(Int(entry.pointee.size)))
        return true
    }

    /// Facts about a live special block, or nil.
    static func info(_ buffer: UnsafeRawPointer) -> PoolBlockInfo? {
        let found = nt_special_find(buffer)
        guard found >= 0 else { return nil }
        let entry = SpecialPool.entry(found).pointee
        return PoolBlockInfo(
            tag: PoolTag(rawValue: entry.tag), requestedSize: Int(entry.size), blockSize: accountedSize(Int(entry.size)),
            isPaged: entry.poolType & 1 != 0, chargedProcess: nil)
    }

    /// Whether `buffer` is a live (true) or freed (false) special block; nil when neither.
    static func status(_ buffer: UnsafeRawPointer) -> Bool? {
        let found = nt_special_find(buffer)
        return found == -1 ? nil : found >= 0
    }

    /// The report for a fault on a special-pool page (from the signal handler; does not return).
    static func reportFault(index: Int, address: UnsafeMutableRawPointer?, pc: UnsafeMutableRawPointer?, isWrite: Bool) -> Never {
        let entry = SpecialPool.entry(Int32(index))
        let freed = entry.pointee.state == 2
        let block = entry.pointee.block
        let size = entry.pointee.size
        let target = UInt(bitPattern: address)
        let tag = PoolTag(rawValue: entry.pointee.tag).name
        let type = DriverVerifier.poolTypeName(entry.pointee.poolType)
        let allocated = CallStack(pointers: entry.pointer(to: \.allocFrames)!, count: Int(entry.pointee.allocCount))
        let location: String
        if target >= block + size {
            location = "offset \(target - block) (\(target - (block + size) + 1) byte(s) past the end) of"
        } else if target < block {
            location = "\(block - target) byte(s) before the start (guard page before the block) of"
        } else {
            location = "offset \(target - block) of"
        }
        var explanation = "\(isWrite ? "write to" : "read of") 0x\(String(target, radix: 16)), \(location) the \(size)-byte block at 0x\(String(block, radix: 16)) tagged '\(tag)' (\(type)); allocated at \(allocated.site)"
        if freed {
            let freedAt = CallStack(pointers: entry.pointer(to: \.freeFrames)!, count: Int(entry.pointee.freeCount))
            explanation += ", freed at \(freedAt.site)"
        }
        // The faulting instruction first, then its callers (the signal frame skipped).
        let here = CallStack.capture()
        let pcValue = UInt(bitPattern: pc)
        var frames = [pcValue]
        if let position = here.frames.firstIndex(of: pcValue) {
            frames = Array(here.frames[position...])
        } else if let position = here.frames.firstIndex(where: { $0 == pcValue + 1 }) {
            frames = [pcValue] + here.frames[(position + 1)...]
        }
        BugCheck.raise(
            freed ? .pageFaultInFreedSpecialPool : .pageFaultBeyondEndOfAllocation, UInt(target), isWrite ? 1 : 0,
            UInt(pcValue), 0, explanation, site: CallStack(frames: frames, exact: true))
    }
}

extension UnsafeMutablePointer where Pointee == nt_special_block {
    /// A pointer to one of the entry's frame arrays (a C array is a tuple in Swift).
    func pointer(to field: KeyPath<nt_special_block, (
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?
    )>) -> UnsafePointer<UnsafeMutableRawPointer?>? {
        guard let offset = MemoryLayout<nt_special_block>.offset(of: field) else { return nil }
        return UnsafeRawPointer(self).advanced(by: offset).assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
    }
}
