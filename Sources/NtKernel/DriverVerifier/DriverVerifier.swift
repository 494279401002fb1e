internal import CRuntimeShims
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Driver Verifier (`VerifyDriverLevel`): pool tracking, special pool, low resources simulation,
/// for the drivers the host loads.
///
/// Whose allocation: the driver whose code the calling thread runs (the host marks DriverEntry
/// and the unload routines it calls), else the most recently loaded driver. The pool's inline
/// paths decline to the checked path only while a loaded driver asks for one of these settings
/// (or `WDF_LOW_RESOURCES_SITES_FILE`/`_FAIL_SITE` are set): otherwise nothing here runs.
package enum DriverVerifier {
    private static let loaded = KernelLock<[VerifiedDriver]>([])

    /// Registers a driver the host loads (and announces its low resources seed).
    static func driverLoaded(_ driver: VerifiedDriver) {
        if driver.settings.level.contains(.lowResourcesSimulation) {
            let line = "Driver Verifier: \(driver.serviceName): low resources simulation, LowResourcesSeed=\(driver.lowResourcesSeed) (probability \(driver.settings.lowResourcesProbability)/10000, skip \(driver.settings.lowResourcesSkip))\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
        }
        if driver.settings.level.contains(.specialPool) { nt_special_install_handler(specialPoolFault) }
        loaded.withLock { drivers in
            drivers.append(driver)
            updateGate(drivers)
        }
    }

    static func driverUnloaded(_ driver: VerifiedDriver) {
        loaded.withLock { drivers in
            drivers.removeAll { $0 === driver }
            updateGate(drivers)
        }
    }

    private static func updateGate(_ drivers: [VerifiedDriver]) {
        let any = drivers.contains { $0.settings.needsEveryAllocation }
        let sites = SystematicLowResources.isActive
        nt_driver_verifier_set_active((any ? 1 : 0) | (sites ? 2 : 0))
        nt_force_irql_set_active(drivers.contains { $0.settings.level.contains(.forceIrqlChecking) } ? 1 : 0)
        let deadlocks = drivers.contains { $0.settings.level.contains(.deadlockDetection) }
        if deadlocks != DeadlockDetection.isActive { DeadlockDetection.setActive(deadlocks) }
    }

    /// Runs `body` as the code of `driver` on this thread (allocations are the driver's).
    static func run<R, E: Error>(as driver: VerifiedDriver, _ body: () throws(E) -> R) throws(E) -> R {
        let previous = nt_current_driver_get()
        nt_current_driver_set(Unmanaged.passUnretained(driver).toOpaque())
        defer { nt_current_driver_set(previous) }
        return try body()
    }

    /// The driver an allocation made now belongs to.
    package static func current() -> VerifiedDriver? {
        if let raw = nt_current_driver_get() { return Unmanaged<VerifiedDriver>.fromOpaque(raw).takeUnretainedValue() }
        return loaded.withLock { $0.last }
    }

    package static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Seconds with three decimals.
    package static func seconds(_ value: Double) -> String {
        let millis = Int((value * 1000).rounded())
        let fraction = String(millis % 1000)
        return "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    /// Windows' name of a pool type (modifier bits that are not part of the name ignored).
    static func poolTypeName(_ raw: UInt32) -> String {
        switch raw & ~(0x8 | 0x10 | 0x100 | 0x400) {
        case 0: "NonPagedPool"
        case 1: "PagedPool"
        case 4: "NonPagedPoolCacheAligned"
        case 5: "PagedPoolCacheAligned"
        case 32: "NonPagedPoolSession"
        case 33: "PagedPoolSession"
        case 0x200: "NonPagedPoolNx"
        case 0x204: "NonPagedPoolNxCacheAligned"
        case 0x220: "NonPagedPoolSessionNx"
        case let other: "PoolType0x\(String(other, radix: 16))"
        }
    }

    // MARK: The pool's checked path

    /// An allocation while the gate is open: the systematic mode's site, the low resources
    /// simulation, special pool, then pool tracking.
    @inline(never)
    static func allocate(
        byteCount: Int, paged: Bool, cacheAligned: Bool, tag: UInt32, chargeQuota: Bool, zero: Bool,
        context: UnsafeMutablePointer<ThreadContext>, poolType: UInt32
    ) throws(PoolFailure) -> UnsafeMutableRawPointer {
        // The stack is captured only for what keeps or matches it (sites, special pool, pool
        // tracking): the low resources simulation alone does without it.
        var captured: CallStack?
        if SystematicLowResources.isActive {
            let stack = CallStack.capture()
            captured = stack
            if SystematicLowResources.shouldFail(stack) { throw .insufficientResources }
        }
        guard let driver = current(), driver.settings.needsEveryAllocation else {
            return try PoolAllocator.allocate(
                byteCount: byteCount, paged: paged, cacheAligned: cacheAligned, tag: tag, chargeQuota: chargeQuota, zero: zero,
                context: context)
        }
        let poolTag = PoolTag(rawValue: tag)
        let settings = driver.settings
        if driver.simulatesFailure(.pool, tag: poolTag) { throw .insufficientResources }
        var block: UnsafeMutableRawPointer?
        if settings.level.contains(.specialPool), settings.poolTag.map({ poolTag.matches($0) }) ?? true,
            !cacheAligned, !(chargeQuota && context.pointee.processIndex != 0)
        {
            let stack = captured ?? CallStack.capture()
            captured = stack
            block = SpecialPool.allocate(byteCount: byteCount, tag: tag, paged: paged, poolType: poolType, guardAfter: settings.guardAfter, stack: stack, context: context)
        }
        if block == nil {
            block = try PoolAllocator.allocate(
                byteCount: byteCount, paged: paged, cacheAligned: cacheAligned, tag: tag, chargeQuota: chargeQuota, zero: zero,
                context: context)
        }
        if driver.tracksPool {
            driver.track(block!, size: byteCount, tag: poolTag, typeName: poolTypeName(poolType), stack: captured ?? CallStack.capture())
        }
        return block!
    }

    /// A free while the gate is open: a special-pool block is checked and freed here (true);
    /// any other block is untracked and left to the pool (false).
    @inline(never)
    static func free(_ buffer: UnsafeMutableRawPointer, tag: UInt32?, routine: StaticString) -> Bool {
        LookasideReuse.forget(buffer)
        if SpecialPool.free(buffer, tag: tag, routine: routine) {
            untrack(buffer)
            return true
        }
        untrack(buffer)
        return false
    }

    private static func untrack(_ buffer: UnsafeMutableRawPointer) {
        for driver in loaded.withLock({ $0 }) where driver.tracksPool {
            if driver.untrack(buffer) { return }
        }
    }

    /// The low resources simulation for an allocation that is not a pool block (an ECP from a
    /// lookaside list, say), for the driver whose code the calling thread runs: true when it
    /// must fail. One relaxed load when no loaded driver asks for it.
    package static func simulatesFailure(_ kind: SimulatedAllocation, tag: PoolTag) -> Bool {
        guard nt_driver_verifier_active() & 1 != 0, let driver = current() else { return false }
        return driver.simulatesFailure(kind, tag: tag)
    }

    /// The C fault handler's report for an access to a special-pool page.
    static let specialPoolFault: nt_special_fault_report = { index, address, pc, isWrite in
        SpecialPool.reportFault(index: Int(index), address: address, pc: pc, isWrite: isWrite != 0)
    }
}
