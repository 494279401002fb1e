import NtKernel

/// Where a reference or release came from, as the caller gave it: the C macros'
/// `__FILE__`/`__LINE__` (`WdfObjectReferenceActual`'s `File` and `Line`) or a Swift caller's
/// `#fileID`/`#line`. Turned into text only when handle tracking records it.
enum ReferenceSource {
    case c(file: UnsafePointer<CChar>?, line: Int)
    case swift(file: StaticString, line: Int)

    var file: String {
        switch self {
        case .c(let file, _): file.map { String(cString: $0) } ?? "?"
        case .swift(let file, _): "\(file)"
        }
    }

    var line: Int {
        switch self {
        case .c(_, let line), .swift(_, let line): line
        }
    }
}

/// One reference or release of an object with handle tracking (`TrackHandles`) on: its tag, the
/// file and line the caller named, its call site (named when a report is written) and when.
/// What `!wdftagtracker` shows for an object.
struct TrackedReference: Sendable {
    /// How many references and releases an object remembers (its latest ones).
    static let historyCapacity = 32

    let tag: UInt
    let file: String
    let line: Int
    let stack: CallStack
    let time: Double
    let isRelease: Bool

    init(tag: UInt, source: ReferenceSource, isRelease: Bool) {
        self.tag = tag
        file = source.file
        line = source.line
        stack = CallStack.capture()
        time = DriverVerifier.now()
        self.isRelease = isRelease
    }

    /// `Tag 0x1000 at driver.c:42, 0.010s ago, from <site>`.
    func describe(now: Double) -> String {
        let age = max(0, now - time)
        return "Tag 0x\(String(tag, radix: 16, uppercase: true)) at \(file):\(line), \(DriverVerifier.seconds(age))s ago, from \(stack.site)"
    }
}

extension ObjectExtras.State {
    /// Adds a reference or release to the object's history (the latest `historyCapacity`).
    mutating func remember(_ record: TrackedReference) {
        if referenceHistory.count == TrackedReference.historyCapacity { referenceHistory.removeFirst() }
        referenceHistory.append(record)
    }
}

extension Verifier {
    /// The references still held on an object, one line each (empty without handle tracking).
    static func heldReferenceLines(of slot: UnsafeMutablePointer<ObjectSlot>) -> [String] {
        guard let extras = ObjectExtras.of(slot) else { return [] }
        let held = extras.state.withLock { $0.heldReferences }
        let now = DriverVerifier.now()
        return held.map { "  reference still held: \($0.describe(now: now))" }
    }

    /// With handle tracking: objects of the driver still alive after its teardown because
    /// references are held on them (and that pool tracking did not report already): one line
    /// each, then one line per reference held. Returns how many.
    static func reportHeldReferences(of driver: DriverState, skipping reported: Set<UInt32>) -> Int {
        guard driver.settings.trackHandles else { return 0 }
        var count = 0
        for raw in driver.referencedObjects.withLock({ $0 }).sorted() {
            let handle = WdfObject(rawValue: raw)
            guard let slot = ObjectTable.lookup(handle), let index = handle.index, !reported.contains(index) else { continue }
            let lines = heldReferenceLines(of: slot)
            guard !lines.isEmpty else { continue }
            let kind = ObjectKind(rawValue: slot.pointee.kind).map { "\($0)" } ?? "object"
            let creator = ObjectExtras.of(slot).map { "\($0.creator)" } ?? "?"
            VerifierLog.report(
                "\(driver.serviceName): leaked \(kind) \(handle) (created by \(creator)): \(lines.count) reference\(lines.count == 1 ? "" : "s") still held")
            for line in lines { VerifierLog.report(line) }
            count += 1
        }
        return count
    }
}
