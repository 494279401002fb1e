// Benchmarks of the Swift API: warm allocate+free pairs through a lookaside list, the pool, a WDF
// lookaside-list object and an ECP lookaside list, and batches of 1000 through a lookaside list.
//
// Metrics: wallClock and mallocCountTotal. Every sample runs `scalingFactor` pairs (or one batch
// of 1000), so a sample's wall clock divided by 1000 is ns per pair. The warm pairs of our
// allocators must not call malloc at all: their mallocCountTotal has a static threshold of 0 with
// a tolerance of 0 (Thresholds/MemoryBenchmarks.<name>.p90.json, checked by
// `swift package --package-path Benchmarks benchmark thresholds check`).
//
// The measured loops are nonisolated functions (DESIGN §4): closures of main-actor isolated code
// pay an executor check per call.
import Benchmark
import FltMgr
#if canImport(Glibc)
import Glibc
#endif
import NtKernel
import Wdf

/// Pairs per sample for the single-pair benchmarks.
let pairsPerSample = 1000
/// Entries allocated then freed per sample in the batch benchmarks.
let batchCount = 1000

/// Malloc calls in a warm pair: none. A p90 of 0 with no tolerance: one malloc in a sample fails.
nonisolated(unsafe) let noMalloc: [BenchmarkMetric: BenchmarkThresholds] = [
    .mallocCountTotal: BenchmarkThresholds(relative: [.p90: 0], absolute: [.p90: 0])
]

// MARK: - The measured loops

/// Keeps `value` alive and observed, as `blackHole` does, for owners that cannot be copied.
@_optimize(none) @inline(never)
nonisolated func keep<Value: ~Copyable>(_ value: borrowing Value) {}

@inline(never)
nonisolated func lookasidePairs(_ list: LookasideList, count: Int) throws(NTStatus) {
    for _ in 0..<count {
        let entry = try list.allocate()
        keep(entry)
        entry.free()
    }
}

@inline(never)
nonisolated func lookasideBatch(_ list: LookasideList, into slots: UnsafeMutablePointer<LookasideEntry>, count: Int)
    throws(NTStatus)
{
    for index in 0..<count { (slots + index).initialize(to: try list.allocate()) }
    keep(slots)
    slots.deinitialize(count: count)  // each entry goes back to the list
}

@inline(never)
nonisolated func poolPairs(count: Int, byteCount: Int, tag: PoolTag) throws(NTStatus) {
    for _ in 0..<count {
        let block = try PoolBlock(.nonPagedNx, byteCount: byteCount, tag: tag)
        keep(block)
        block.free()
    }
}

@inline(never)
nonisolated func wdfMemoryPairs(_ list: WdfLookaside, count: Int) throws(NTStatus) {
    for _ in 0..<count {
        let memory = try list.makeMemory()
        keep(memory)
        memory.delete()
    }
}

@inline(never)
nonisolated func ecpPairs(_ list: EcpLookasideList, type: EcpType, size: Int, count: Int) throws(NTStatus) {
    for _ in 0..<count {
        let parameter = try list.allocate(type, size: size)
        keep(parameter)
        parameter.free()
    }
}

/// The reference: the system allocator, which the benchmark's malloc interposer counts (1 per pair).
@inline(never)
nonisolated func systemAllocatorPairs(count: Int, byteCount: Int) {
    for _ in 0..<count {
        let block = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 16)
        blackHole(block)
        block.deallocate()
    }
}

/// Resources a benchmark needs, made once per process (before warm-up) and kept.
final class Fixtures: @unchecked Sendable {
    let lookaside256: LookasideList
    let lookaside4096: LookasideList
    let wdfLookaside: WdfLookaside
    let filter: Minifilter
    let ecpList: EcpLookasideList
    let ecpType = EcpType(0x5BE1_C9D4, 0x2222, 0x3333, (0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB))
    let slots: UnsafeMutablePointer<LookasideEntry>

    init() throws(NTStatus) {
        lookaside256 = try LookasideList(entrySize: 256, poolType: .nonPagedNx, tag: "BnS2")
        lookaside4096 = try LookasideList(entrySize: 4096, poolType: .nonPagedNx, tag: "BnS4")
        wdfLookaside = try WdfLookaside(bufferSize: 256, poolType: .nonPagedNx, tag: "BnSw")
        filter = try Minifilter()
        ecpList = try EcpLookasideList(filter: filter, contextSize: 256, tag: "BnSe")
        slots = .allocate(capacity: batchCount)
    }
}

nonisolated(unsafe) var fixtures: Fixtures? = nil

nonisolated func shared() -> Fixtures {
    if let fixtures { return fixtures }
    do {
        let made = try Fixtures()
        fixtures = made
        return made
    } catch {
        fatalError("benchmark setup failed: \(error)")
    }
}

nonisolated func check(_ body: () throws(NTStatus) -> Void) {
    do { try body() } catch { fatalError("allocation failed: \(error)") }
}

// MARK: - The benchmarks

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(benchmarkSeconds),
        maxIterations: 1_000_000
    )

    Benchmark("LookasideList allocate+free 256 B", configuration: .init(thresholds: noMalloc)) { benchmark in
        let list = shared().lookaside256
        benchmark.startMeasurement()
        check { () throws(NTStatus) in try lookasidePairs(list, count: benchmark.scaledIterations.count) }
    }

    Benchmark("Pool allocate+free 256 B", configuration: .init(thresholds: noMalloc)) { benchmark in
        _ = shared()
        benchmark.startMeasurement()
        check { () throws(NTStatus) in try poolPairs(count: benchmark.scaledIterations.count, byteCount: 256, tag: "BnSp") }
    }

    Benchmark("WdfLookaside makeMemory+delete 256 B", configuration: .init(thresholds: noMalloc)) { benchmark in
        let list = shared().wdfLookaside
        benchmark.startMeasurement()
        check { () throws(NTStatus) in try wdfMemoryPairs(list, count: benchmark.scaledIterations.count) }
    }

    Benchmark("EcpLookasideList allocate+free 256 B", configuration: .init(thresholds: noMalloc)) { benchmark in
        let fixtures = shared()
        benchmark.startMeasurement()
        check { () throws(NTStatus) in
            try ecpPairs(fixtures.ecpList, type: fixtures.ecpType, size: 256, count: benchmark.scaledIterations.count)
        }
    }

    // One batch per sample: 1000 allocated, then 1000 freed.
    Benchmark("LookasideList batch 1000 256 B", configuration: .init(scalingFactor: .one, thresholds: noMalloc)) {
        benchmark in
        let fixtures = shared()
        benchmark.startMeasurement()
        check { () throws(NTStatus) in try lookasideBatch(fixtures.lookaside256, into: fixtures.slots, count: batchCount) }
    }

    Benchmark("LookasideList batch 1000 4096 B", configuration: .init(scalingFactor: .one, thresholds: noMalloc)) {
        benchmark in
        let fixtures = shared()
        benchmark.startMeasurement()
        check { () throws(NTStatus) in try lookasideBatch(fixtures.lookaside4096, into: fixtures.slots, count: batchCount) }
    }

    // Reference for the malloc counter and the time scale (1 malloc per pair, through the interposer).
    Benchmark("Reference malloc+free 256 B") { benchmark in
        systemAllocatorPairs(count: benchmark.scaledIterations.count, byteCount: 256)
    }
}

/// Seconds per benchmark: BENCH_SWIFT_SECONDS, else 1 with BENCH_QUICK=1, else 3.
let benchmarkSeconds: Double = {
    func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
    if let seconds = environment("BENCH_SWIFT_SECONDS").flatMap(Double.init) { return seconds }
    return environment("BENCH_QUICK") == "1" ? 1 : 3
}()
