import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What Driver Verifier keeps for one loaded driver: its settings, its outstanding allocations
/// (pool tracking), the low resources simulation's state.
public final class VerifiedDriver: @unchecked Sendable {
    public let serviceName: String
    public let settings: DriverVerifierSettings
    /// The service name as a NUL-terminated string that lives as long as the process: parameter 2
    /// of the 0xC4/0x62 stop points at it.
    let nameText: UnsafeMutablePointer<CChar>

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

    init(serviceName: String, settings: DriverVerifierSettings) {
        self.serviceName = serviceName
        self.settings = settings
        nameText = strdup(serviceName)
        lowResources = KernelLock(LowResources(settings: settings))
    }

    /// The seed the low resources simulation uses (chosen at load when not set).
    public var lowResourcesSeed: UInt32 { lowResources.withLock { $0.seed } }
    /// How many allocations the low resources simulation has failed.
    public var lowResourcesFailures: Int { injectedFailures.load(ordering: .relaxed) }
    /// How many allocations pool tracking sees outstanding now.
    public var outstandingAllocations: Int { tracked.withLock { $0.count } }

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
