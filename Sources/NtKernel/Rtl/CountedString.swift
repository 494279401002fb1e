/// A counted string as the Rtl routines see it: a byte length, a byte capacity and a buffer of
/// code units that need not be NUL-terminated.
///
/// Corresponds to `UNICODE_STRING` (`CodeUnit` = `UInt16`) and `STRING`/`ANSI_STRING`
/// (`CodeUnit` = `UInt8`). This is the C door's model of them (the Swift API uses `String`): the
/// Rtl routines in `CountedString+Rtl.swift` work on it and the exports copy the fields in and
/// out.
package struct CountedString<CodeUnit: FixedWidthInteger & UnsignedInteger>: @unchecked Sendable {
    /// Length in bytes (`Length`).
    package var length: UInt16
    /// Capacity in bytes (`MaximumLength`).
    package var maximumLength: UInt16
    package var buffer: UnsafeMutablePointer<CodeUnit>?

    package init(length: UInt16, maximumLength: UInt16, buffer: UnsafeMutablePointer<CodeUnit>?) {
        self.length = length
        self.maximumLength = maximumLength
        self.buffer = buffer
    }

    static var unitSize: Int { MemoryLayout<CodeUnit>.size }

    /// The code units in use.
    package var units: UnsafeBufferPointer<CodeUnit> {
        guard let buffer else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: buffer, count: Int(length) / Self.unitSize)
    }

    /// Capacity in code units.
    var capacity: Int { buffer == nil ? 0 : Int(maximumLength) / Self.unitSize }

    /// Writes a NUL after the content when the capacity has room for it.
    mutating func terminateIfRoom() {
        let count = Int(length) / Self.unitSize
        if let buffer, count < capacity { buffer[count] = 0 }
    }
}

/// The pool tag of buffers the Rtl string routines allocate: 'GrtS' ("StrG" in poolmon), as on
/// Windows.
package let rtlStringTag = PoolTag(rawValue: 0x4772_7453)
