internal import CRuntimeShims

/// The return addresses of a call into the library, captured when tracking is on (no names are
/// looked up then) and named when a report is written.
///
/// A report names the driver's frame: the first one outside the library (libWdf01000.so, the
/// library's Swift modules and sources, the Swift runtime), as `function (file:line)` when the
/// driver has debug information, else `function+0xOFF (module)`, else `module+0xOFF`.
package struct CallStack: Sendable, Hashable {
    /// Return addresses, innermost first (as integers: `Sendable` and hashable).
    package let frames: [UInt]
    /// `frames[0]` is a faulting instruction rather than a return address.
    let exact: Bool

    /// Captures the calling thread's stack (up to 24 frames). A stack walk, no symbol lookup.
    @inline(never)
    package static func capture() -> CallStack {
        withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: 24) { buffer in
            let count = Int(nt_capture_stack(UnsafeMutablePointer(OpaquePointer(buffer.baseAddress!)), 24))
            return CallStack(frames: (0..<count).map { UInt(bitPattern: buffer[$0]) }, exact: false)
        }
    }

    init(frames: [UInt], exact: Bool) {
        self.frames = frames
        self.exact = exact
    }

    /// A stack from raw frames (e.g. kept by the special pool).
    init(pointers: UnsafePointer<UnsafeMutableRawPointer?>, count: Int, exact: Bool = false) {
        frames = (0..<count).map { UInt(bitPattern: pointers[$0]) }
        self.exact = exact
    }

    /// The driver's frame, named (runs a symbolizer the first time an address is seen).
    package var site: String { describe().site }

    /// The driver's frame as `module+0xOFF`: stable across runs (contract of the systematic
    /// low-resources mode).
    package var siteID: String {
        withPointers { pointers, count in
            var id = [CChar](repeating: 0, count: 512)
            _ = nt_describe_site_id(pointers, Int32(count), &id, Int32(id.count))
            return Self.text(id)
        }
    }

    /// The site and its id.
    package func describe() -> (site: String, id: String) {
        withPointers { pointers, count in
            var site = [CChar](repeating: 0, count: 1024)
            var id = [CChar](repeating: 0, count: 512)
            _ = nt_describe_site(pointers, Int32(count), exact ? 1 : 0, &site, Int32(site.count), &id, Int32(id.count))
            return (Self.text(site), Self.text(id))
        }
    }

    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func withPointers<R>(_ body: (UnsafePointer<UnsafeMutableRawPointer?>, Int) -> R) -> R {
        let pointers = frames.map { UnsafeMutableRawPointer(bitPattern: $0) }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress ?? UnsafePointer(bitPattern: 8)!, $0.count) }
    }
}

/// Where the library was called from, for verifier reports.
package enum CallerSite {
    /// The driver's frame that called into the library now (see ``CallStack``). Costly: only for
    /// reports.
    package static func describe() -> String { CallStack.capture().site }
}
