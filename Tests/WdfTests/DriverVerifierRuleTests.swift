import Testing
import TestSupport
import NtKernel
import Wdf
#if canImport(Glibc)
import Glibc
#endif

/// Driver Verifier's rules for framework methods: force IRQL checking (KmdfIrql), the
/// DriverCreate rule, handle tracking's reference records, low resources across framework
/// creations. Settings that open the pool's checked path for the whole process (0x4) run in exit
/// tests.
extension WdfSuites {
    @Suite("Driver Verifier rules")
    struct DriverVerifierRuleTests {
        @Test func forceIrqlCheckingStopsAFrameworkCallAboveItsMaximum() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = try? withLoadedDriver("KmdfIrqlPaged", parameters: ["VerifyDriverLevel": 0x2]) { _ in
                    // Paged memory may be created at APC_LEVEL or below.
                    try Irql.withRaised(to: .apc) { try WdfMemoryHandle.create(poolType: .paged, size: 8).delete() }
                    try Irql.withRaised(to: .dispatch) { _ = try WdfMemoryHandle.create(poolType: .paged, size: 8) }
                }
            }
            expectStop(result, code: 0xC4, parameter1: 0x91001)
            let text = stopText(result)
            #expect(text.contains("DDI compliance rule KmdfIrql (0x91001) violated: WdfMemoryCreate should only be called at IRQL <= APC_LEVEL; it was called at DISPATCH_LEVEL"), "\(text)")
            #expect(StopLine(standardError: result?.standardErrorContent ?? [])?.parameters[1] != 0)  // the condition's text
        }

        @Test func forceIrqlCheckingCoversReferencesAndPlainObjects() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = try? withLoadedDriver("KmdfIrqlRef", parameters: ["VerifyDriverLevel": 0x2]) { _ in
                    let object = try WdfObject.create()
                    try Irql.withRaised(to: .dispatch) {
                        object.reference()
                        object.dereference()
                        try WdfRequestHandle.create().object.delete()
                    }
                    Irql.withRaised(to: Irql(rawValue: 3)) { object.reference() }
                }
            }
            expectStop(result, code: 0xC4, parameter1: 0x91001)
            #expect(stopText(result).contains("WdfObjectReferenceActual should only be called at IRQL <= DISPATCH_LEVEL; it was called at 3"), "\(stopText(result))")
        }

        @Test func forceIrqlCheckingStopsADeviceCreatedAbovePassive() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let config = WdfDriverHandle.Config(deviceAdd: { _, deviceInit throws(NTStatus) in
                    _ = try Irql.withRaised(to: .apc) { () throws(NTStatus) in try WdfDeviceHandle.create(deviceInit) }
                })
                _ = try? withLoadedDriver("KmdfIrqlDev", parameters: ["VerifyDriverLevel": 0x2], config: config) { driver in
                    _ = try WdfDeviceHandle.add(to: driver)
                }
            }
            expectStop(result, code: 0xC4, parameter1: 0x91001)
            #expect(stopText(result).contains("WdfDeviceCreate should only be called at IRQL <= PASSIVE_LEVEL"))
        }

        @Test func withoutForceIrqlCheckingOnlyTheUsualChecksRun() throws {
            let status = try withLoadedDriver("NoIrqlRule") { _ in
                let object = try WdfObject.create()
                try Irql.withRaised(to: Irql(rawValue: 3)) {
                    object.reference()
                    object.dereference()
                    _ = try WdfRequestHandle.create()
                }
                object.delete()
            }
            #expect(status == .success)
        }

        @Test func driverCreateOutsideDriverEntryIsAViolation() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                DriverHost.setServiceParameter(service: "LateCreate", name: "VerifierOn", value: 1)
                let host = try! DriverHost.load(serviceName: "LateCreate") { _ throws(NTStatus) in }
                _ = try? WdfDriverHandle.create(registryPath: host.registryPath, host: host, config: WdfDriverHandle.Config())
            }
            expectStop(result, code: 0xC4, parameter1: 0x91002)
            let text = stopText(result)
            #expect(text.contains("DDI compliance rule DriverCreate (0x91002) violated: WdfDriverCreate should only be called from DriverEntry; LateCreate called it outside DriverEntry"), "\(text)")
            #expect(text.contains("  at ") && text.contains("WdfTests.WdfSuites.DriverVerifierRuleTests.driverCreateOutsideDriverEntryIsAViolation()"), "\(text)")
        }

        @Test func driverCreateOutsideDriverEntryWithoutTheVerifierIsAllowed() throws {
            let host = try DriverHost.load(serviceName: "LateCreateQuiet") { _ throws(NTStatus) in }
            _ = try WdfDriverHandle.create(registryPath: host.registryPath, host: host, config: WdfDriverHandle.Config())
            #expect(try DriverHost.unload(host) == .success)
        }

        @Test func trackHandlesListsTheReferencesStillHeld() throws {
            let before = VerifierLog.count
            var keptReferenceLine = 0
            let status = try withLoadedDriver("TrackRefs", parameters: ["TrackHandles": 1]) { _ in
                keptReferenceLine = try takeReferencesAndKeepOne()
            }
            #expect(status == .moreEntries)
            let lines = VerifierLog.recent.suffix(VerifierLog.count - before)
            #expect(lines.contains { $0.contains("TrackRefs: leaked WDFOBJECT") && $0.contains("(created by WdfObjectCreate): 1 reference still held") }, "\(lines)")
            let held = lines.filter { $0.contains("reference still held: ") }
            #expect(held.count == 1, "\(lines)")
            #expect(held.first?.contains("Tag 0x1234 at WdfTests/DriverVerifierRuleTests.swift:\(keptReferenceLine)") == true, "\(held)")
            #expect(held.first?.contains("from WdfTests.takeReferencesAndKeepOne()") == true, "\(held)")
            #expect(!lines.contains { $0.contains("Tag 0x5678") }, "\(lines)")
        }

        @Test func trackHandlesWithPoolTrackingListsReferencesUnderTheLeak() throws {
            let before = VerifierLog.count
            let status = try withLoadedDriver("TrackRefsPool", parameters: ["VerifierOn": 1]) { _ in
                let memory = try WdfMemoryHandle.create(tag: "TrRf", size: 24)
                memory.object.reference(tag: UnsafeRawPointer(bitPattern: 0xABC)!)
            }
            #expect(status == .moreEntries)
            let lines = Array(VerifierLog.recent.suffix(VerifierLog.count - before))
            guard let leak = lines.firstIndex(where: { $0.contains("TrackRefsPool: leaked WDFMEMORY") }) else {
                Issue.record("no leak line in \(lines)")
                return
            }
            #expect(lines[leak].contains("called from ") && lines[leak].contains("in WdfTests."), "\(lines[leak])")
            #expect(lines[leak].contains("DriverVerifierRuleTests.swift:"), "\(lines[leak])")
            #expect(lines.count > leak + 1 && lines[leak + 1].contains("reference still held: Tag 0xABC at WdfTests/DriverVerifierRuleTests.swift:"), "\(lines)")
            #expect(lines.filter { $0.contains("TrackRefsPool: leaked") }.count == 1, "\(lines)")
        }

        @Test func lowResourcesFailFrameworkCreationsAndCountThem() async {
            let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
                let parameters: [String: UInt32] = [
                    "VerifyDriverLevel": 0x4, "LowResourcesProbability": 10_000, "LowResourcesSeed": 7, "LowResourcesSkip": 0,
                ]
                for (name, value) in parameters { DriverHost.setServiceParameter(service: "LowFw", name: name, value: value) }
                var created: WdfDriverHandle?
                let host = try! DriverHost.load(serviceName: "LowFw") { host throws(NTStatus) in
                    created = try WdfDriverHandle.create(registryPath: host.registryPath, host: host, config: WdfDriverHandle.Config())
                }
                _ = created
                var failures = 0
                for attempt in 0..<3 {
                    do {
                        switch attempt {
                        case 0: _ = try WdfObject.create()
                        case 1: _ = try WdfRequestHandle.create()
                        default: _ = try WdfMemoryHandle.create(size: 16)
                        }
                    } catch {
                        if (error as? NTStatus) == .insufficientResources { failures += 1 }
                    }
                }
                guard failures == 3, host.verifier.lowResourcesFailures(.framework) == 3 else { exit(3) }
                _ = try! DriverHost.unload(host)
            }
            let text = stopText(result)
            #expect(text.contains("Driver Verifier: LowFw unloads: low resources simulation failed 3 allocations (pool 0, framework 3, ECP 0), LowResourcesSeed=7"), "\(text)")
        }
    }
}

/// A Swift "driver" function that takes two tagged references and releases one (outside the
/// test's macro expansions, so that the records name this file and this function). Returns the
/// line of the reference it keeps.
func takeReferencesAndKeepOne() throws(NTStatus) -> Int {
    let object = try WdfObject.create()
    let keptLine = #line + 1
    object.reference(tag: UnsafeRawPointer(bitPattern: 0x1234)!)
    object.reference(tag: UnsafeRawPointer(bitPattern: 0x5678)!)
    object.dereference(tag: UnsafeRawPointer(bitPattern: 0x5678)!)
    return keptLine
}
