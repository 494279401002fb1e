/// Integer text conversions on UTF-16 counted strings: `RtlIntegerToUnicodeString` and
/// `RtlUnicodeStringToInteger`.
extension CountedString where CodeUnit == UInt16 {
    /// `RtlIntegerToUnicodeString`: `value` in base 2, 8, 10 or 16 (0 means 10), upper-case
    /// digits, NUL-terminated when there is room. STATUS_INVALID_PARAMETER for another base,
    /// STATUS_BUFFER_OVERFLOW when the digits do not fit.
    package mutating func setInteger(_ value: UInt32, base: UInt32) throws(NTStatus) {
        let radix = base == 0 ? 10 : base
        guard [2, 8, 10, 16].contains(radix) else { throw .invalidParameter }
        let digits = Array(String(value, radix: Int(radix), uppercase: true).utf16)
        guard let buffer, digits.count <= capacity else { throw NTStatus(code: 0x8000_0005) }
        for (index, digit) in digits.enumerated() { buffer[index] = digit }
        length = UInt16(digits.count * 2)
        terminateIfRoom()
    }

    /// `RtlUnicodeStringToInteger`: skips blanks, takes a sign, with base 0 a `0x`, `0o` or `0b`
    /// prefix (else base 10), then digits up to the first character that is not one; the value
    /// wraps modulo 2^32 and a minus sign negates it. STATUS_INVALID_PARAMETER for a base other
    /// than 0, 2, 8, 10 and 16.
    package func integerValue(base: UInt32) throws(NTStatus) -> UInt32 {
        guard [0, 2, 8, 10, 16].contains(base) else { throw .invalidParameter }
        let text = units
        var index = 0
        while index < text.count, text[index] == 0x20 || (text[index] >= 0x09 && text[index] <= 0x0D) { index += 1 }
        var negative = false
        if index < text.count, text[index] == 0x2D || text[index] == 0x2B {
            negative = text[index] == 0x2D
            index += 1
        }
        var radix = base
        if base == 0 {
            radix = 10
            if index + 1 < text.count, text[index] == 0x30 {
                switch text[index + 1] {
                case 0x78: radix = 16; index += 2
                case 0x6F: radix = 8; index += 2
                case 0x62: radix = 2; index += 2
                default: break
                }
            }
        }
        var value: UInt32 = 0
        while index < text.count {
            let unit = UInt32(text[index])
            let digit: UInt32
            switch unit {
            case 0x30...0x39: digit = unit - 0x30
            case 0x41...0x46: digit = unit - 0x41 + 10
            case 0x61...0x66: digit = unit - 0x61 + 10
            default: digit = 99
            }
            if digit >= radix { break }
            value = value &* radix &+ digit
            index += 1
        }
        return negative ? 0 &- value : value
    }
}
