// Helpers for tests that drive the C API itself: the exported routines of libWdf01000, called
// through the public headers (CWdf), as a C driver calls them.
//
// Everything that loads a driver, changes verifier settings or bug checks runs in an exit test
// (a child process): the current driver is process-wide state, and the other test targets
// create objects without a parent in this process.
import CWdf
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A pool tag from its text, first character in the lowest byte (the C literal 'dcba' is "abcd").
func tag(_ text: String) -> ULONG {
    var value: ULONG = 0
    for (index, byte) in text.utf8.prefix(4).enumerated() { value |= ULONG(byte) << (8 * ULONG(index)) }
    return value
}

/// `WDF_OBJECT_ATTRIBUTES_INIT`, as a value.
func attributes(parent: WDFOBJECT? = nil) -> WDF_OBJECT_ATTRIBUTES {
    var value = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(&value)
    value.ParentObject = parent
    return value
}

/// A context type as `WDF_DECLARE_CONTEXT_TYPE` defines one (never freed: its address is the key).
func makeContextType(name: String, size: Int) -> UnsafeMutablePointer<WDF_OBJECT_CONTEXT_TYPE_INFO> {
    let info = UnsafeMutablePointer<WDF_OBJECT_CONTEXT_TYPE_INFO>.allocate(capacity: 1)
    info.initialize(to: WDF_OBJECT_CONTEXT_TYPE_INFO())
    info.pointee.Size = ULONG(MemoryLayout<WDF_OBJECT_CONTEXT_TYPE_INFO>.size)
    info.pointee.ContextName = strdup(name)
    info.pointee.ContextSize = size
    info.pointee.UniqueType = UnsafePointer(info)
    return info
}

func reference(_ object: WDFOBJECT?) { WdfObjectReferenceActual(object, nil, #line, #file) }
func dereference(_ object: WDFOBJECT?) { WdfObjectDereferenceActual(object, nil, #line, #file) }

/// The raw handle value of a framework handle.
func raw(_ handle: OpaquePointer?) -> UInt { UInt(bitPattern: UnsafeMutableRawPointer(handle)) }
func raw(_ handle: UnsafeMutableRawPointer?) -> UInt { UInt(bitPattern: handle) }

/// `ZwQuerySystemInformation(SystemPoolTagInformation)`: the entry of one tag, if present.
func poolTagInfo(_ tagValue: ULONG) -> SYSTEM_POOLTAG? {
    var needed: ULONG = 0
    _ = ZwQuerySystemInformation(SystemPoolTagInformation, nil, 0, &needed)
    while true {
        let capacity = Int(needed) + 4096
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        let status = ZwQuerySystemInformation(SystemPoolTagInformation, buffer, ULONG(capacity), &needed)
        if status == STATUS_INFO_LENGTH_MISMATCH { continue }
        guard status == STATUS_SUCCESS else { return nil }
        let count = Int(buffer.load(as: ULONG.self))
        let header = MemoryLayout<SYSTEM_POOLTAG_INFORMATION>.offset(of: \SYSTEM_POOLTAG_INFORMATION.TagInfo) ?? 8
        let entries = (buffer + header).assumingMemoryBound(to: SYSTEM_POOLTAG.self)
        for index in 0..<count where entries[index].TagUlong == tagValue { return entries[index] }
        return nil
    }
}

/// Checks made inside a child process: a failed one is printed to standard error, and the
/// parent's `reportChild` records them.
enum Child {
    nonisolated(unsafe) static var failures = 0

    static func check(_ condition: Bool, _ what: @autoclosure () -> String, line: Int = #line) {
        if !condition {
            failures += 1
            writeError("FAIL (line \(line)): \(what())")
        }
    }

    static func note(_ text: String) { writeError(text) }

    /// Exits normally: the parent reads the failed checks from standard error (`reportChild`);
    /// an exit test that fails gives no output back.
    static func finish() -> Never {
        if failures > 0 { writeError("FAIL: \(failures) check(s) failed") }
        exit(0)
    }
}

/// Writes a line to standard error (unbuffered: a bug check may follow).
func writeError(_ text: String) {
    let line = text + "\n"
    line.withCString { _ = write(2, $0, strlen($0)) }
}

/// `WdfObjectDelete` and references for the specific handle types (C converts them implicitly).
func WdfObjectDelete(_ object: OpaquePointer?) { CWdf.WdfObjectDelete(UnsafeMutableRawPointer(object)) }
func reference(_ object: OpaquePointer?) { reference(UnsafeMutableRawPointer(object)) }
func dereference(_ object: OpaquePointer?) { dereference(UnsafeMutableRawPointer(object)) }

/// Shows what a child process that should have succeeded said (its failed checks).
func reportChild(_ result: ExitTest.Result?, sourceLocation: SourceLocation = #_sourceLocation) {
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    if result?.exitStatus != .exitCode(0) || text.contains("FAIL") {
        Issue.record("child process: \(result.map { "\($0.exitStatus)" } ?? "none")\n\(text)", sourceLocation: sourceLocation)
    }
}

/// Hex as the stop line prints a parameter.
func hex16(_ value: UInt) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
}

// MARK: Loading a driver

/// The driver a test loaded, with its WDFDRIVER (from its DriverEntry).
struct LoadedTestDriver {
    var object: PDRIVER_OBJECT
    var driver: WDFDRIVER?
}

/// What the DriverEntry below hands back (one driver loads at a time in a test process).
nonisolated(unsafe) var lastCreatedDriver: WDFDRIVER?
/// The EvtDriverDeviceAdd a test wants (nil: none).
nonisolated(unsafe) var deviceAddRoutine: PFN_WDF_DRIVER_DEVICE_ADD?

/// Loads a driver for `service` whose DriverEntry calls WdfDriverCreate, after setting the
/// given service parameters.
func loadDriver(_ service: String, parameters: [(String, ULONG)] = []) -> LoadedTestDriver? {
    for (name, value) in parameters { _ = WdfHostSetServiceParameter(service, name, value) }
    var object: PDRIVER_OBJECT?
    let status = WdfHostLoadDriver(service, { driverObject, registryPath in
        var config = WDF_DRIVER_CONFIG()
        WDF_DRIVER_CONFIG_INIT(&config, deviceAddRoutine)
        var driver: WDFDRIVER?
        let status = WdfDriverCreate(driverObject, registryPath, nil, &config, &driver)
        lastCreatedDriver = driver
        return status
    }, &object)
    guard status == STATUS_SUCCESS, let object else { return nil }
    return LoadedTestDriver(object: object, driver: lastCreatedDriver)
}
