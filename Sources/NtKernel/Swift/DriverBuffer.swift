/// Memory a Swift owner holds for you: a pool block, a lookaside entry, a framework memory
/// object's buffer. Every buffer type of this library conforms, so they all read and write the
/// same way, with bounds checked and no pointer in your code:
///
/// ```swift
/// try memory.copy(from: [1, 2, 3])             // any collection of bytes
/// try memory.store(UInt32(7), atByteOffset: 4)
/// let header = try memory.load(UInt32.self, fromByteOffset: 4)
/// memory.withBytes { bytes in print(bytes.byteCount) }    // RawSpan
/// memory.withMutableBytes { bytes in bytes.storeBytes(of: 0, toByteOffset: 0, as: UInt8.self) }
/// ```
///
/// Range errors are thrown as ``NTStatus`` with an explanation (``NTStatus/detail``), never
/// stops. Corresponds to the buffer a driver gets from `ExAllocatePoolWithTag`,
/// `ExAllocateFromLookasideListEx` or `WdfMemoryGetBuffer`, and to `RtlCopyMemory` into it.
public protocol DriverBuffer: ~Copyable {
    /// The buffer's size in bytes.
    var byteCount: Int { get }

    /// Lends the buffer to `body` as raw memory. The pointer is valid only inside `body`.
    /// Corresponds to using the address `ExAllocatePoolWithTag` (or `WdfMemoryGetBuffer`) returns.
    func withUnsafeMutableBytes<Result: ~Copyable, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result
}

extension DriverBuffer where Self: ~Copyable {
    /// Lends the buffer to `body` read-only, as raw memory valid only inside `body`.
    @inlinable
    public func withUnsafeBytes<Result: ~Copyable, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try withUnsafeMutableBytes { (buffer) throws(Failure) -> Result in try body(UnsafeRawBufferPointer(buffer)) }
    }

    /// Lends the buffer's bytes to `body` as a `RawSpan` (bounds-checked reads).
    @inlinable
    public func withBytes<Result: ~Copyable, Failure: Error>(_ body: (RawSpan) throws(Failure) -> Result) throws(Failure) -> Result {
        try withUnsafeMutableBytes { (buffer) throws(Failure) -> Result in try body(UnsafeRawBufferPointer(buffer).bytes) }
    }

    /// Lends the buffer's bytes to `body` as a `MutableRawSpan` (bounds-checked writes).
    @inlinable
    public func withMutableBytes<Result: ~Copyable, Failure: Error>(
        _ body: (inout MutableRawSpan) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try withUnsafeMutableBytes { (buffer) throws(Failure) -> Result in
            var span = buffer.mutableBytes
            return try body(&span)
        }
    }

    /// Copies `source` into the buffer at `offset`. Corresponds to `RtlCopyMemory` (and to
    /// `WdfMemoryCopyFromBuffer` for a memory object).
    /// - Throws: `.invalidBufferSize` when `offset` is negative or the bytes do not fit.
    @inlinable
    public func copy<Source: Collection<UInt8>>(from source: Source, toOffset offset: Int = 0) throws(NTStatus) {
        let count = source.count
        guard offset >= 0, UInt(offset) <= UInt(byteCount), UInt(count) <= UInt(byteCount - offset) else {
            throw DriverBufferError.explained(.invalidBufferSize, "source does not fit: offset + source.count must be at most byteCount")
        }
        withUnsafeMutableBytes { buffer in
            let destination = UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + count)])
            if source.withContiguousStorageIfAvailable({ destination.copyBytes(from: $0) }) == nil {
                destination.copyBytes(from: source)
            }
        }
    }

    /// The bytes at `range` (the whole buffer by default) as an array. Corresponds to
    /// `RtlCopyMemory` out of the buffer (`WdfMemoryCopyToBuffer` for a memory object).
    /// - Throws: `.bufferTooSmall` when `range` is not inside the buffer.
    @inlinable
    public func copyBytes(in range: Range<Int>? = nil) throws(NTStatus) -> [UInt8] {
        let range = range ?? 0..<byteCount
        guard range.lowerBound >= 0, range.upperBound <= byteCount else {
            throw DriverBufferError.explained(.bufferTooSmall, "range must lie inside 0..<byteCount")
        }
        return withUnsafeMutableBytes { Array(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// Stores `value`'s bytes at `offset` (any alignment).
    /// - Throws: `.invalidBufferSize` when the value does not fit there.
    @inlinable
    public func store<Value: BitwiseCopyable>(_ value: Value, atByteOffset offset: Int = 0) throws(NTStatus) {
        let size = MemoryLayout<Value>.size
        guard offset >= 0, offset <= byteCount, size <= byteCount - offset else {
            throw DriverBufferError.explained(.invalidBufferSize, "value does not fit: offset + size must be at most byteCount")
        }
        withUnsafeMutableBytes { $0.storeBytes(of: value, toByteOffset: offset, as: Value.self) }
    }

    /// The integer stored at `offset` (any alignment).
    /// - Throws: `.bufferTooSmall` when it does not lie inside the buffer.
    @inlinable
    public func load<Value: FixedWidthInteger & BitwiseCopyable>(_ type: Value.Type, fromByteOffset offset: Int = 0) throws(NTStatus)
        -> Value
    {
        let size = MemoryLayout<Value>.size
        guard offset >= 0, offset <= byteCount, size <= byteCount - offset else {
            throw DriverBufferError.explained(.bufferTooSmall, "value does not lie inside the buffer: offset + size must be at most byteCount")
        }
        return withUnsafeMutableBytes { $0.loadUnaligned(fromByteOffset: offset, as: Value.self) }
    }

    /// Sets every byte to `value`. Corresponds to `RtlFillMemory` (`RtlZeroMemory` for 0).
    @inlinable
    public func fill(with value: UInt8 = 0) {
        withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { base.initializeMemory(as: UInt8.self, repeating: value, count: buffer.count) }
        }
    }
}

/// The statuses `DriverBuffer`'s inlinable methods throw, explained (out of line: only on errors).
@usableFromInline
enum DriverBufferError {
    @usableFromInline @inline(never)
    static func explained(_ status: NTStatus, _ text: String) -> NTStatus { status.explained(text) }
}
