internal import CWdfMonitor
import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Publishes snapshots of this process for `wdfmon` (`run`, `attach`, `tree`).
///
/// Runs only when `WDFMON_PUBLISH=1` was in the environment when the library was loaded (read
/// once, by a load-time constructor): then, from the first use of the runtime on, a background
/// thread writes a ``MonitorSnapshot`` every ``interval`` to ``SnapshotLocation``; a final one
/// (object tree included) at exit (`atexit`) and when a bug check begins. A process started
/// without it runs no thread and pays nothing on any path.
public enum SnapshotPublisher {
    /// How often the background thread publishes.
    public static let interval: Duration = .milliseconds(250)

    /// Whether publishing was asked for (`WDFMON_PUBLISH=1` at load time).
    public static var isRequested: Bool { wdf_monitor_requested() != 0 }

    struct State: ~Copyable {
        var sequence: UInt64 = 0
        /// Set once the final snapshot is written: nothing replaces it afterwards.
        var finished = false
        var last: MonitorSnapshot? = nil
        var directory = ""
    }

    static let state = Mutex(State())

    /// Starts the publisher (once): the background thread and the exit hook.
    static func start() {
        let directory = SnapshotLocation.directory
        state.withLock { $0.directory = directory }
        atexit { SnapshotPublisher.publishFinal(reason: "exit") }
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { _ in
            SnapshotPublisher.runLoop()
            return nil
        }, nil)
        if result == 0 { pthread_detach(thread) }
    }

    private static func runLoop() {
        var request = timespec(tv_sec: 0, tv_nsec: Int(interval.components.attoseconds / 1_000_000_000))
        while true {
            let directory = state.withLock { $0.directory }
            let requestPath = SnapshotLocation.treeRequestPath(pid: getpid(), in: directory)
            let treeAsked = access(requestPath, F_OK) == 0
            if treeAsked {
                unlink(requestPath)
                publish(reason: "request", includeTree: true, treeFile: true)
            }
            publish(reason: "periodic", includeTree: false, treeFile: false)
            var left = timespec()
            while nanosleep(&request, &left) != 0, errno == EINTR { request = left }
            request = timespec(tv_sec: 0, tv_nsec: Int(interval.components.attoseconds / 1_000_000_000))
        }
    }

    /// Captures and writes one snapshot (unless the final one was written).
    static func publish(reason: String, includeTree: Bool, treeFile: Bool) {
        let sequence = state.withLock { state -> UInt64 in
            state.sequence += 1
            return state.sequence
        }
        let snapshot = MonitorSnapshot.capture(includeTree: includeTree, reason: reason, sequence: sequence)
        state.withLock { state in
            guard !state.finished else { return }
            if !treeFile { state.last = snapshot }
            let pid = getpid()
            let path = treeFile
                ? SnapshotLocation.treePath(pid: pid, in: state.directory)
                : SnapshotLocation.snapshotPath(pid: pid, in: state.directory)
            write(snapshot, to: path)
        }
    }

    /// Writes the final snapshot, object tree included.
    static func publishFinal(reason: String) {
        let sequence = state.withLock { state -> UInt64 in
            state.sequence += 1
            return state.sequence
        }
        let snapshot = MonitorSnapshot.capture(includeTree: true, reason: reason, sequence: sequence)
        writeFinal(snapshot)
    }

    static func writeFinal(_ snapshot: MonitorSnapshot) {
        state.withLock { state in
            guard !state.finished else { return }
            state.finished = true
            write(snapshot, to: SnapshotLocation.snapshotPath(pid: getpid(), in: state.directory))
        }
    }

    /// A bug check began on this thread, which may hold a runtime lock that a fresh snapshot
    /// needs: the snapshot is taken on another thread, waited for 1 s at most; failing that, the
    /// last periodic one is written again, marked "bugcheck".
    static func bugCheckBegins() {
        let done = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        sem_init(done, 0, 0)
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { raw in
            SnapshotPublisher.publishFinal(reason: "bugcheck")
            sem_post(raw!.assumingMemoryBound(to: sem_t.self))
            return nil
        }, done) == 0
        if started {
            var deadline = timespec()
            clock_gettime(CLOCK_REALTIME, &deadline)
            deadline.tv_sec += 1
            while sem_timedwait(done, &deadline) != 0, errno == EINTR {}
        }
        // Nothing is freed: the process is about to stop, and the thread may still use `done`.
        state.withLock { state in
            guard !state.finished, var last = state.last else { return }
            state.finished = true
            last.reason = "bugcheck"
            write(last, to: SnapshotLocation.snapshotPath(pid: getpid(), in: state.directory))
        }
    }

    /// Encodes `snapshot` and replaces `path` with it atomically: a temporary file (mode 0600,
    /// created exclusively), then `rename`. Failures are ignored (monitoring never stops the
    /// program).
    static func write(_ snapshot: MonitorSnapshot, to path: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(snapshot) else { return }
        let temporary = path + ".tmp"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return }
        let complete = data.withUnsafeBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
        close(descriptor)
        if complete { rename(temporary, path) } else { unlink(temporary) }
    }
}

/// Called once by the runtime, on the first thread that uses it, when publishing was asked for.
@_cdecl("wdf_monitor_start")
func wdfMonitorStart() { SnapshotPublisher.start() }

/// Called by the runtime when a bug check begins, when publishing was asked for.
@_cdecl("wdf_monitor_bug_check")
func wdfMonitorBugCheck() { SnapshotPublisher.bugCheckBegins() }
