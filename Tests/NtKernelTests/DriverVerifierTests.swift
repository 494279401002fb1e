import Testing
import TestSupport
import NtKernel
#if canImport(Glibc)
import Glibc
#endif

/// Driver Verifier from Swift. A driver loaded with Driver Verifier's settings opens the pool's
/// checked path for the whole process, so those tests run as exit tests (their own process).
@Suite("Driver Verifier")
struct DriverVerifierTests {
    @Test func environmentPairsAreParsed() {
        let settings = VerifierEnvironment.parse(
            settings: "VerifyDriverLevel=0x9, PoolTag=Tst*,LowResourcesProbability=250,LowResourcesTag=ab?d,Bad,PoolTag=toolong",
            services: "One, two")
        let values = Dictionary(settings.values.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        #expect(values["VerifyDriverLevel"] == 9)
        #expect(values["PoolTag"] == PoolTag("Tst*").rawValue)
        #expect(values["LowResourcesProbability"] == 250)
        #expect(values["LowResourcesTag"] == PoolTag("ab?d").rawValue)
        #expect(settings.rejected == ["Bad", "PoolTag=toolong"])
        #expect(settings.services == ["One", "two"])
        #expect(VerifierEnvironment.parse(settings: "Altitude=12345", services: nil).values.first?.value == 12345)
        #expect(VerifierEnvironment.parse(settings: nil, services: " ").services == nil)
    }

    @Test func settingsUseWindowsNamesAndDefaults() {
        let defaults = DriverVerifierSettings(parameters: [:])
        #expect(defaults.level.isEmpty)
        #expect(defaults.guardAfter)
        #expect(defaults.lowResourcesProbability == 600)
        #expect(defaults.poolTag == nil)
        let set = DriverVerifierSettings(parameters: [
            "verifydriverlevel": 0xF, "PoolTagOverruns": 0, "PoolTag": PoolTag("Ab*").rawValue,
            "LowResourcesSkip": 5, "LowResourcesSeed": 9, "LowResourcesProbability": 20_000,
        ])
        #expect(set.level == [.specialPool, .forceIrqlChecking, .lowResourcesSimulation, .poolTracking])
        #expect(!set.guardAfter)
        #expect(set.poolTag == PoolTag("Ab*"))
        #expect(set.lowResourcesSkip == 5)
        #expect(set.lowResourcesSeed == 9)
        #expect(set.lowResourcesProbability == 10_000)
    }

    @Test func tagWildcards() {
        #expect(PoolTag("Tst1").matches("Tst*"))
        #expect(PoolTag("Tst1").matches("T?t1"))
        #expect(PoolTag("Tst1").matches("*"))
        #expect(!PoolTag("Tst1").matches("Tst"))
        #expect(!PoolTag("Tst1").matches("Xst*"))
        #expect(PoolTag("Tst1").protected.matches("Tst1"))
        #expect(PoolTag("Ts").matches("Ts"))
    }

    @Test func swiftCallersLeakIsReportedWithTheirLine() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            DriverHost.setServiceParameter(service: "SwiftLeak", name: "VerifyDriverLevel", value: 0x8)
            let driver = try! DriverHost.load(serviceName: "SwiftLeak") { _ throws(NTStatus) in try leakSeventyTwoBytes() }
            #expect(driver.verifier.outstandingAllocations == 1)
            try! DriverHost.unload(driver)
        }
        expectStop(result, code: 0xC4, parameter1: 0x62)
        let text = stopText(result)
        #expect(text.contains("VERIFIER LEAK: Tag='SwLk' Size=72 Type=PagedPool"), "\(text)")
        #expect(text.contains("Caller=NtKernelTests.leakSeventyTwoBytes() throws(NtKernel.NTStatus) -> () (Tests/NtKernelTests/DriverVerifierTests.swift:"), "\(text)")
        #expect(text.contains("  at NtKernelTests.leakSeventyTwoBytes()"), "\(text)")
        #expect(!text.contains("CallSite.swift"), "\(text)")
    }

    @Test func swiftCallersOverrunHitsTheGuardPage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            DriverHost.setServiceParameter(service: "SwiftSpecial", name: "VerifyDriverLevel", value: 0x1)
            _ = try! DriverHost.load(serviceName: "SwiftSpecial") { _ throws(NTStatus) in
                let block = try Pool.allocate(.nonPaged, byteCount: 48, tag: "SwSp")
                #expect(Pool.blockInfo(block)?.requestedSize == 48)
                #expect(Pool.blockStatus(block) == .allocated)
                block.storeBytes(of: 1, toByteOffset: 48, as: UInt8.self)
            }
        }
        #expect(StopLine(standardError: result?.standardErrorContent ?? [])?.code == 0xCD, "\(stopText(result))")
        #expect(stopText(result).contains("tagged 'SwSp'"))
    }
}

/// A Swift "driver" function that leaks (outside the exit test's macro expansion, so that the
/// report's file and line are this file's).
func leakSeventyTwoBytes() throws(NTStatus) {
    _ = try Pool.allocate(.paged, byteCount: 72, tag: "SwLk")
}

/// Deadlock detection (VerifyDriverLevel 0x20): lock order of spin locks and fast mutexes. The
/// setting is process-wide while the driver is loaded, so each test is its own process.
@Suite("Driver Verifier: deadlock detection")
struct DeadlockDetectionTests {
    static func makeLock(_ bytes: Int = 8) -> UnsafeMutableRawPointer {
        let lock = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
        lock.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        return lock
    }

    @Test func oppositeOrderOfTwoSpinLocksStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            DriverHost.setServiceParameter(service: "LockOrder", name: "VerifyDriverLevel", value: 0x20)
            _ = try! DriverHost.load(serviceName: "LockOrder") { _ throws(NTStatus) in
                let a = DeadlockDetectionTests.makeLock(), b = DeadlockDetectionTests.makeLock()
                takeInOrder(a, b)
                takeInOrder(a, b)  // the same order again is fine
                print("A=\(UInt(bitPattern: a)) B=\(UInt(bitPattern: b))")
                takeInOrder(b, a)
            }
        }
        expectStop(result, code: 0xC4, parameter1: 0x1001)
        let text = stopText(result)
        #expect(text.contains("lock hierarchy violation (potential deadlock): this thread holds the spin lock at 0x"), "\(text)")
        #expect(text.contains("  at NtKernelTests.takeInOrder("), "\(text)")
        let stop = StopLine(standardError: result?.standardErrorContent ?? [])
        #expect(stop?.parameters[1] != 0 && stop?.parameters[2] != 0 && stop?.parameters[1] != stop?.parameters[2])
    }

    @Test func aCycleThroughAThirdLockAndAFastMutexStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            DriverHost.setServiceParameter(service: "LockCycle", name: "VerifyDriverLevel", value: 0x20)
            _ = try! DriverHost.load(serviceName: "LockCycle") { _ throws(NTStatus) in
                let mutex = DeadlockDetectionTests.makeLock(64)
                FastMutex.initialize(mutex)
                let a = DeadlockDetectionTests.makeLock(), b = DeadlockDetectionTests.makeLock()
                // mutex before a, a before b: then b before the mutex closes the cycle.
                FastMutex.acquire(mutex, raising: true, routine: "ExAcquireFastMutex")
                takeInOrder(a, b)
                FastMutex.release(mutex, lowering: true, routine: "ExReleaseFastMutex")
                let old = SpinLock.acquireRaisingIrql(b, routine: "KeAcquireSpinLock")
                SpinLock.releaseLoweringIrql(b, to: old, routine: "KeReleaseSpinLock")  // released: no cycle yet
                FastMutex.acquire(mutex, raising: false, routine: "ExAcquireFastMutexUnsafe")
                FastMutex.release(mutex, lowering: false, routine: "ExReleaseFastMutexUnsafe")
                let held = SpinLock.acquireRaisingIrql(b, routine: "KeAcquireSpinLock")
                _ = held
                Irql.lower(to: .passive)  // a fast mutex is acquired below DISPATCH_LEVEL
                FastMutex.acquire(mutex, raising: true, routine: "ExAcquireFastMutex")
            }
        }
        expectStop(result, code: 0xC4, parameter1: 0x1001)
        #expect(stopText(result).contains("ExAcquireFastMutex: lock hierarchy violation"), "\(stopText(result))")
        #expect(stopText(result).contains("acquires the fast mutex at 0x"), "\(stopText(result))")
    }

    @Test func consistentOrderRunsCleanAndTheSettingOffRecordsNothing() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            DriverHost.setServiceParameter(service: "LockClean", name: "VerifyDriverLevel", value: 0x20)
            let driver = try! DriverHost.load(serviceName: "LockClean") { _ throws(NTStatus) in
                let a = DeadlockDetectionTests.makeLock(), b = DeadlockDetectionTests.makeLock(), c = DeadlockDetectionTests.makeLock()
                for _ in 0..<3 {
                    takeInOrder(a, b)
                    takeInOrder(b, c)
                    takeInOrder(a, c)
                }
            }
            guard DeadlockDetection.isActive else { exit(3) }
            try! DriverHost.unload(driver)
            guard !DeadlockDetection.isActive else { exit(4) }
            // Without the setting, the opposite order is not checked.
            let a = DeadlockDetectionTests.makeLock(), b = DeadlockDetectionTests.makeLock()
            takeInOrder(a, b)
            takeInOrder(b, a)
        }
        #expect(!stopText(result).contains("STOP"), "\(stopText(result))")
    }
}

/// Takes `first`, then `second` (spin locks), and releases both.
func takeInOrder(_ first: UnsafeMutableRawPointer, _ second: UnsafeMutableRawPointer) {
    let old = SpinLock.acquireRaisingIrql(first, routine: "KeAcquireSpinLock")
    SpinLock.acquireAtDispatch(second, routine: "KeAcquireSpinLockAtDpcLevel")
    SpinLock.releaseAtDispatch(second, routine: "KeReleaseSpinLockFromDpcLevel")
    SpinLock.releaseLoweringIrql(first, to: old, routine: "KeReleaseSpinLock")
}
