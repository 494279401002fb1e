package import NtKernel

/// The host's file system: one volume, `\Device\HarddiskVolume1` (also `\??\C:`), holding an
/// in-memory namespace of names. A test fills it (`addFile`) and can make the file system fail a
/// name with a status of its choice (`failName`). Names compare case-insensitively, as on NTFS;
/// there are no directories to create: every name is a file, and a name's parent need not exist.
///
/// What the file system does with a create that reaches it:
/// - a name set to fail: that status;
/// - `FILE_OPEN`, `FILE_OVERWRITE`: opens an existing name, else `STATUS_OBJECT_NAME_NOT_FOUND`;
/// - `FILE_CREATE`: makes an empty file, or `STATUS_OBJECT_NAME_COLLISION` if it exists;
/// - `FILE_OPEN_IF`, `FILE_OVERWRITE_IF`, `FILE_SUPERSEDE`: opens or makes an empty file.
/// The volume's root (`\`) always exists and is the only directory: `FILE_DIRECTORY_FILE` on any
/// other name is `STATUS_NOT_A_DIRECTORY`, `FILE_NON_DIRECTORY_FILE` on the root
/// `STATUS_FILE_IS_A_DIRECTORY`. Extended attributes are not supported (`STATUS_EAS_NOT_SUPPORTED`,
/// as FAT answers). Corresponds to the host routines `WdfHostAddFile`,
/// `WdfHostFailFile` and `WdfHostResetFileSystem` of `wdfhost.h`.
package enum HostFileSystem {
    /// The volume's device name.
    package static let volumeName = "\\Device\\HarddiskVolume1"
    /// Its drive letter.
    package static let driveLetter = "C:"

    struct Namespace {
        var files: [String: String] = [:]  // key (upper-cased) -> name as created
        var failures: [String: NTStatus] = [:]
    }

    static let namespace = KernelLock(Namespace())

    static func key(_ name: String) -> String { name.uppercased() }

    /// Adds an existing (empty) file. `name` is a full name (`\??\C:\a.txt`, ...) or a name on
    /// the volume (`\a.txt`).
    /// - Throws: the status a create of that name would fail with while parsing it.
    package static func addFile(_ name: String) throws(NTStatus) {
        let onVolume = try volumeRelativeName(name)
        namespace.withLock { $0.files[key(onVolume)] = onVolume }
    }

    /// Makes every create of `name` that reaches the file system fail with `status` (a success
    /// status removes the failure).
    package static func failName(_ name: String, with status: NTStatus) throws(NTStatus) {
        let onVolume = try volumeRelativeName(name)
        namespace.withLock { $0.failures[key(onVolume)] = status.isSuccess ? nil : status }
    }

    /// Whether the name exists.
    package static func fileExists(_ name: String) -> Bool {
        guard let onVolume = try? volumeRelativeName(name) else { return false }
        return onVolume == "\\" || namespace.withLock { $0.files[key(onVolume)] != nil }
    }

    /// Forgets every name and failure (open files stay open).
    package static func reset() { namespace.withLock { $0 = Namespace() } }

    /// The name on the volume of a full name, as the object manager parses it before the create
    /// reaches the volume's stack: `\Device\HarddiskVolume1\x`, `\??\C:\x`, `\DosDevices\C:\x`,
    /// `\GLOBAL??\C:\x` give `\x` (the device alone gives `\`).
    /// - Throws: `.objectNameInvalid` for an empty name, `.objectPathSyntaxBad` for a name that
    ///   does not start with `\`, `.objectPathNotFound` for another device or drive.
    package static func volumeRelativeName(_ name: String) throws(NTStatus) -> String {
        guard !name.isEmpty else { throw .objectNameInvalid }
        guard name.hasPrefix("\\") else { throw .objectPathSyntaxBad }
        let upper = name.uppercased()
        for prefix in [volumeName.uppercased(), "\\??\\C:", "\\DOSDEVICES\\C:", "\\GLOBAL??\\C:"] where upper.hasPrefix(prefix) {
            let rest = String(name.dropFirst(prefix.count))
            if rest.isEmpty { return "\\" }
            guard rest.hasPrefix("\\") else { throw .objectPathNotFound }
            if rest.contains("\\\\") || rest.contains(where: { $0 == "\0" }) { throw .objectNameInvalid }
            return rest
        }
        throw .objectPathNotFound
    }

    /// What the file system does with a create (see the type's documentation).
    static func create(_ name: String, disposition: CreateDisposition, options: UInt32 = 0) -> IoStatus {
        let directoryFile: UInt32 = 0x1, nonDirectoryFile: UInt32 = 0x40
        if name == "\\" {
            if options & nonDirectoryFile != 0 { return IoStatus(status: .fileIsADirectory) }
            return disposition == .create ? IoStatus(status: .objectNameCollision) : IoStatus(status: .success, information: IoStatus.opened)
        }
        if options & directoryFile != 0 { return IoStatus(status: .notADirectory) }
        let key = key(name)
        return namespace.withLock { namespace -> IoStatus in
            if let failure = namespace.failures[key] { return IoStatus(status: failure) }
            let exists = namespace.files[key] != nil
            switch disposition {
            case .open:
                return exists ? IoStatus(status: .success, information: IoStatus.opened) : IoStatus(status: .objectNameNotFound)
            case .overwrite:
                return exists ? IoStatus(status: .success, information: IoStatus.overwritten) : IoStatus(status: .objectNameNotFound)
            case .create:
                if exists { return IoStatus(status: .objectNameCollision) }
                namespace.files[key] = name
                return IoStatus(status: .success, information: IoStatus.created)
            case .openIf, .overwriteIf, .supersede:
                if exists {
                    let information = disposition == .openIf ? IoStatus.opened
                        : disposition == .overwriteIf ? IoStatus.overwritten : IoStatus.superseded
                    return IoStatus(status: .success, information: information)
                }
                namespace.files[key] = name
                return IoStatus(status: .success, information: IoStatus.created)
            default:
                return IoStatus(status: .invalidParameter)
            }
        }
    }
}
