import CRuntimeShims

/// The loaded image (the executable or a shared object) that holds an address, as the dynamic
/// loader mapped it. The host fills a driver object's `DriverStart` and `DriverSize` from the
/// image that holds the driver's `DriverEntry`.
package struct LoadedImage {
    /// The image's lowest mapped address.
    package let start: UnsafeRawPointer
    /// The extent of its loadable segments, in bytes.
    package let size: Int

    /// The image that holds `address`, or nil when none does.
    package static func containing(_ address: UnsafeRawPointer) -> LoadedImage? {
        var start: UnsafeMutableRawPointer? = nil
        var size: UInt = 0
        guard nt_image_containing(address, &start, &size) != 0, let start else { return nil }
        return LoadedImage(start: UnsafeRawPointer(start), size: Int(clamping: size))
    }
}
