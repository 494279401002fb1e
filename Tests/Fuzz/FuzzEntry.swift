// The libFuzzer target over the C API: each input is an operation stream (Tests/CApiModel
// decodes it, one or two bytes per choice) run against a freshly loaded driver and the model,
// then the driver's unload. Only valid operations are generated (misuse is the exit tests'),
// so any mismatch with the model, sanitizer report or crash is a finding: the mismatch aborts,
// and libFuzzer keeps the input.
//
// Built only by scripts/ci/fuzz.sh (it needs -sanitize=fuzzer to link; Package.swift declares
// this target only when WDF_FUZZ is set).
import CApiModel
import CWdf
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Alternates the verifier between inputs (the fast paths and the general ones).
nonisolated(unsafe) var inputs = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The first byte picks the verifier setting, the rest are operations.
    let verifierOn = bytes[0] & 1 == 1
    let service = verifierOn ? "FzVModel" : "FzPModel"
    _ = WdfHostSetServiceParameter(service, "VerifierOn", verifierOn ? 1 : 0)
    var object: PDRIVER_OBJECT?
    let loaded = WdfHostLoadDriver(service, { driverObject, registryPath in
        var config = WDF_DRIVER_CONFIG()
        WDF_DRIVER_CONFIG_INIT(&config, nil)
        return WdfDriverCreate(driverObject, registryPath, nil, &config, nil)
    }, &object)
    guard loaded == STATUS_SUCCESS, let object else { fatal("the driver did not load: \(loaded)") }
    // The driver's default tag: its service name's first four characters ("FzVM" / "FzPM").
    let model = CApiModel(tagPrefix: verifierOn ? "FvM" : "FpM", driverTag: tagValue(String(service.prefix(4))))
    model.population = 64
    var source = ByteSource(Array(bytes.dropFirst()))
    do {
        try model.run(&source, operations: 4096)
        try model.prepareUnload()
        let status = WdfHostUnloadDriver(object)
        if status != STATUS_SUCCESS { fatal("unload returned 0x\(String(UInt32(bitPattern: status), radix: 16))") }
        try model.checkUnloaded()
    } catch {
        fatal("MODEL MISMATCH: \(error)")
    }
    inputs += 1
    return 0
}

func tagValue(_ text: String) -> ULONG {
    var value: ULONG = 0
    for (index, byte) in text.utf8.prefix(4).enumerated() { value |= ULONG(byte) << (8 * ULONG(index)) }
    return value
}

func fatal(_ text: String) -> Never {
    let line = "FUZZ: \(text)\n"
    line.withCString { _ = write(2, $0, strlen($0)) }
    abort()
}
