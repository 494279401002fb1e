/// A four-byte pool tag. Its bytes, in memory order, are the characters users see: the C literal
/// `'dcba'` is the tag "abcd".
///
/// Bit 31 (`protected`) marks a block that must be freed with `ExFreePoolWithTag` and the same
/// tag; it is not part of the name.
@frozen
public struct PoolTag: RawRepresentable, Hashable, Sendable {
    /// The tag as the C `ULONG` holds it (first character in the lowest byte).
    public let rawValue: UInt32
    /// A tag from its C value (the multi-character constant `'gaTT'`), unchecked.
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The protected bit, `PROTECTED_POOL` (0x80000000).
    public static let protectedBit: UInt32 = 0x8000_0000

    /// A tag from its visible characters, first character in the lowest byte: one to four
    /// printable ASCII characters (shorter names leave the high bytes zero); nil for anything
    /// else (`PoolTag(exactly: "TooLongTag")` is nil). The C form is the multi-character
    /// constant `'gaTT'` passed to `ExAllocatePoolWithTag`.
    public init?(exactly text: some StringProtocol) {
        guard let value = Self.value(of: text) else { return nil }
        rawValue = value
    }

    /// The tag of 1-4 printable ASCII characters, or nil. Allocates nothing.
    @inlinable
    static func value<Bytes: Sequence<UInt8>>(ofUTF8 bytes: Bytes) -> UInt32? {
        var value: UInt32 = 0
        var count: UInt32 = 0
        for byte in bytes {
            guard count < 4, (0x20...0x7E).contains(byte) else { return nil }
            value |= UInt32(byte) << (8 * count)
            count += 1
        }
        return count == 0 ? nil : value
    }

    /// The tag of 1-4 printable ASCII characters, or nil.
    static func value(of text: some StringProtocol) -> UInt32? { value(ofUTF8: text.utf8) }

    /// The tag a string literal that is no tag gives: zero, which every Swift routine taking a
    /// tag rejects with `STATUS_INVALID_PARAMETER` (explained: "tag must be 1-4 printable ASCII
    /// characters"), so a wrong literal is an error where it is used, never a different tag.
    public static let invalid = PoolTag(rawValue: 0)

    /// False for ``invalid`` (a literal that was not a tag).
    public var isValid: Bool { rawValue != 0 }

    /// This tag with the protected bit set (`PROTECTED_POOL`).
    public var protected: PoolTag { PoolTag(rawValue: rawValue | Self.protectedBit) }
    /// Whether the protected bit (`PROTECTED_POOL`) is set.
    public var isProtected: Bool { rawValue & Self.protectedBit != 0 }
    /// The tag without the protected bit: what accounting and tag checks compare.
    @inlinable public var unprotected: PoolTag { PoolTag(rawValue: rawValue & ~Self.protectedBit) }

    /// True when every byte up to the first zero byte is printable ASCII (0x20-0x7E), at least one
    /// character is present, and nothing follows the first zero byte.
    public var isWellFormed: Bool {
        let bytes = unprotected.bytes
        guard let first = bytes.first, first != 0 else { return false }
        var ended = false
        for byte in bytes {
            if byte == 0 { ended = true; continue }
            if ended || byte < 0x20 || byte > 0x7E { return false }
        }
        return true
    }

    /// The four bytes in memory order (protected bit cleared).
    public var bytes: [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: unprotected.rawValue >> (8 * $0)) } }

    /// The tag as poolmon shows it: four characters, unprintable bytes as spaces.
    public var name: String {
        String(decoding: bytes.map { (0x20...0x7E).contains($0) ? $0 : 0x20 }, as: UTF8.self)
    }
}

extension PoolTag: ExpressibleByStringLiteral {
    /// A tag from a literal: `tag: "Samp"` or `PoolTag("Samp")`. A literal that is not 1-4
    /// printable ASCII characters gives ``invalid`` (rejected where it is used, with a status).
    /// The literal is read as the `StaticString` the compiler makes: no string is built, so a
    /// literal tag in a loop (`PoolBlock(byteCount: 64, tag: "Samp")`) allocates nothing.
    @inlinable
    public init(stringLiteral value: StaticString) {
        self.init(rawValue: value.withUTF8Buffer { Self.value(ofUTF8: $0) } ?? 0)
    }
}

extension PoolTag: CustomStringConvertible {
    /// The tag as poolmon shows it (``name``).
    public var description: String { name }
}
