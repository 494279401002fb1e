// swift-tools-version: 6.1
// Benchmarks of the Swift API (ordo-one/benchmark), kept out of the root package so that
// `swift test` never builds the benchmark dependency. Run from the repository root:
//
//     swift package --package-path Benchmarks benchmark
//
// `bash scripts/bench.sh` runs these together with the C harness (Benchmarks/CHarness) and writes
// bench-results/.
import PackageDescription

let package = Package(
    name: "wdf-memory-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The package under test (the repository root).
        .package(name: "wdf-memory", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "MemoryBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NtKernel", package: "wdf-memory"),
                .product(name: "Wdf", package: "wdf-memory"),
                .product(name: "FltMgr", package: "wdf-memory"),
            ],
            path: "Benchmarks/MemoryBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
