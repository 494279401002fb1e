internal import CRuntimeShims

/// Where the runtime was called from, for verifier reports.
public enum CallerSite {
    /// The first stack frame outside the runtime (skipping frames whose symbol starts with
    /// `routine`, the C export), as "symbol+0xoffset (module)". Costly (a stack walk): only for
    /// the verifier's tracking.
    public static func describe(skipping routine: StaticString) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let routineName = "\(routine)"
        _ = routineName.withCString { name in nt_describe_caller(name, &buffer, Int32(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
