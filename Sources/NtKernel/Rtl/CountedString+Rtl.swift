/// The Rtl string routines on counted strings. Each names the Windows routine it implements.
extension CountedString {
    /// The largest byte length a counted string can hold (an even number).
    static var maximumByteLength: Int { Int(UInt16.max) & ~(unitSize - 1) }

    /// `RtlInitUnicodeString` / `RtlInitAnsiString`: points at a NUL-terminated string (not
    /// copied). A string longer than a counted string can describe is cut to the longest that
    /// fits with its NUL (`RtlInitUnicodeString`'s rule); `strict` reports it instead
    /// (`RtlInitUnicodeStringEx`: STATUS_NAME_TOO_LONG).
    package static func referencing(
        _ source: UnsafePointer<CodeUnit>?, strict: Bool = false
    ) throws(NTStatus) -> CountedString {
        guard let source else { return CountedString(length: 0, maximumLength: 0, buffer: nil) }
        let limit = maximumByteLength / unitSize - 1  // characters, the NUL excluded
        var count = 0
        while source[count] != 0 {
            if count == limit {
                if strict { throw NTStatus(code: 0xC000_0106) }  // STATUS_NAME_TOO_LONG
                break
            }
            count += 1
        }
        let bytes = count * unitSize
        return CountedString(
            length: UInt16(bytes), maximumLength: UInt16(bytes + unitSize), buffer: UnsafeMutablePointer(mutating: source))
    }

    /// `RtlCopyUnicodeString` / `RtlCopyString`: copies what fits, NUL-terminates when there is
    /// room; a nil source empties the destination.
    package mutating func copy(from source: CountedString?) {
        guard let source, let buffer else {
            length = 0
            return
        }
        let count = min(source.units.count, capacity)
        if count > 0, let from = source.buffer { buffer.update(from: from, count: count) }
        length = UInt16(count * Self.unitSize)
        terminateIfRoom()
    }

    /// `RtlAppendUnicodeStringToString` / `RtlAppendUnicodeToString`: STATUS_BUFFER_TOO_SMALL,
    /// nothing changed, when the result does not fit.
    package mutating func append(_ units: UnsafeBufferPointer<CodeUnit>) throws(NTStatus) {
        if units.isEmpty { return }
        let current = Int(length) / Self.unitSize
        guard let buffer, current + units.count <= capacity else { throw .bufferTooSmall }
        (buffer + current).update(from: units.baseAddress!, count: units.count)
        length = UInt16((current + units.count) * Self.unitSize)
        terminateIfRoom()
    }

    /// `RtlCompareUnicodeString` / `RtlCompareString`: the difference of the first code units
    /// that differ (upcased when case-insensitive), else the difference of the byte lengths.
    package static func compare(_ lhs: CountedString, _ rhs: CountedString, caseInsensitive: Bool) -> Int32 {
        let a = lhs.units, b = rhs.units
        for index in 0..<min(a.count, b.count) {
            var x = UInt32(a[index]), y = UInt32(b[index])
            if caseInsensitive, x != y {
                x = CaseMapping.upcase(x, unitSize: unitSize)
                y = CaseMapping.upcase(y, unitSize: unitSize)
            }
            if x != y { return Int32(bitPattern: x &- y) }
        }
        return Int32(lhs.length) - Int32(rhs.length)
    }

    /// `RtlPrefixUnicodeString`: whether `prefix` starts `string`.
    package static func hasPrefix(_ string: CountedString, _ prefix: CountedString, caseInsensitive: Bool) -> Bool {
        guard prefix.length <= string.length else { return false }
        let cut = CountedString(length: prefix.length, maximumLength: prefix.length, buffer: string.buffer)
        return compare(cut, prefix, caseInsensitive: caseInsensitive) == 0
    }

    /// Allocates a buffer of `byteCount` bytes from paged pool with the Rtl string tag.
    package static func allocateBuffer(byteCount: Int) -> UnsafeMutablePointer<CodeUnit>? {
        Pool.allocateOrNil(.paged, byteCount: max(byteCount, 1), tag: rtlStringTag)?
            .bindMemory(to: CodeUnit.self, capacity: max(byteCount, 1) / unitSize)
    }

    /// `RtlFreeUnicodeString` / `RtlFreeAnsiString`: frees a buffer an Rtl routine allocated.
    package mutating func free() {
        if let buffer { Pool.free(UnsafeMutableRawPointer(buffer), tagValue: 0, routine: "RtlFreeUnicodeString") }
        self = CountedString(length: 0, maximumLength: 0, buffer: nil)
    }

    /// The content converted code unit by code unit into a destination, allocated (capacity
    /// `count + 1` units, NUL-terminated) or the caller's (what fits; STATUS_BUFFER_OVERFLOW when
    /// not all did). Shared by the conversions and the case mappings.
    package static func convert<Source>(
        _ source: CountedString<Source>, into destination: inout CountedString, allocate: Bool,
        _ transform: (UInt32) -> UInt32
    ) throws(NTStatus) {
        let units = source.units
        let bytes = units.count * unitSize
        if bytes > maximumByteLength { throw .invalidParameter2 }
        var count = units.count
        var overflow = false
        if allocate {
            let capacityBytes = min(bytes + unitSize, Int(UInt16.max) & ~(unitSize - 1))
            guard let buffer = allocateBuffer(byteCount: capacityBytes) else { throw .noMemory }
            destination = CountedString(length: 0, maximumLength: UInt16(capacityBytes), buffer: buffer)
        } else if count > destination.capacity {
            count = destination.capacity
            overflow = true
        }
        if let target = destination.buffer {
            for index in 0..<count { target[index] = CodeUnit(truncatingIfNeeded: transform(UInt32(units[index]))) }
        }
        destination.length = UInt16(count * unitSize)
        destination.terminateIfRoom()
        if overflow { throw NTStatus(code: 0x8000_0005) }  // STATUS_BUFFER_OVERFLOW
    }
}

/// Case mapping of code units: `RtlUpcaseUnicodeChar`, `RtlDowncaseUnicodeChar`, and the
/// case-insensitive comparisons. UTF-16 code units map through Unicode's simple case mapping
/// (a character whose mapping is not one BMP character stays as it is, as in Windows' table);
/// 8-bit characters map ASCII letters only.
package enum CaseMapping {
    package static func upcase(_ unit: UInt32, unitSize: Int) -> UInt32 { map(unit, unitSize: unitSize, upper: true) }
    package static func downcase(_ unit: UInt32, unitSize: Int) -> UInt32 { map(unit, unitSize: unitSize, upper: false) }

    static func map(_ unit: UInt32, unitSize: Int, upper: Bool) -> UInt32 {
        if unit < 0x80 {
            if upper, unit >= 0x61, unit <= 0x7A { return unit - 0x20 }
            if !upper, unit >= 0x41, unit <= 0x5A { return unit + 0x20 }
            return unit
        }
        guard unitSize == 2, let scalar = Unicode.Scalar(unit) else { return unit }
        let mapped = upper ? scalar.properties.uppercaseMapping : scalar.properties.lowercaseMapping
        let scalars = mapped.unicodeScalars
        guard scalars.count == 1, let only = scalars.first, only.value <= 0xFFFF else { return unit }
        return only.value
    }
}
