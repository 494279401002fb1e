// wdfmon: loads the sample driver, runs its workload, and watches the pool like poolmon.
import ArgumentParser
import NtKernel
import Wdf
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The command: load, run and watch, stop, unload, report.
@main
struct WdfMon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wdfmon",
        abstract: "Runs the sample driver's workload and shows pool usage per tag, poolmon-style.",
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

    @Option(help: "How long the workload runs, in seconds.")
    var seconds: Double = 3

    @Option(help: "How many threads run the driver's worker.")
    var threads: Int = 2

    @Option(help: "Pool row order: tag (ascending), or allocs, bytes, diff (descending).")
    var sort: PoolMonSort = .bytes

    func validate() throws {
        guard seconds.isFinite, seconds > 0 else { throw ValidationError("--seconds must be a positive number.") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256.") }
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
                + "\((clock.now - start).secondsText) of \(Duration.seconds(seconds).secondsText) s  sort: \(sort)"
            view.showLive(
                screen(title: title, objectColumns: [.now("Live")], lookasideLists: workload.lookasideLists()))
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

        let title = "wdfmon  \(Workload.serviceName)  unloaded  sort: \(sort)"
        view.showFinal(
            screen(title: title, objectColumns: [stoppedObjects, .now("Unloaded")], lookasideLists: lookasideLists),
            trailer: "\nwdfmon: \(allocations) allocations in \(elapsed.secondsText) s across \(threads) \(threadsNoun)\n")
    }

    private var threadsNoun: String { threads == 1 ? "thread" : "threads" }

    /// The view now: pool usage read through `Pool.tagUsage()`, then the given object counts and
    /// lookaside lists.
    private func screen(title: String, objectColumns: [ObjectCountColumn], lookasideLists: [LookasideListSnapshot])
        -> String
    {
        PoolMonTable(
            title: title, rows: PoolMonRow.rows(from: Pool.tagUsage()), objectColumns: objectColumns,
            lookasideLists: lookasideLists
        ).render(sortedBy: sort)
    }
}

extension PoolMonSort: ExpressibleByArgument {}

extension Duration {
    /// Seconds with one decimal, e.g. "2.0".
    var secondsText: String {
        let (seconds, attoseconds) = components
        let tenths = seconds * 10 + (attoseconds + 50_000_000_000_000_000) / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}
