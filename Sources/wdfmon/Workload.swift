// The workload wdfmon watches: the sample driver, loaded through the host as a C program would
// load it (load, then add its device), and the threads that run its worker.
import CWdf
@_spi(Runtime) import NtKernel
import SampleDriver
import Wdf
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why wdfmon could not run its workload.
enum WorkloadError: Error, CustomStringConvertible {
    /// `WdfHostLoadDriver` (that is, the driver's DriverEntry) failed.
    case loadFailed(NTStatus)
    /// `WdfHostAddDevice` (that is, the driver's EvtDriverDeviceAdd) failed.
    case addDeviceFailed(NTStatus)
    /// `WdfHostUnloadDriver` failed.
    case unloadFailed(NTStatus)
    /// `pthread_create` failed with this error number.
    case threadCreationFailed(Int32)

    var description: String {
        switch self {
        case .loadFailed(let status): "loading the sample driver failed: \(status)"
        case .addDeviceFailed(let status): "adding the sample driver's device failed: \(status)"
        case .unloadFailed(let status): "unloading the sample driver failed: \(status)"
        case .threadCreationFailed(let error): "could not start a worker thread: \(String(cString: strerror(error)))"
        }
    }
}

/// One of the sample driver's lookaside lists (an executive list or a lookaside-list object):
/// what the driver says about it (`SampleDriverQueryLookasideLists`) and its counters now.
struct LookasideListSnapshot {
    var name: String
    var tag: PoolTag
    var entrySize: Int
    var isPaged: Bool
    var statistics: LookasideStatistics

    /// Reads the counters of an executive list through the runtime's handle on the C structure:
    /// they are current (and exact once the workers are quiet), whereas the structure's own
    /// counter fields are refreshed only by the lists' depth-tuning scans, every 3 seconds. A
    /// lookaside-list object's counters are those of the executive list behind it, read through
    /// `WdfLookasideHandle.statistics`. Nil when the info names neither (or a list with no counters).
    init?(_ info: SAMPLE_LOOKASIDE_INFO) {
        if let list = info.List {
            statistics = LookasideHandle(resolving: list, routine: "wdfmon").statistics
        } else if let lookaside = info.Lookaside,
            let statistics = WdfLookasideHandle(WdfObject(rawValue: UInt(bitPattern: Int(bitPattern: lookaside)))).statistics
        {
            self.statistics = statistics
        } else {
            return nil
        }
        name = info.Name.map { String(cString: $0) } ?? "?"
        tag = PoolTag(rawValue: info.Tag)
        entrySize = Int(info.Size)
        isPaged = info.Paged != 0
    }
}

/// The sample driver, loaded with `WdfHostLoadDriver` and given its device with
/// `WdfHostAddDevice`, and its worker threads; with it, the two sample minifilters
/// (SampleMinifilter.c), loaded under the verifier, and one more thread that runs their creates
/// (`SampleMinifilterRunCreates`): their ECP tags (SfHt, SfOk, SfAt, FMel) show in the pool view.
///
/// Used from the main thread only: load and add the device, ``startWorkers(count:)``, read while
/// the workers run, ``stopWorkers()``, ``unload()``.
///
/// The worker threads outlive their work: after `SampleDriverRunWorker` returns, each waits
/// until the driver is unloaded before it exits. A thread that exits while its lookaside caches
/// hold more entries than the lists' depots take back crashes the runtime (the exit path frees
/// the surplus to the pool, which re-attaches the exiting thread under the thread registry lock:
/// "Recursive call to lock Mutex"); once the lists are deleted, the threads hold no such entries.
final class Workload {
    /// The service name the driver is loaded under.
    static let serviceName = "SampleDrv"

    private let driverObject: PDRIVER_OBJECT
    /// The sample minifilters, lower first (unloaded in reverse).
    private var filterObjects: [PDRIVER_OBJECT] = []
    private let shared = WorkerShared()
    private var workers: [(thread: pthread_t, record: UnsafeMutablePointer<WorkerRecord>)] = []
    /// Workers whose `SampleDriverRunWorker` has returned and been counted.
    private var finishedWorkers = 0

    /// Loads the sample driver and adds its device, as PnP would once the device is found (its
    /// DriverEntry, then its EvtDriverDeviceAdd, run on the calling thread). When adding the
    /// device fails, the driver is unloaded before the error is thrown.
    init() throws(WorkloadError) {
        var object: PDRIVER_OBJECT? = nil
        let status = NTStatus(rawValue: WdfHostLoadDriver(Self.serviceName, SampleDriverEntry, &object))
        guard status.isSuccess, let object else { throw .loadFailed(status) }
        var device: WDFDEVICE? = nil
        let addStatus = NTStatus(rawValue: WdfHostAddDevice(object, &device))
        guard addStatus.isSuccess else {
            _ = WdfHostUnloadDriver(object)
            throw .addDeviceFailed(addStatus)
        }
        driverObject = object
        do {
            try loadMinifilters()
        } catch {
            for filter in filterObjects.reversed() { _ = WdfHostUnloadDriver(filter) }
            _ = WdfHostUnloadDriver(object)
            throw error
        }
    }

    /// Loads the two sample minifilters at their altitudes, with the KMDF verifier, pool tracking
    /// and IRQL checking on (settings from `WDF_VERIFIER_SETTINGS` still override them).
    private func loadMinifilters() throws(WorkloadError) {
        let filters: [(String, UInt32, PDRIVER_INITIALIZE)] = [
            (SAMPLE_MINIFILTER_LOWER_SERVICE, SAMPLE_MINIFILTER_LOWER_ALTITUDE, SampleMinifilterLowerEntry),
            (SAMPLE_MINIFILTER_UPPER_SERVICE, SAMPLE_MINIFILTER_UPPER_ALTITUDE, SampleMinifilterUpperEntry),
        ]
        for (service, altitude, entry) in filters {
            _ = WdfHostSetServiceParameter(service, "Altitude", altitude)
            _ = WdfHostSetServiceParameter(service, "VerifierOn", 1)
            _ = WdfHostSetServiceParameter(service, "VerifyDriverLevel", 0x8 | 0x2)
            var object: PDRIVER_OBJECT? = nil
            let status = NTStatus(rawValue: WdfHostLoadDriver(service, entry, &object))
            guard status.isSuccess, let object else { throw .loadFailed(status) }
            filterObjects.append(object)
        }
    }

    deinit { shared.destroy() }

    /// Starts `count` threads that each run `SampleDriverRunWorker` with its own seed. When a
    /// thread cannot be started, the ones already running are stopped before the error is thrown.
    func startWorkers(count: Int) throws(WorkloadError) {
        for index in 0..<count {
            try startWorker(WorkerRecord(seed: UInt32(truncatingIfNeeded: index + 1), shared: shared))
        }
        // One more thread issues the minifilters' creates.
        try startWorker(WorkerRecord(seed: UInt32(truncatingIfNeeded: count + 1), shared: shared, runsCreates: true))
    }

    /// Starts one thread running `record`'s work; on failure stops the ones already running.
    private func startWorker(_ work: WorkerRecord) throws(WorkloadError) {
        let record = UnsafeMutablePointer<WorkerRecord>.allocate(capacity: 1)
        record.initialize(to: work)
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, runWorker, record)
        guard result == 0 else {
            record.deinitialize(count: 1)
            record.deallocate()
            _ = stopWorkers()
            throw .threadCreationFailed(result)
        }
        workers.append((thread, record))
    }

    /// Tells the workers to stop, waits until each has returned from `SampleDriverRunWorker`
    /// (having freed what it held), and returns how many allocations they made in all.
    func stopWorkers() -> UInt64 {
        shared.stop.pointee.store(1, ordering: .releasing)
        while finishedWorkers < workers.count {
            if sem_wait(shared.finished) == 0 { finishedWorkers += 1 }
        }
        return workers.reduce(0) { $0 &+ $1.record.pointee.allocations }
    }

    /// The driver's lookaside lists and their counters now (empty once it is unloaded).
    func lookasideLists() -> [LookasideListSnapshot] {
        let capacity = Int(SAMPLE_DRIVER_LOOKASIDE_LIST_COUNT)
        var infos = [SAMPLE_LOOKASIDE_INFO](repeating: SAMPLE_LOOKASIDE_INFO(), count: capacity)
        let count = SampleDriverQueryLookasideLists(&infos, ULONG(capacity))
        return infos.prefix(min(Int(count), capacity)).compactMap(LookasideListSnapshot.init)
    }

    /// Unloads the driver (its EvtDriverUnload deletes its executive lookaside lists; the
    /// framework then deletes its driver object, device and lookaside-list objects), then lets the
    /// worker threads exit and joins them. Call it once, after ``stopWorkers()``.
    ///
    /// - Returns: the host's status: `.success`, or `.moreEntries` when leaks were reported.
    func unload() throws(WorkloadError) -> NTStatus {
        var status = NTStatus(rawValue: WdfHostUnloadDriver(driverObject))
        for filter in filterObjects.reversed() {
            let filterStatus = NTStatus(rawValue: WdfHostUnloadDriver(filter))
            if status.isSuccess, filterStatus != .success { status = filterStatus }
        }
        filterObjects.removeAll()
        for _ in workers { sem_post(shared.mayExit) }
        for worker in workers {
            pthread_join(worker.thread, nil)
            worker.record.deinitialize(count: 1)
            worker.record.deallocate()
        }
        workers.removeAll()
        guard status.isSuccess else { throw .unloadFailed(status) }
        return status
    }
}

/// What the workers share with the main thread.
struct WorkerShared {
    /// Set to 1 to make the workers return. C reads it through a `volatile const int *`.
    let stop = UnsafeMutablePointer<Atomic<Int32>>.allocate(capacity: 1)
    /// Posted by each worker once `SampleDriverRunWorker` has returned.
    let finished = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    /// Posted once per worker after the driver is unloaded: the worker thread may exit.
    let mayExit = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init() {
        stop.initialize(to: Atomic(0))
        sem_init(finished, 0, 0)
        sem_init(mayExit, 0, 0)
    }

    /// Frees the shared state; no worker may use it any more.
    func destroy() {
        stop.deinitialize(count: 1)
        stop.deallocate()
        sem_destroy(finished)
        finished.deallocate()
        sem_destroy(mayExit)
        mayExit.deallocate()
    }

    /// The stop flag as C sees it.
    var stopFlag: UnsafePointer<Int32> { UnsafeRawPointer(stop).assumingMemoryBound(to: Int32.self) }
}

/// What one worker thread is given and what it reports back.
struct WorkerRecord {
    let seed: UInt32
    let shared: WorkerShared
    /// Runs the minifilters' creates instead of the driver's worker.
    var runsCreates = false
    /// Written by the worker before it posts `finished`.
    var allocations: UInt64 = 0
}

/// A worker thread's body: runs the driver's worker until the stop flag is set, reports, and
/// waits for the unload before the thread exits.
private nonisolated func runWorker(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let record = argument?.assumingMemoryBound(to: WorkerRecord.self) else { return nil }
    let shared = record.pointee.shared
    record.pointee.allocations = record.pointee.runsCreates
        ? SampleMinifilterRunCreates(record.pointee.seed, shared.stopFlag)
        : SampleDriverRunWorker(record.pointee.seed, shared.stopFlag)
    sem_post(shared.finished)
    while sem_wait(shared.mayExit) != 0 {}
    return nil
}
