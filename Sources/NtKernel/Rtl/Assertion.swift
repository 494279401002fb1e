/// A failed assertion of driver code (`ASSERT`, `NT_ASSERT`, `NT_VERIFY`, ... built with `DBG`).
///
/// Corresponds to `RtlAssert`. On Windows, with no kernel debugger attached, the assertion's
/// breakpoint is an exception nothing handles; here the process stops the same way: bug check
/// `KMODE_EXCEPTION_NOT_HANDLED` (0x1E) with parameter 1 `STATUS_BREAKPOINT` (0x80000003) and an
/// explanation naming the expression, the message, the file and the line.
extension BugCheck {
    package static let breakpointStatus = NTStatus(code: 0x8000_0003)

    package static func assertionFailed(expression: String, file: String, line: UInt32, message: String?) -> Never {
        var explanation = "RtlAssert: assertion failed: \(expression)"
        if let message, !message.isEmpty { explanation += " (\(message))" }
        explanation += ", file \(file), line \(line)"
        raise(.kmodeExceptionNotHandled, UInt(breakpointStatus.code), 0, UInt(line), 0, explanation)
    }
}
