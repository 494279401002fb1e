// `wdfmon` alone: loads the sample driver, runs its workload, and watches the pool like poolmon.
public import ArgumentParser
import NtKernel
import Wdf
public import WdfMonitor
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The sample: load, run and watch, stop, unload, report.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Runs the sample driver's workload and shows pool usage per tag, poolmon-style (the default).",
        discussion: """
            Loads the sample KMDF driver through the host and adds its device, runs its worker on \
            several threads and, once a second, shows pool usage per tag and kind (read through \
            Pool.tagUsage()), the number of framework objects of each type (read through \
            ObjectStatistics.liveCounts()) and the counters of the driver's lookaside lists \
            (executive lists and lookaside-list objects). On a terminal the view is redrawn in place; \
            otherwise only the final view is printed. At the end the workers stop, the driver is \
            unloaded, and the final view shows what is left: the pool and the objects after the \
            unload (objects also as they were when the workers stopped), the lookaside lists as \
            they were just before it.
            """)

    @Option(parsing: .unconditional, help: "How long the workload runs, in seconds (more than 0).")
    var seconds: Double = 3

    @Option(parsing: .unconditional, help: "How many threads run the driver's worker (1-256).")
    var threads: Int = 2

    @Option(help: "Pool row order: tag (ascending), or allocs, frees, diff, bytes, per-alloc (descending).")
    var sort: PoolMonTable.SortKey = .bytes

    func validate() throws {
        guard seconds.isFinite, seconds > 0 else {
            throw ValidationError("--seconds must be more than 0 (got \(seconds.formatted)): it is out of range.")
        }
        guard (1...256).contains(threads) else {
            throw ValidationError("--threads must be between 1 and 256 (got \(threads)): it is out of range.")
        }
    }

    func run() throws {
        let view = LiveView()
        let clock = ContinuousClock()
        let workload = try Workload()
        let start = clock.now
        do {
            try workload.startWorkers(count: threads)
        } catch {
            _ = try? workload.unload()
            throw error
        }

        let end = start + .seconds(seconds)
        var refresh = start
        while true {
            refresh = min(refresh + .seconds(1), end)
            clock.sleep(untilBlocking: refresh)
            if refresh == end { break }
            let title = "wdfmon  \(Workload.serviceName)  \(threads) \(threadsNoun)  "
                + "\((clock.now - start).secondsText) of \(Duration.seconds(seconds).secondsText) s  sort: \(sort.rawValue)"
            view.showLive(
                SampleScreen(title: title, objectColumns: [.now("Live")], lookasideLists: workload.lookasideLists())
                    .render(sortedBy: sort))
        }

        let elapsed = clock.now - start
        let allocations = workload.stopWorkers()
        // The workers have stopped: the counters are final. The lists go away with the driver;
        // of the framework objects, only the driver's own (driver, device, lists) should be left.
        let lookasideLists = workload.lookasideLists()
        let stoppedObjects = ObjectCountColumn.now("Stopped")
        let status = try workload.unload()
        if status != .success {
            writeAll("wdfmon: unloading reported \(status)\n", to: STDERR_FILENO)
        }

        let title = "wdfmon  \(Workload.serviceName)  unloaded  sort: \(sort.rawValue)"
        view.showFinal(
            SampleScreen(title: title, objectColumns: [stoppedObjects, .now("Unloaded")], lookasideLists: lookasideLists)
                .render(sortedBy: sort),
            trailer: "\nwdfmon: \(allocations) allocations in \(elapsed.secondsText) s across \(threads) \(threadsNoun)\n")
    }

    private var threadsNoun: String { threads == 1 ? "thread" : "threads" }
}

extension PoolMonTable.SortKey: ExpressibleByArgument {}
extension PoolMonTable.PoolKind: ExpressibleByArgument {}

extension Double {
    /// The value as typed: no ".0" for whole numbers.
    var formatted: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}

extension Duration {
    /// Seconds with one decimal, e.g. "2.0".
    var secondsText: String {
        let (seconds, attoseconds) = components
        let tenths = seconds * 10 + (attoseconds + 50_000_000_000_000_000) / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}
