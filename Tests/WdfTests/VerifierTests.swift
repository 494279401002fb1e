import Testing
import NtKernel
import Wdf

/// Loads a driver through the host with the given service parameters and runs `body` in it.
func withLoadedDriver(
    _ service: String, parameters: [String: UInt32] = [:], config: WdfDriverHandle.Config = WdfDriverHandle.Config(),
    _ body: (WdfDriverHandle) throws -> Void
) throws -> NTStatus {
    for (name, value) in parameters { DriverHost.setServiceParameter(service: service, name: name, value: value) }
    var created: WdfDriverHandle?
    let host = try DriverHost.load(serviceName: service) { host throws(NTStatus) in
        created = try WdfDriverHandle.create(registryPath: host.registryPath, host: host, config: config)
    }
    try body(created!)
    return try DriverHost.unload(host)
}

extension WdfSuites {
    @Suite("Verifier")
    struct VerifierTests {
        @Test func settingsAreReadFromTheServiceParameters() throws {
            _ = try withLoadedDriver("VerifSettings", parameters: ["VerifierOn": 1, "VerifierAllocateFailCount": 3]) { driver in
                #expect(driver.verifierSettings.verifierOn)
                #expect(driver.verifierSettings.allocateFailCount == 3)
                #expect(driver.poolTag == PoolTag("Veri"))
                #expect(driver.serviceName == "VerifSettings")
            }
        }

        @Test func allocateFailCountLetsTheFirstNSucceed() throws {
            _ = try withLoadedDriver("VerifFail", parameters: ["VerifierAllocateFailCount": 2]) { _ in
                let first = try WdfMemoryHandle.create(size: 8)
                let second = try WdfMemoryHandle.create(size: 8)
                #expect(throws: NTStatus.insufficientResources) { try WdfMemoryHandle.create(size: 8) }
                first.delete()
                second.delete()
            }
        }

        @Test func irqlChecksReturnInvalidDeviceRequest() throws {
            _ = try withLoadedDriver("VerifIrql", parameters: ["VerifierOn": 1]) { _ in
                Irql.withRaised(to: .dispatch) {
                    #expect(throws: NTStatus.invalidDeviceRequest) { try WdfMemoryHandle.create(poolType: .paged, size: 8) }
                    #expect(throws: NTStatus.invalidDeviceRequest) { try WdfLookasideHandle.create(bufferSize: 8, poolType: .paged) }
                }
                Irql.withRaised(to: .apc) {
                    // The page allows APC_LEVEL for paged pool.
                    let memory = try? WdfMemoryHandle.create(poolType: .paged, size: 8)
                    #expect(memory != nil)
                    memory?.delete()
                }
            }
        }

        @Test func leaksAreReportedAtUnload() throws {
            var leaked: WdfMemoryHandle?
            let before = VerifierLog.count
            let status = try withLoadedDriver("VerifLeak", parameters: ["VerifierOn": 1]) { _ in
                let memory = try WdfMemoryHandle.create(tag: "Leak", size: 40)
                memory.object.reference()  // keeps it alive past the driver's teardown
                leaked = memory
            }
            #expect(status == .moreEntries)
            #expect(VerifierLog.count > before)
            #expect(VerifierLog.recent.contains { $0.contains("leaked WDFMEMORY") && $0.contains("'Leak'") && $0.contains("40 bytes")
                    && $0.contains("WdfMemoryCreate called from") })
            #expect(leaked?.object.isValid == true)  // nothing is freed for it
        }

        @Test func cleanUnloadReturnsSuccess() throws {
            let status = try withLoadedDriver("VerifClean", parameters: ["VerifierOn": 1]) { _ in
                _ = try WdfMemoryHandle.create(size: 40)  // parented to the driver: deleted with it
            }
            #expect(status == .success)
        }

        @Test func releasingATagNeverTakenIsAMessage() throws {
            _ = try withLoadedDriver("VerifTags", parameters: ["TrackHandles": 1]) { _ in
                let object = try WdfObject.create()
                let tag = UnsafeRawPointer(bitPattern: 0x1000)!
                object.reference(tag: tag)
                object.reference(tag: tag)
                func messages() -> Int { VerifierLog.recent.filter { $0.contains("releasing tag 2000 on \(object)") }.count }
                object.dereference(tag: UnsafeRawPointer(bitPattern: 0x2000)!)  // never taken: a message
                #expect(messages() == 1)
                object.dereference(tag: tag)
                #expect(messages() == 1)
                #expect(!VerifierLog.recent.contains { $0.contains("releasing tag 1000 on \(object)") })
                object.delete()
            }
        }

        @Test func deletingADriverOrDeviceIsAMessage() throws {
            let config = WdfDriverHandle.Config(deviceAdd: { _, deviceInit throws(NTStatus) in _ = try WdfDeviceHandle.create(deviceInit) })
            _ = try withLoadedDriver("VerifDev", config: config) { driver in
                let device = try WdfDeviceHandle.add(to: driver)
                device.object.delete()
                driver.object.delete()
                #expect(VerifierLog.recent.contains { $0.contains("a WDFDEVICE is deleted by the framework") })
                #expect(VerifierLog.recent.contains { $0.contains("a WDFDRIVER is deleted by the framework") })
                #expect(device.object.isValid && driver.object.isValid)
            }
        }

        @Test func unloadCallsEvtDriverUnloadAndDeletesEverything() throws {
            let log = CallbackLog()
            var memory: WdfMemoryHandle?
            let config = WdfDriverHandle.Config(unload: { _ in log.entries.withLock { $0.append("unload") } })
            _ = try withLoadedDriver("VerifUnload", config: config) { _ in
                memory = try WdfMemoryHandle.create(attributes: WdfAttributes(cleanup: log.callback("memory")), size: 8)
            }
            #expect(log.all == ["unload", "memory"])
            #expect(memory?.object.isValid == false)
        }
    }
}
