#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where snapshot files are: `$WDFMON_DIR` if set, else `/dev/shm`, else `$XDG_RUNTIME_DIR`, else
/// `/tmp`. A process writes `wdfmon-<pid>.json` there (mode 0600, replaced atomically: written
/// to a temporary file, then renamed), and `wdfmon-<pid>.tree.json` when a reader creates
/// `wdfmon-<pid>.tree-request`.
public enum SnapshotLocation {
    /// The directory, as the environment says now.
    public static var directory: String {
        if let dir = environment("WDFMON_DIR"), !dir.isEmpty { return dir }
        if isDirectory("/dev/shm") { return "/dev/shm" }
        if let dir = environment("XDG_RUNTIME_DIR"), !dir.isEmpty, isDirectory(dir) { return dir }
        return "/tmp"
    }

    public static func snapshotPath(pid: Int32, in directory: String = directory) -> String {
        directory + "/wdfmon-\(pid).json"
    }

    public static func treePath(pid: Int32, in directory: String = directory) -> String {
        directory + "/wdfmon-\(pid).tree.json"
    }

    public static func treeRequestPath(pid: Int32, in directory: String = directory) -> String {
        directory + "/wdfmon-\(pid).tree-request"
    }

    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR && access(path, W_OK) == 0
    }
}
