import Testing
import TestSupport
import NtKernel

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
