// The workload wdfmon watches: the sample driver, loaded through the host as a C program would
// load it, and the threads that run its worker.
import CWdf
import NtKernel
import SampleDriver
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
    /// `WdfHostUnloadDriver` failed.
    case unloadFailed(NTStatus)
    /// `pthread_create` failed with this error number.
    case threadCreationFailed(Int32)

    var description: String {
        switch self {
        case .loadFailed(let status): "loading the sample driver failed: \(status)"
        case .unloadFailed(let status): "unloading the sample driver failed: \(status)"
        case .threadCreationFailed(let error): "could not start a worker thread: \(String(cString: strerror(error)))"
        }
    }
}

/// The public counters of one of the sample driver's lookaside lists, as its C structure shows
/// them (copied out by `SampleDriverQueryLookasideLists`).
struct LookasideListSnapshot {
    var name: String
    var tag: PoolTag
    var entrySize: Int
    var isPaged: Bool
    var depth: Int
    var maximumDepth: Int
    var totalAllocates: UInt64
    var allocateMisses: UInt64
    var totalFrees: UInt64
    var freeMisses: UInt64

    init(_ info: SAMPLE_LOOKASIDE_INFO) {
        name = info.Name.map { String(cString: $0) } ?? "?"
        tag = PoolTag(rawValue: info.Tag)
        entrySize = Int(info.Size)
        isPaged = info.Paged != 0
        depth = Int(info.Depth)
        maximumDepth = Int(info.MaximumDepth)
        totalAllocates = UInt64(info.TotalAllocates)
        allocateMisses = UInt64(info.AllocateMisses)
        totalFrees = UInt64(info.TotalFrees)
        freeMisses = UInt64(info.FreeMisses)
    }
}

/// The sample driver, loaded with `WdfHostLoadDriver`, and its worker threads.
///
/// Used from the main thread only: load, ``startWorkers(count:)``, read while the workers run,
/// ``stopWorkers()``, ``unload()``.
final class Workload {
    /// The service name the driver is loaded under.
    static let serviceName = "SampleDrv"

    private let driverObject: PDRIVER_OBJECT
    /// Set to 1 to make the workers return. C reads it through a `volatile const int *`.
    private let stopFlag: UnsafeMutablePointer<Atomic<Int32>>
    private var workers: [(thread: pthread_t, record: UnsafeMutablePointer<WorkerRecord>)] = []

    /// Loads the sample driver (its DriverEntry runs on the calling thread).
    init() throws(WorkloadError) {
        var object: PDRIVER_OBJECT? = nil
        let status = NTStatus(rawValue: WdfHostLoadDriver(Self.serviceName, SampleDriverEntry, &object))
        guard status.isSuccess, let object else { throw .loadFailed(status) }
        driverObject = object
        stopFlag = .allocate(capacity: 1)
        stopFlag.initialize(to: Atomic(0))
    }

    deinit {
        stopFlag.deinitialize(count: 1)
        stopFlag.deallocate()
    }

    /// Starts `count` threads that each run `SampleDriverRunWorker` with its own seed. When a
    /// thread cannot be started, the ones already running are stopped before the error is thrown.
    func startWorkers(count: Int) throws(WorkloadError) {
        let stop = UnsafeRawPointer(stopFlag).assumingMemoryBound(to: Int32.self)
        for index in 0..<count {
            let record = UnsafeMutablePointer<WorkerRecord>.allocate(capacity: 1)
            record.initialize(to: WorkerRecord(seed: UInt32(truncatingIfNeeded: index + 1), stop: stop))
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
    }

    /// Tells the workers to stop, waits for them to return (each frees what it holds, and its
    /// thread's lookaside caches go back to the lists as it exits), and returns how many
    /// allocations they made in all.
    func stopWorkers() -> UInt64 {
        stopFlag.pointee.store(1, ordering: .releasing)
        var allocations: UInt64 = 0
        for worker in workers {
            pthread_join(worker.thread, nil)
            allocations &+= worker.record.pointee.allocations
            worker.record.deinitialize(count: 1)
            worker.record.deallocate()
        }
        workers.removeAll()
        return allocations
    }

    /// The driver's lookaside lists as their structures show them now.
    func lookasideLists() -> [LookasideListSnapshot] {
        let capacity = Int(SAMPLE_DRIVER_LOOKASIDE_LIST_COUNT)
        var infos = [SAMPLE_LOOKASIDE_INFO](repeating: SAMPLE_LOOKASIDE_INFO(), count: capacity)
        let count = SampleDriverQueryLookasideLists(&infos, ULONG(capacity))
        return infos.prefix(min(Int(count), capacity)).map(LookasideListSnapshot.init)
    }

    /// Unloads the driver (its unload routine deletes its lookaside lists). Call it once, after
    /// ``stopWorkers()``.
    ///
    /// - Returns: the host's status: `.success`, or `.moreEntries` when leaks were reported.
    func unload() throws(WorkloadError) -> NTStatus {
        let status = NTStatus(rawValue: WdfHostUnloadDriver(driverObject))
        guard status.isSuccess else { throw .unloadFailed(status) }
        return status
    }
}

/// What one worker thread is given and what it reports back (read after it is joined).
struct WorkerRecord {
    let seed: UInt32
    let stop: UnsafePointer<Int32>
    var allocations: UInt64 = 0
}

/// A worker thread's body: runs the driver's worker until the stop flag is set.
private nonisolated func runWorker(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let record = argument?.assumingMemoryBound(to: WorkerRecord.self) else { return nil }
    record.pointee.allocations = SampleDriverRunWorker(record.pointee.seed, record.pointee.stop)
    return nil
}
