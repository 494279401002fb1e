import Testing
import NtKernel
import Wdf

extension WdfSuites {
    @Suite("Driver glue")
    struct DriverGlueTests {
        @Test func theDriverKeepsItsRegistryPathAndItsDevicesKnowIt() throws {
            let config = WdfDriverHandle.Config(deviceAdd: { _, deviceInit throws(NTStatus) in _ = try WdfDeviceHandle.create(deviceInit) })
            var created: WdfDriverHandle?
            let host = try DriverHost.load(serviceName: "GlueSwift") { host throws(NTStatus) in
                created = try WdfDriverHandle.create(registryPath: host.registryPath, host: host, config: config)
                // WdfDriverCreate is called once per driver.
                #expect(throws: NTStatus.driverInternalError) {
                    try WdfDriverHandle.create(registryPath: host.registryPath, host: host, config: config)
                }
            }
            let driver = try #require(created)
            #expect(driver.registryPath == "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\GlueSwift")
            #expect(WdfDriverHandle.driver(for: host) == driver)
            let device = try WdfDeviceHandle.add(to: driver)
            #expect(device.driver == driver)
            #expect(try DriverHost.unload(host) == .success)
        }

        @Test func versionsOfTheSameMajorUpToOursAreAvailable() {
            #expect(WdfDriverHandle.isVersionAvailable(major: 1, minor: 0))
            #expect(WdfDriverHandle.isVersionAvailable(major: 1, minor: WdfDriverHandle.frameworkVersion.minor))
            #expect(!WdfDriverHandle.isVersionAvailable(major: 1, minor: WdfDriverHandle.frameworkVersion.minor + 1))
            #expect(!WdfDriverHandle.isVersionAvailable(major: 2, minor: 0))
        }

        /// A context type's size is a multiple of its alignment, so a C type declared
        /// `DECLSPEC_ALIGN(64)` has a size that is a multiple of 64: such contexts are 64-byte
        /// aligned, whichever path allocates them.
        @Test(arguments: [(64, 64), (128, 64), (4096, 64), (32, 32), (96, 32), (48, 16), (24, 8), (8, 8)])
        func contextsAreAlignedAsTheirSizeAllows(size: Int, alignment: Int) throws {
            let type = ContextType(key: 0xA11C_0000 + UInt(size), size: size, name: "ALIGNED")
            var objects: [WdfObject] = []
            for _ in 0..<64 {
                let object = try WdfObject.create(attributes: WdfAttributes(context: type))
                let context = try #require(object.context(type))
                #expect(Int(bitPattern: context) % alignment == 0)
                #expect(WdfObject.owner(ofContext: context) == object)
                context.initializeMemory(as: UInt8.self, repeating: 0xA5, count: size)
                let plain = try WdfObject.create()
                let added = try plain.allocateContext(WdfAttributes(context: type))
                #expect(Int(bitPattern: added.context) % alignment == 0)
                #expect(WdfObject.owner(ofContext: added.context) == plain)
                objects += [object, plain]
            }
            for object in objects { object.delete() }
        }
    }
}
