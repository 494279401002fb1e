/// The explanations Swift calls attach to the statuses they throw, interned: a status carries a
/// 32-bit index, so it stays a small value however it travels.
enum StatusDetails {
    private static let table = KernelLock((texts: [String](), indices: [String: UInt32]()))

    static func index(of text: String) -> UInt32 {
        table.withLock { table in
            if let index = table.indices[text] { return index }
            table.texts.append(text)
            let index = UInt32(table.texts.count)
            table.indices[text] = index
            return index
        }
    }

    static func text(at index: UInt32) -> String? {
        guard index != 0 else { return nil }
        return table.withLock { Int(index) <= $0.texts.count ? $0.texts[Int(index) - 1] : nil }
    }
}

extension NTStatus {
    /// What the Swift call that threw this status says about it, naming its own parameter
    /// (`depth must be 0 or 256...1024`); nil for statuses from the C routines' checks.
    public var detail: String? { StatusDetails.text(at: detailIndex) }

    /// This status with an explanation for Swift callers (`description` shows it). Keep `text`
    /// to a fixed sentence per call site: explanations are interned for the process's life.
    package func explained(_ text: String) -> NTStatus {
        NTStatus(rawValue: rawValue, detailIndex: StatusDetails.index(of: text))
    }
}
