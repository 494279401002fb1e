public import Testing

/// The stop line of a bug check, parsed from a process's standard error.
public struct StopLine: Equatable {
    public var code: UInt32
    public var parameters: [UInt64]

    public init?(standardError: [UInt8]) {
        let text = String(decoding: standardError, as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("*** STOP: 0x") }) else { return nil }
        // *** STOP: 0x000000C2 (0x0000000000000007,0x...,0x...,0x...)
        let body = line.dropFirst("*** STOP: 0x".count)
        guard let code = UInt32(body.prefix(8), radix: 16),
            let open = body.firstIndex(of: "("), let close = body.firstIndex(of: ")")
        else { return nil }
        let parameters = body[body.index(after: open)..<close].split(separator: ",").compactMap {
            UInt64($0.dropFirst(2), radix: 16)
        }
        guard parameters.count == 4 else { return nil }
        self.code = code
        self.parameters = parameters
    }
}

/// Checks that an exit test ended in a bug check with `code` and parameter 1 `parameter1`.
public func expectStop(
    _ result: ExitTest.Result?, code: UInt32, parameter1: UInt64, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let result else {
        Issue.record("the process did not stop", sourceLocation: sourceLocation)
        return
    }
    guard let stop = StopLine(standardError: result.standardErrorContent) else {
        Issue.record(
            "no stop line in: \(String(decoding: result.standardErrorContent, as: UTF8.self))",
            sourceLocation: sourceLocation)
        return
    }
    #expect(stop.code == code, sourceLocation: sourceLocation)
    #expect(stop.parameters[0] == parameter1, sourceLocation: sourceLocation)
}

/// The whole stop text (stop line, name, explanation).
public func stopText(_ result: ExitTest.Result?) -> String {
    String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
}
