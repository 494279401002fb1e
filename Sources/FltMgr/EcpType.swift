/// The type of an extra create parameter: a GUID, laid out like the C `GUID`.
@frozen
public struct EcpType: Hashable, Sendable, CustomStringConvertible {
    /// `Data1` of the GUID.
    public var data1: UInt32
    /// `Data2` of the GUID.
    public var data2: UInt16
    /// `Data3` of the GUID.
    public var data3: UInt16
    /// `Data4` of the GUID.
    public var data4: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    /// An ECP type from its GUID's fields, as `DEFINE_GUID` gives them.
    public init(
        _ data1: UInt32, _ data2: UInt16, _ data3: UInt16,
        _ data4: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
    ) {
        self.data1 = data1
        self.data2 = data2
        self.data3 = data3
        self.data4 = data4
    }

    /// Reads a GUID from memory laid out like the C `GUID`.
    @inlinable
    /// An ECP type from its GUID's fields, as `DEFINE_GUID` gives them.
    public init(_ pointer: UnsafeRawPointer) {
        self = pointer.loadUnaligned(as: EcpType.self)
    }

    var words: (UInt64, UInt64) { unsafeBitCast(self, to: (UInt64, UInt64).self) }

    /// Equal when the GUIDs are (`IsEqualGUID`).
    public static func == (lhs: EcpType, rhs: EcpType) -> Bool { lhs.words == rhs.words }

    /// Hashes the GUID.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }

    /// The GUID in registry form, `{5AE1C9D4-7F0B-4C8A-9E21-3B6D0F4A8C11}`.
    public var description: String {
        let d = data4
        func hex<T: BinaryInteger>(_ value: T, _ width: Int) -> String {
            let text = String(value, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "{\(hex(data1, 8))-\(hex(data2, 4))-\(hex(data3, 4))-\(hex(d.0, 2))\(hex(d.1, 2))-"
            + [d.2, d.3, d.4, d.5, d.6, d.7].map { hex($0, 2) }.joined() + "}"
    }
}
