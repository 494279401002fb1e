#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The systematic low resources mode: enumerate a test's allocation sites, then fail one site
/// per run.
///
/// `WDF_LOW_RESOURCES_SITES_FILE=/path`: at exit (normal exit or bug check) every unique
/// allocation call site seen is written to the file, one per line, `<site-id>\t<site>`, where
/// `<site-id>` is `module+0xOFF` (stable across runs). `WDF_LOW_RESOURCES_FAIL_SITE=<site-id>`:
/// every allocation from that site fails (NULL / `STATUS_INSUFFICIENT_RESOURCES`), all others
/// succeed. Either variable opens the pool's checked path for every allocation of the process.
enum SystematicLowResources {
    static let sitesFile: String? = getenv("WDF_LOW_RESOURCES_SITES_FILE").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    static let failSite: String? = getenv("WDF_LOW_RESOURCES_FAIL_SITE").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    static var isActive: Bool { sitesFile != nil || failSite != nil }

    private struct State {
        var order: [String] = []
        var stacks: [String: CallStack] = [:]
        var registered = false
    }

    private static let state = KernelLock(State())

    /// Records the site of an allocation (sites mode) and says whether it must fail.
    static func shouldFail(_ stack: CallStack) -> Bool {
        let id = stack.siteID
        if sitesFile != nil {
            let register = state.withLock { state -> Bool in
                if state.stacks[id] == nil {
                    state.stacks[id] = stack
                    state.order.append(id)
                }
                defer { state.registered = true }
                return !state.registered
            }
            if register { atexit { SystematicLowResources.writeSites() } }
        }
        return id == failSite
    }

    /// Writes the sites file (at exit, or before a bug check stops the process).
    static func writeSites() {
        guard let sitesFile else { return }
        let (order, stacks) = state.withLock { ($0.order, $0.stacks) }
        var text = ""
        for id in order { text += "\(id)\t\(stacks[id]!.site)\n" }
        guard let file = fopen(sitesFile, "w") else { return }
        _ = text.withCString { fputs($0, file) }
        fclose(file)
    }
}
