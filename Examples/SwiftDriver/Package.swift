// swift-tools-version: 6.2
// A Swift program written from the README and the documentation alone: a request handler,
// lookaside buffers parented to requests, tags, errors, several tasks, and a driver loaded with
// the verifiers on. It depends on the package by path, as a user's package would, so it sees
// only the public API; scripts/ci/example.sh builds it with warnings as errors and runs it.
import PackageDescription

let package = Package(
    name: "SwiftDriver",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "wdf-memory", path: "../..")],
    targets: [
        .executableTarget(
            name: "SwiftDriver",
            dependencies: [
                .product(name: "NtKernel", package: "wdf-memory"),
                .product(name: "Wdf", package: "wdf-memory"),
            ]
        )
    ]
)
