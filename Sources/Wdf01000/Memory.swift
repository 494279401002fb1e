// C exports: memory objects and lookaside-list objects, in the documented validation order.
public import CWdf
import NtKernel
import Wdf

@c @implementation
public func WdfMemoryCreate(
    _ Attributes: PWDF_OBJECT_ATTRIBUTES?, _ PoolType: POOL_TYPE, _ PoolTag: ULONG, _ BufferSize: Int,
    _ Memory: UnsafeMutablePointer<WDFMEMORY?>?, _ Buffer: UnsafeMutablePointer<PVOID?>?
) -> NTSTATUS {
    if let Memory, case let (true, parent) = plainAttributes(Attributes),
        let made = MemoryObjects.createPlainly(
            parent: parent, poolType: NtKernel.PoolType(rawValue: PoolType.rawValue), tag: PoolTag, size: BufferSize)
    {
        switch made {
        case .success(let (memory, buffer)):
            Memory.pointee = opaque(memory.object)
            Buffer?.pointee = buffer
            return STATUS_SUCCESS
        case .failure(let error):
            Memory.pointee = nil
            return error.rawValue
        }
    }
    let routine: StaticString = "WdfMemoryCreate"
    let raw = rawAttributes(Attributes)
    let owner = earlyOwner(raw, routine)
    let out = require(Memory, "Memory", routine)
    do {
        let memory = try MemoryObjects.create(
            owner: owner, attributes: { () throws(NTStatus) in try validated(raw, forMemory: false) }, validateForMemory: true,
            poolType: NtKernel.PoolType(rawValue: PoolType.rawValue), tag: PoolTag, size: unsignedSize(BufferSize),
            clearOutput: { out.pointee = nil })
        out.pointee = opaque(memory.object)
        Buffer?.pointee = memory.withUnsafeMutableBytes { $0.baseAddress }
    } catch {
        return error.rawValue
    }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfMemoryCreatePreallocated(
    _ Attributes: PWDF_OBJECT_ATTRIBUTES?, _ Buffer: PVOID?, _ BufferSize: Int, _ Memory: UnsafeMutablePointer<WDFMEMORY?>?
) -> NTSTATUS {
    let routine: StaticString = "WdfMemoryCreatePreallocated"
    let raw = rawAttributes(Attributes)
    let owner = earlyOwner(raw, routine)
    let buffer = require(Buffer, "Buffer", routine)
    let out = require(Memory, "Memory", routine)
    do {
        let memory = try MemoryObjects.createPreallocated(
            owner: owner, attributes: { () throws(NTStatus) in try validated(raw, forMemory: false) }, buffer: buffer,
            size: unsignedSize(BufferSize), clearOutput: { out.pointee = nil })
        out.pointee = opaque(memory.object)
    } catch {
        return error.rawValue
    }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfMemoryAssignBuffer(_ Memory: WDFMEMORY?, _ Buffer: PVOID?, _ BufferSize: Int) -> NTSTATUS {
    let memory = handle(Memory)
    _ = WdfMemoryHandle(memory).size  // validates the handle first
    do {
        try MemoryObjects.assign(memory, buffer: require(Buffer, "Buffer", "WdfMemoryAssignBuffer"), size: unsignedSize(BufferSize))
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfMemoryGetBuffer(_ Memory: WDFMEMORY?, _ BufferSize: UnsafeMutablePointer<Int>?) -> PVOID? {
    let (buffer, size) = MemoryObjects.buffer(of: handle(Memory))
    BufferSize?.pointee = size
    return buffer
}

@c @implementation
public func WdfMemoryCopyToBuffer(_ SourceMemory: WDFMEMORY?, _ SourceOffset: Int, _ Buffer: PVOID?, _ NumBytesToCopyTo: Int)
    -> NTSTATUS
{
    let memory = handle(SourceMemory)
    _ = WdfMemoryHandle(memory).size
    do {
        try MemoryObjects.copy(
            memory, offset: unsignedSize(SourceOffset), other: require(Buffer, "Buffer", "WdfMemoryCopyToBuffer"),
            count: unsignedSize(NumBytesToCopyTo), toCaller: true)
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfMemoryCopyFromBuffer(
    _ DestinationMemory: WDFMEMORY?, _ DestinationOffset: Int, _ Buffer: PVOID?, _ NumBytesToCopyFrom: Int
) -> NTSTATUS {
    let memory = handle(DestinationMemory)
    _ = WdfMemoryHandle(memory).size
    do {
        try MemoryObjects.copy(
            memory, offset: unsignedSize(DestinationOffset), other: require(Buffer, "Buffer", "WdfMemoryCopyFromBuffer"),
            count: unsignedSize(NumBytesToCopyFrom), toCaller: false)
    } catch { return error.rawValue }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfLookasideListCreate(
    _ LookasideAttributes: PWDF_OBJECT_ATTRIBUTES?, _ BufferSize: Int, _ PoolType: POOL_TYPE,
    _ MemoryAttributes: PWDF_OBJECT_ATTRIBUTES?, _ PoolTag: ULONG, _ Lookaside: UnsafeMutablePointer<WDFLOOKASIDE?>?
) -> NTSTATUS {
    let routine: StaticString = "WdfLookasideListCreate"
    let listRaw = rawAttributes(LookasideAttributes)
    let memoryRaw = rawAttributes(MemoryAttributes)
    let owner = earlyOwner(listRaw, routine)
    let memoryOwner = earlyOwner(memoryRaw, routine)
    let out = require(Lookaside, "Lookaside", routine)
    do {
        let list = try LookasideObjects.create(
            owner: owner, memoryOwner: memoryOwner,
            attributes: { () throws(NTStatus) in try validated(listRaw, forMemory: false) },
            memoryAttributes: { () throws(NTStatus) in try validated(memoryRaw, forMemory: false) },
            bufferSize: unsignedSize(BufferSize),
            poolType: NtKernel.PoolType(rawValue: PoolType.rawValue), tag: PoolTag, clearOutput: { out.pointee = nil })
        out.pointee = opaque(list.object)
    } catch {
        return error.rawValue
    }
    return STATUS_SUCCESS
}

@c @implementation
public func WdfMemoryCreateFromLookaside(_ Lookaside: WDFLOOKASIDE?, _ Memory: UnsafeMutablePointer<WDFMEMORY?>?) -> NTSTATUS {
    let list = handle(Lookaside)
    do {
        // The handle is checked before the out-pointer (inside createMemory, which resolves it once).
        let memory = try LookasideObjects.createMemory(from: list, outputGiven: Memory != nil)
        Memory.unsafelyUnwrapped.pointee = opaque(memory.object)
    } catch {
        Memory.unsafelyUnwrapped.pointee = nil
        return error.rawValue
    }
    return STATUS_SUCCESS
}
