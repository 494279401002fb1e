import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What Driver Verifier keeps for one loaded driver: its settings, its outstanding allocations
/// (pool tracking), the low resources simulation's state.
package final class VerifiedDriver: @unchecked Sendable {
    package let serviceName: String
    package let settings: DriverVerifierSettings
    /// The service name as a NUL-terminated string that lives as long as the process: parameter 2
    /// of the 0xC4/0x62 stop points at it.
    let nameText: UnsafeMutablePointer<CChar>

    /// One such string per service name the process has loaded, kept reachable here (a driver
    /// loaded again under its name reuses its string; none is leaked per load).
    static let nameTexts = KernelLock<[String: UnsafeMutablePointer<CChar>]>([:])

    /// The process-lifetime string of `serviceName`.
    static func nameText(of serviceName: String) -> UnsafeMutablePointer<CChar> {
        nameTexts.withLock { texts in
            if let text = texts[serviceName] { return text }
            let text = serviceName.withCString { name in
                let bytes = strlen(name) + 1
                let text = UnsafeMutablePointer<CChar>.allocate(capacity: bytes)
                text.initialize(from: name, count: bytes)
                return text
            }
            texts[serviceName] = text
            return text
        }
    }

    /// One outstanding allocation (pool tracking).
    struct Allocation {
        var size: Int
        var tag: PoolTag
        var typeName: String
        var stack: CallStack
        var time: Double
    }

    let tracked = KernelLock<[UInt: Allocation]>([:])
    let lowResources: KernelLock<LowResources>
    /// Allocations the low resources simulation failed.
    let injectedFailures = Atomic<Int>(0)
    /// Of those: pool blocks, framework creations, ECPs.
    let poolFailures = Atomic<Int>(0)
    let frameworkFailures = Atomic<Int>(0)
    let ecpFailures = Atomic<Int>(0)

    init(serviceName: String, settings: DriverVerifierSettings) {
        self.serviceName = serviceName
        self.settings = settings
        nameText = Self.nameText(of: serviceName)
        lowResources = KernelLock(LowResources(settings: settings))
    }

    /// The seed the low resources simulation uses (chosen at load when not set).
    package var lowResourcesSeed: UInt32 { lowResources.withLock { $0.seed } }
    /// How many allocations the low resources simulation has failed.
    package var lowResourcesFailures: Int { injectedFailures.load(ordering: .relaxed) }

    /// How many allocations of one kind the low resources simulation has failed.
    package func lowResourcesFailures(_ kind: SimulatedAllocation) -> Int {
        switch kind {
        case .pool: poolFailures.load(ordering: .relaxed)
        case .framework: frameworkFailures.load(ordering: .relaxed)
        case .ecp: ecpFailures.load(ordering: .relaxed)
        }
    }

    /// The low resources simulation (`VerifyDriverLevel` 0x4) for one allocation of the driver:
    /// true when it must fail (then counted). The same seeded sequence, skip count and tag
    /// filter serve pool blocks, framework creations and ECPs.
    package func simulatesFailure(_ kind: SimulatedAllocation, tag: PoolTag) -> Bool {
        guard settings.level.contains(.lowResourcesSimulation) else { return false }
        let settings = settings
        guard lowResources.withLock({ $0.shouldFail(tag: tag, settings: settings) }) else { return false }
        injectedFailures.add(1, ordering: .relaxed)
        switch kind {
        case .pool: poolFailures.add(1, ordering: .relaxed)
        case .framework: frameworkFailures.add(1, ordering: .relaxed)
        case .ecp: ecpFailures.add(1, ordering: .relaxed)
        }
        return true
    }

    /// With the low resources simulation on, one line on standard error saying how many
    /// allocations it failed, by kind, and the seed that replays them. `when`: "unloads", ...
    func reportLowResources(when: String) {
        guard settings.level.contains(.lowResourcesSimulation) else { return }
        let line = "Driver Verifier: \(serviceName) \(when): low resources simulation failed \(lowResourcesFailures) allocation\(lowResourcesFailures == 1 ? "" : "s") (pool \(lowResourcesFailures(.pool)), framework \(lowResourcesFailures(.framework)), ECP \(lowResourcesFailures(.ecp))), LowResourcesSeed=\(lowResourcesSeed)\n"
        fflush(nil)
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
    /// How many allocations pool tracking sees outstanding now.
    package var outstandingAllocations: Int { tracked.withLock { $0.count } }

    var tracksPool: Bool { settings.level.contains(.poolTracking) }

    func track(_ address: UnsafeMutableRawPointer, size: Int, tag: PoolTag, typeName: String, stack: CallStack) {
        let allocation = Allocation(size: size, tag: tag, typeName: typeName, stack: stack, time: DriverVerifier.now())
        tracked.withLock { $0[UInt(bitPattern: address)] = allocation }
    }

    func untrack(_ address: UnsafeMutableRawPointer) -> Bool {
        tracked.withLock { $0.removeValue(forKey: UInt(bitPattern: address)) != nil }
    }

    /// With pool tracking on: one `VERIFIER LEAK:` line per outstanding allocation on standard
    /// error, then the stop 0xC4 (p1 0x62, p2 the address of the service name's text, p3 the
    /// outstanding bytes, p4 the count). `when` says what was checked ("unloads", "fails
    /// DriverEntry").
    func checkLeaks(when: String) {
        guard tracksPool else { return }
        let leaks = tracked.withLock { $0 }.sorted { $0.value.time < $1.value.time }
        guard !leaks.isEmpty else { return }
        let now = DriverVerifier.now()
        var lines = ""
        for (address, leak) in leaks {
            let age = max(0, now - leak.time)
            lines += "VERIFIER LEAK: Tag='\(leak.tag.name)' Size=\(leak.size) Type=\(leak.typeName) Address=0x\(hexDigits(UInt64(address), width: 16)) Age=\(DriverVerifier.seconds(age))s Caller=\(leak.stack.site)\n"
        }
        fflush(nil)
        _ = lines.withCString { write(2, $0, strlen($0)) }
        let bytes = leaks.reduce(0) { $0 + $1.value.size }
        let first = leaks[0].value
        BugCheck.raise(
            .driverVerifierDetectedViolation, 0x62, UInt(bitPattern: nameText), UInt(bytes), UInt(leaks.count),
            "\(serviceName) \(when) with \(leaks.count) pool allocation\(leaks.count == 1 ? "" : "s") (\(bytes) bytes) not freed; the oldest, tag '\(first.tag.name)', \(first.size) bytes",
            site: first.stack)
    }
}

/// What the low resources simulation failed: pool blocks (pool routines, lookaside misses,
/// framework buffers and contexts), framework object creations, ECPs.
package enum SimulatedAllocation: Sendable {
    case pool, framework, ecp
}

/// The low resources simulation's state: a seeded random sequence and the allocation count.
struct LowResources {
    var seed: UInt32
    var state: UInt64
    var allocations = 0

    init(settings: DriverVerifierSettings) {
        if let seed = settings.lowResourcesSeed {
            self.seed = seed
        } else {
            var time = timespec()
            clock_gettime(CLOCK_REALTIME, &time)
            seed = UInt32(truncatingIfNeeded: time.tv_nsec ^ time.tv_sec) ^ UInt32(truncatingIfNeeded: getpid())
        }
        state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
    }

    /// Whether this allocation fails: after the skip, with the probability, for a matching tag.
    mutating func shouldFail(tag: PoolTag, settings: DriverVerifierSettings) -> Bool {
        allocations += 1
        guard allocations > settings.lowResourcesSkip else { return false }
        if let pattern = settings.lowResourcesTag, !tag.matches(pattern) { return false }
        // xorshift64*: the same seed gives the same sequence of decisions.
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        let draw = (state &* 0x2545_F491_4F6C_DD1D) >> 32
        return UInt32(draw % 10_000) < settings.lowResourcesProbability
    }
}
