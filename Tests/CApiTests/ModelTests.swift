// The model-based random test of the C API (see Tests/CApiModel): seeded runs against a loaded
// driver, with the verifier off (the fast paths) and on (the general paths, tracking), each
// ending with the driver's unload checked against the model.
//
//   swift test --filter ModelTests                        a few seconds (fixed seeds)
//   WDF_MODEL_OPS=2000000 swift test --filter ModelTests  the long run CI makes (a random seed)
//   WDF_MODEL_SEED=<seed> [WDF_MODEL_OPS=<n>] ...         replays the run a failure printed
import Testing
import CApiModel
import CWdf
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

enum ModelRunner {
    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// One run: a driver with its own tags, `operations` operations from `seed`, the unload.
    static func run(seed: UInt64, operations: Int, verifierOn: Bool, index: Int) -> Bool {
        let letter = String(UnicodeScalar(UInt8(65 + index % 26)))
        let service = "Dr\(letter)Model"
        guard let loaded = loadDriver(service, parameters: [("VerifierOn", verifierOn ? 1 : 0)]) else {
            writeError("MODEL MISMATCH seed=\(seed): the driver did not load")
            return false
        }
        let model = CApiModel(tagPrefix: "Mo\(letter)", driverTag: tag("Dr\(letter)M"))
        var source = SeededSource(seed: seed)
        let replay = "replay: WDF_MODEL_SEED=\(seed) WDF_MODEL_OPS=\(operations) swift test --filter ModelTests"
        do {
            try model.run(&source, operations: operations)
            try model.prepareUnload()
            let status = WdfHostUnloadDriver(loaded.object)
            if status != STATUS_SUCCESS {
                writeError("MODEL MISMATCH seed=\(seed) verifier=\(verifierOn): unload returned 0x\(String(UInt32(bitPattern: status), radix: 16)); \(replay)")
                return false
            }
            try model.checkUnloaded()
        } catch {
            writeError("MODEL MISMATCH seed=\(seed) verifier=\(verifierOn): \(error); \(replay)")
            return false
        }
        let figures = model.figures
        writeError(
            "MODEL ok seed=\(seed) verifier=\(verifierOn) operations=\(figures.operations) callbacks=\(figures.callbacks) statuses=\(figures.statusChecks) accounting=\(figures.accountingChecks) mismatches=0")
        return true
    }

    /// The runs `swift test` makes, or the one the environment asks for.
    static func runAll() -> Never {
        let operations = environment("WDF_MODEL_OPS").flatMap { Int($0) } ?? 40_000
        var runs: [(seed: UInt64, verifierOn: Bool)]
        if let text = environment("WDF_MODEL_SEED"), let seed = UInt64(text) {
            runs = [(seed, false), (seed, true)]
        } else if environment("WDF_MODEL_OPS") != nil {
            // The long run: a new seed each time (printed, for replay).
            var random: UInt64 = 0
            arc4random_buf(&random, MemoryLayout<UInt64>.size)
            random %= 1_000_000_000
            runs = [(random, false), (random, true)]
        } else {
            runs = [(0x14_0001, false), (0x14_0002, true), (0x14_0003, false)]
        }
        var failed = false
        for (index, entry) in runs.enumerated()
        where !run(seed: entry.seed, operations: operations, verifierOn: entry.verifierOn, index: index) {
            failed = true
        }
        if failed { Child.check(false, "the model found a mismatch (seed above)") }
        Child.finish()
    }
}

@Suite("Model-based random test (C API)")
struct ModelTests {
    @Test func randomOperationsAgreeWithTheModel() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            ModelRunner.runAll()
        }
        reportChild(result)
        // The figures, for the log (and CI's summary).
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("MODEL") { print(line) }
    }
}
