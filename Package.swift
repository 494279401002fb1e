// swift-tools-version: 6.2
// The Windows driver memory subsystem (pool, lookaside lists, KMDF objects, ECPs) in a Linux process.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// The runtime's modules in release builds: every function starts on a 64-byte boundary. Without
// it, a change anywhere in the library moves the hot paths across cache-line and fetch-block
// boundaries, and the single-pair figures moved by up to 0.5 ns (7%) between builds whose hot
// code was byte-identical; aligned, they stay at the good end. It costs about 3% of code size.
// (Tools version 6.2: from it on, SwiftPM lets packages that depend on this one by version build
// targets with unsafe flags.)
// `-ftls-model=initial-exec` for the C the modules compile (the standard library's inline
// `_swift_stdlib_gettid`, which every `Mutex` lock calls): as a shared library it would otherwise
// reach its thread-local through a call to `__tls_get_addr` on every lock. libWdf01000.so already
// keeps its own thread-locals initial-exec (CRuntimeShims).
let runtime: [SwiftSetting] = strict + [
    .unsafeFlags(["-Xllvm", "-align-all-functions=6", "-Xcc", "-ftls-model=initial-exec"], .when(configuration: .release)),
]

// The libFuzzer target (Tests/Fuzz) links only with -sanitize=fuzzer (libFuzzer supplies main),
// so it is declared only when WDF_FUZZ is set: scripts/ci/fuzz.sh builds it, and a plain
// `swift build` / `swift test` never sees it.
let fuzzing = Context.environment["WDF_FUZZ"] != nil

let package = Package(
    name: "wdf-memory",
    products: [
        // The C front door: libWdf01000.so, exporting every routine the headers declare.
        .library(name: "Wdf01000", type: .dynamic, targets: ["Wdf01000"]),
        // The Swift front door.
        .library(name: "NtKernel", targets: ["NtKernel"]),
        .library(name: "Wdf", targets: ["Wdf"]),
        .library(name: "FltMgr", targets: ["FltMgr"]),
        // Snapshots for wdfmon (WDFMON_PUBLISH=1) and the poolmon table, for any Swift program.
        .library(name: "WdfMonitor", targets: ["WdfMonitor"]),
        .executable(name: "wdfmon", targets: ["wdfmon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        // `swift package generate-documentation` (the DocC catalogs; scripts/ci/docs.sh).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // Thread-local storage accessor and other tiny C helpers the Swift runtime needs (internal).
        .target(name: "CRuntimeShims"),
        // The public, WDK-shaped C headers (wdm.h, wdf.h, fltkernel.h, wdfhost.h).
        .target(name: "CWdf"),
        // Kernel runtime: status codes, IRQL, bug checks, pool, quota, lookaside lists, the host.
        .target(
            name: "NtKernel",
            dependencies: ["CRuntimeShims", .product(name: "Logging", package: "swift-log")],
            swiftSettings: runtime
        ),
        // KMDF object model: handles, attributes, contexts, lifetime; driver, device, request,
        // memory and lookaside-list objects; the framework verifier.
        .target(name: "Wdf", dependencies: ["NtKernel", "CRuntimeShims"], swiftSettings: runtime),
        // Filter Manager: filters, ECP lookaside lists, extra create parameters, ECP lists.
        .target(name: "FltMgr", dependencies: ["NtKernel"], swiftSettings: runtime),
        // wdfmon's snapshot publishing (WDFMON_PUBLISH=1): the load-time check (C), the snapshot,
        // its publisher thread and the poolmon table (Swift).
        .target(name: "CWdfMonitor", dependencies: ["CRuntimeShims"]),
        .target(name: "WdfMonitor", dependencies: ["NtKernel", "Wdf", "CWdfMonitor"], swiftSettings: strict),
        // C exports (`@c @implementation`): convert arguments, call the Swift layer, convert results.
        .target(name: "Wdf01000", dependencies: ["NtKernel", "Wdf", "FltMgr", "CWdf", "WdfMonitor"], swiftSettings: runtime),
        // The sample driver that wdfmon loads, written in C against the public headers.
        .target(name: "SampleDriver", dependencies: ["CWdf"], path: "Sources/SampleDriver"),
        .executableTarget(
            name: "wdfmon",
            dependencies: [
                "NtKernel", "Wdf", "Wdf01000", "SampleDriver", "WdfMonitor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),
        // C client programs run by CClientTests (built by `swift test`, linked to the exports).
        .executableTarget(name: "c-pool-client", dependencies: ["Wdf01000", "CWdf"], path: "Tests/CClients/pool-client"),
        .executableTarget(name: "c-pooltag-reader", dependencies: ["Wdf01000", "CWdf"], path: "Tests/CClients/pooltag-reader"),
        .executableTarget(name: "c-minifilter-client", dependencies: ["Wdf01000", "CWdf"], path: "Tests/CClients/minifilter-client"),
        .executableTarget(name: "c-minifilter-create", dependencies: ["Wdf01000", "CWdf"], path: "Tests/CClients/minifilter-create"),
        .executableTarget(
            name: "c-wdf-client", dependencies: ["Wdf01000", "CWdf"], path: "Tests/CClients/wdf-client",
            cSettings: [.unsafeFlags(["-Wno-multichar"])]),
        // C programs that WdfMonTests run under wdfmon: one that leaks a pool block, a clean one, a
        // long-running one (attach, tree).
        .executableTarget(name: "c-monitor-leak", dependencies: ["Wdf01000", "CWdf"], path: "Tests/CClients/monitor-leak"),
        .executableTarget(name: "c-monitor-clean", dependencies: ["Wdf01000", "CWdf"], path: "Tests/CClients/monitor-clean"),
        .executableTarget(name: "c-monitor-busy", dependencies: ["Wdf01000", "CWdf"], path: "Tests/CClients/monitor-busy"),
        // The driver with the classic bugs (Driver Verifier), built -g -O0 in debug as tests use it.
        .executableTarget(
            name: "c-verifier-client", dependencies: ["Wdf01000", "CWdf"], path: "Tests/CClients/verifier-client",
            cSettings: [.unsafeFlags(["-Wno-multichar"])]),
        // Helpers the test targets share (reading a bug check's stop line).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "NtKernelTests", dependencies: ["NtKernel", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "WdfTests", dependencies: ["Wdf", "NtKernel", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "FltMgrTests", dependencies: ["FltMgr", "NtKernel", "TestSupport"], swiftSettings: strict),
        // The C API driven from Swift through the public headers: the issue-14 defects, the
        // model-based random test and the fault-injection sweep (each in child processes).
        .testTarget(name: "CApiTests", dependencies: ["Wdf01000", "CWdf", "CApiModel", "TestSupport"], swiftSettings: strict),
        // The model of the C API's objects that the model test, the fault sweep and the fuzz
        // target run operations against (Tests/CApiModel).
        // Optimized in every configuration: the model's bookkeeping, unoptimized, cost ten times
        // the library's own work per operation.
        .target(
            name: "CApiModel", dependencies: ["CWdf"], path: "Tests/CApiModel",
            swiftSettings: strict + [.unsafeFlags(["-O"])]),
        .testTarget(
            name: "WdfMonTests",
            dependencies: ["WdfMonitor", "NtKernel", "Wdf", "wdfmon", "c-monitor-leak", "c-monitor-clean", "c-monitor-busy"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CClientTests",
            dependencies: [
                "NtKernel", "c-pool-client", "c-pooltag-reader", "c-wdf-client", "c-minifilter-client", "c-minifilter-create",
                "c-verifier-client",
            ],
            swiftSettings: strict
        ),
    ]
)

if fuzzing {
    package.products.append(.executable(name: "Fuzz", targets: ["Fuzz"]))
    package.targets.append(
        .executableTarget(
            name: "Fuzz", dependencies: ["CApiModel", "Wdf01000", "CWdf"], path: "Tests/Fuzz", exclude: ["Corpus"],
            swiftSettings: strict + [.unsafeFlags(["-parse-as-library"])]))
}
