import Synchronization
package import NtKernel

/// What `EvtDriverDeviceAdd` receives and `WdfDeviceHandle.create` consumes. Corresponds to
/// `PWDFDEVICE_INIT`.
package struct DeviceInit: Sendable {
    let driver: UInt32
    /// The value the C door hands to `EvtDriverDeviceAdd` (inside its `PWDFDEVICE_INIT`).
    package var rawValue: UInt32 { driver }
    package init(rawValue: UInt32) { driver = rawValue }
}

/// A device object: just enough to be a parent. Corresponds to `WDFDEVICE`.
package struct WdfDeviceHandle: Hashable, Sendable {
    package let object: WdfObject
    package init(_ object: WdfObject) { self.object = object }

    /// The driver the device belongs to. Corresponds to `WdfDeviceGetDriver`.
    package var driver: WdfDriverHandle {
        let slot = ObjectTable.resolve(object, kinds: ObjectKinds(.device), routine: "WdfDeviceGetDriver")
        return WdfDriverHandle(ObjectTable.handle(of: slot.pointee.driver))
    }

    /// Creates the device of `deviceInit`'s driver. Corresponds to `WdfDeviceCreate`.
    package static func create(_ deviceInit: DeviceInit, attributes: WdfAttributes = WdfAttributes()) throws(NTStatus)
        -> WdfDeviceHandle
    {
        try attributes.validate(forMemory: false)
        let owner = (parent: deviceInit.driver, driver: deviceInit.driver)
        return WdfDeviceHandle(try ObjectCreation.create(kind: .device, attributes: attributes, owner: owner, routine: "WdfDeviceCreate"))
    }

    /// Plays PnP for a driver: calls its `EvtDriverDeviceAdd`, which creates the device, and
    /// returns that device. Corresponds to `WdfHostAddDevice`.
    /// - Throws: `.invalidDeviceRequest` when the driver has no device-add callback or it made no
    ///   device; the callback's own failure.
    package static func add(to driver: WdfDriverHandle) throws(NTStatus) -> WdfDeviceHandle {
        let state = driver.state
        guard let deviceAdd = state.deviceAdd else { throw .invalidDeviceRequest }
        let index = driver.object.index!
        let before = DeviceTracker.devices(of: index)
        do {
            try deviceAdd(driver, DeviceInit(rawValue: index))
        } catch {
            // A failed EvtDriverDeviceAdd leaves nothing behind: its device is deleted.
            for device in DeviceTracker.devices(of: index) where !before.contains(device) {
                ObjectLifetime.dispose(device.index!)
            }
            throw error
        }
        guard let device = DeviceTracker.devices(of: index).first(where: { !before.contains($0) }) else {
            throw .invalidDeviceRequest
        }
        return WdfDeviceHandle(device)
    }
}

/// Finds a driver's devices (its children of kind device).
enum DeviceTracker {
    static func devices(of driver: UInt32) -> [WdfObject] {
        ObjectLifetime.implicitChildren(of: driver)
            .filter { ObjectTable.slot($0).pointee.kind == ObjectKind.device.rawValue }
            .map { ObjectTable.handle(of: $0) }
    }
}

/// A request object: just enough to be a parent. Corresponds to `WDFREQUEST`.
package struct WdfRequestHandle: Hashable, Sendable {
    package let object: WdfObject
    package init(_ object: WdfObject) { self.object = object }

    /// Creates a request (parented to the driver unless the attributes say otherwise).
    /// Corresponds to `WdfRequestCreate(Attributes, NULL, &Request)`.
    package static func create(attributes: WdfAttributes = WdfAttributes()) throws(NTStatus) -> WdfRequestHandle {
        let owner = ObjectCreation.owner(parent: attributes.parent, routine: "WdfRequestCreate")
        try attributes.validate(forMemory: false)
        return WdfRequestHandle(try ObjectCreation.create(kind: .request, attributes: attributes, owner: owner, routine: "WdfRequestCreate"))
    }
}
