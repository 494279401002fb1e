public import NtKernel

/// An I/O major function code (`IRP_MJ_*`). Only the operations of a file's life here: create,
/// cleanup (last handle closed) and close (last reference gone).
public struct MajorFunction: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `IRP_MJ_CREATE`.
    public static let create = MajorFunction(rawValue: 0x00)
    /// `IRP_MJ_CLOSE`.
    public static let close = MajorFunction(rawValue: 0x02)
    /// `IRP_MJ_CLEANUP`.
    public static let cleanup = MajorFunction(rawValue: 0x12)
    /// `IRP_MJ_OPERATION_END`: ends an `FLT_OPERATION_REGISTRATION` array.
    public static let operationEnd = MajorFunction(rawValue: 0x80)

    public var description: String {
        switch self {
        case .create: "IRP_MJ_CREATE"
        case .close: "IRP_MJ_CLOSE"
        case .cleanup: "IRP_MJ_CLEANUP"
        default: "IRP_MJ_0x\(String(rawValue, radix: 16))"
        }
    }
}

/// Who issued an operation (`KPROCESSOR_MODE`).
public enum ProcessorMode: UInt8, Sendable {
    /// `KernelMode`.
    case kernel = 0
    /// `UserMode`.
    case user = 1
}

/// What a pre-operation callback returns (`FLT_PREOP_CALLBACK_STATUS`, Windows' values).
public struct PreOperationStatus: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// `FLT_PREOP_SUCCESS_WITH_CALLBACK`: pass it down, call my post-operation callback.
    public static let successWithCallback = PreOperationStatus(rawValue: 0)
    /// `FLT_PREOP_SUCCESS_NO_CALLBACK`: pass it down, no post-operation callback.
    public static let successNoCallback = PreOperationStatus(rawValue: 1)
    /// `FLT_PREOP_PENDING`: not supported here (there is no `FltCompletePendedPreOperation`).
    public static let pending = PreOperationStatus(rawValue: 2)
    /// `FLT_PREOP_DISALLOW_FASTIO`: only valid for fast I/O, which a create never is.
    public static let disallowFastIo = PreOperationStatus(rawValue: 3)
    /// `FLT_PREOP_COMPLETE`: the filter completed the operation with the status it set.
    public static let complete = PreOperationStatus(rawValue: 4)
    /// `FLT_PREOP_SYNCHRONIZE`: like `successWithCallback` (every operation here is synchronous).
    public static let synchronize = PreOperationStatus(rawValue: 5)
}

/// What a post-operation callback returns (`FLT_POSTOP_CALLBACK_STATUS`).
public struct PostOperationStatus: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// `FLT_POSTOP_FINISHED_PROCESSING`.
    public static let finishedProcessing = PostOperationStatus(rawValue: 0)
    /// `FLT_POSTOP_MORE_PROCESSING_REQUIRED`: not supported here (no `FltCompletePendedPostOperation`).
    public static let moreProcessingRequired = PostOperationStatus(rawValue: 1)
}

/// A pre-operation callback (`PFLT_PRE_OPERATION_CALLBACK`): the operation, the objects it
/// concerns; returns the status and the completion context handed to the post-operation callback.
public typealias PreOperationCallback = @Sendable (_ data: CallbackData, _ objects: RelatedObjects)
    -> (status: PreOperationStatus, completionContext: UnsafeMutableRawPointer?)

/// A post-operation callback (`PFLT_POST_OPERATION_CALLBACK`). `draining` is never true here
/// (an instance is never torn down while an operation is in flight).
public typealias PostOperationCallback = @Sendable (
    _ data: CallbackData, _ objects: RelatedObjects, _ completionContext: UnsafeMutableRawPointer?, _ draining: Bool
) -> PostOperationStatus

/// One entry of a filter's operation registration (`FLT_OPERATION_REGISTRATION`).
public struct OperationRegistration: Sendable {
    public var majorFunction: MajorFunction
    public var pre: PreOperationCallback?
    public var post: PostOperationCallback?

    public init(_ majorFunction: MajorFunction, pre: PreOperationCallback? = nil, post: PostOperationCallback? = nil) {
        self.majorFunction = majorFunction
        self.pre = pre
        self.post = post
    }
}

/// Called when a filter's instance is about to attach to the volume (`PFLT_INSTANCE_SETUP_CALLBACK`).
/// A failure status (`STATUS_FLT_DO_NOT_ATTACH`) keeps the filter off the volume.
public typealias InstanceSetupCallback = @Sendable (_ objects: RelatedObjects) -> NTStatus

/// The objects an operation concerns (`FLT_RELATED_OBJECTS`).
public struct RelatedObjects: Sendable {
    public let filter: Filter
    public let instance: FilterInstance
    /// nil for instance setup.
    public let file: FileObject?
}

/// The disposition of a create (`FILE_SUPERSEDE` ... `FILE_OVERWRITE_IF`).
public struct CreateDisposition: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let supersede = CreateDisposition(rawValue: 0)
    public static let open = CreateDisposition(rawValue: 1)
    public static let create = CreateDisposition(rawValue: 2)
    public static let openIf = CreateDisposition(rawValue: 3)
    public static let overwrite = CreateDisposition(rawValue: 4)
    public static let overwriteIf = CreateDisposition(rawValue: 5)
}

/// What a create asks for: the parameters of `FltCreateFileEx2` / `IoCreateFileEx` /
/// `ZwCreateFile`, as the `Create` member of `FLT_PARAMETERS` carries them.
public struct CreateParameters: Sendable {
    /// The name: `\Device\HarddiskVolume1\dir\file`, `\??\C:\dir\file` or `\DosDevices\C:\...`.
    public var name: String
    /// `ACCESS_MASK` (`FILE_READ_DATA`, `GENERIC_READ`, ...): recorded and passed to the filters.
    public var desiredAccess: UInt32
    /// `FILE_SHARE_*`.
    public var shareAccess: UInt16
    /// `FILE_ATTRIBUTE_*`.
    public var fileAttributes: UInt16
    public var disposition: CreateDisposition
    /// `FILE_*` create options (the low 24 bits).
    public var options: UInt32
    /// `IO_IGNORE_SHARE_ACCESS_CHECK` and the other `IO_*` create flags (recorded).
    public var flags: UInt32
    /// The initial allocation size (recorded; files here are empty).
    public var allocationSize: Int64 = 0
    /// Bytes of extended attributes the create carries (the host's file system supports none:
    /// a create with any is `STATUS_EAS_NOT_SUPPORTED`).
    public var eaLength: UInt32 = 0

    public init(
        name: String, desiredAccess: UInt32 = 0x0012_0089 /* FILE_GENERIC_READ */, shareAccess: UInt16 = 0x1,
        fileAttributes: UInt16 = 0x80, disposition: CreateDisposition = .open, options: UInt32 = 0, flags: UInt32 = 0
    ) {
        self.name = name
        self.desiredAccess = desiredAccess
        self.shareAccess = shareAccess
        self.fileAttributes = fileAttributes
        self.disposition = disposition
        self.options = options
        self.flags = flags
    }

    /// `Parameters.Create.Options`: the disposition in the high 8 bits, the options below.
    public var packedOptions: UInt32 { disposition.rawValue << 24 | options & 0x00FF_FFFF }
}

/// What a create gave back (`IO_STATUS_BLOCK`): `Information` is `FILE_OPENED`, `FILE_CREATED`, ...
public struct IoStatus: Sendable, Equatable {
    public var status: NTStatus
    public var information: UInt
    public init(status: NTStatus, information: UInt = 0) {
        self.status = status
        self.information = information
    }

    /// `FILE_SUPERSEDED` ... `FILE_DOES_NOT_EXIST` (the values of `IoStatus.Information`).
    public static let superseded: UInt = 0
    public static let opened: UInt = 1
    public static let created: UInt = 2
    public static let overwritten: UInt = 3
    public static let exists: UInt = 4
    public static let doesNotExist: UInt = 5
}
