import Testing
import NtKernel
import Wdf

extension WdfSuites {
    @Suite("Driver glue")
    struct DriverGlueTests {
        @Test func theDriverKeepsItsRegistryPathAndItsDevicesKnowIt() throws {
            let config = WdfDriver.Config(deviceAdd: { _, deviceInit throws(NTStatus) in _ = try WdfDevice.create(deviceInit) })
            var created: WdfDriver?
            let host = try DriverHost.load(serviceName: "GlueSwift") { host throws(NTStatus) in
                created = try WdfDriver.create(registryPath: host.registryPath, host: host, config: config)
                // WdfDriverCreate is called once per driver.
                #expect(throws: NTStatus.driverInternalError) {
                    try WdfDriver.create(registryPath: host.registryPath, host: host, config: config)
                }
            }
            let driver = try #require(created)
            #expect(driver.registryPath == "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\GlueSwift")
            #expect(WdfDriver.driver(for: host) == driver)
            let device = try WdfDevice.add(to: driver)
            #expect(device.driver == driver)
            #expect(try DriverHost.unload(host) == .success)
        }

        @Test func versionsOfTheSameMajorUpToOursAreAvailable() {
            #expect(WdfDriver.isVersionAvailable(major: 1, minor: 0))
            #expect(WdfDriver.isVersionAvailable(major: 1, minor: WdfDriver.frameworkVersion.minor))
            #expect(!WdfDriver.isVersionAvailable(major: 1, minor: WdfDriver.frameworkVersion.minor + 1))
            #expect(!WdfDriver.isVersionAvailable(major: 2, minor: 0))
        }

        /// A context type's size is a multiple of its alignment, so a C type declared
        /// `DECLSPEC_ALIGN(64)` has a size that is a multiple of 64: such contexts are 64-byte
        /// aligned, whichever path allocates them.
        @Test(arguments: [(64, 64), (128, 64), (4096, 64), (32, 32), (96, 32), (48, 16), (24, 8), (8, 8)])
        func contextsAreAlignedAsTheirSizeAllows(size: Int, alignment: Int) throws {
            let type = ContextType(key: 0xA11C_0000 + UInt(size), size: size, name: "ALIGNED")
            var objects: [WdfObject] = []
            for _ in 0..<64 {
                let object = try WdfObject.create(attributes: ObjectAttributes(context: type))
                let context = try #require(object.context(type))
                #expect(Int(bitPattern: context) % alignment == 0)
                #expect(WdfObject.owner(ofContext: context) == object)
                context.initializeMemory(as: UInt8.self, repeating: 0xA5, count: size)
                let plain = try WdfObject.create()
                let added = try plain.allocateContext(ObjectAttributes(context: type))
                #expect(Int(bitPattern: added.context) % alignment == 0)
                #expect(WdfObject.owner(ofContext: added.context) == plain)
                objects += [object, plain]
            }
            for object in objects { object.delete() }
        }
    }
}
