package import NtKernel

/// An I/O major function code (`IRP_MJ_*`). Only the operations of a file's life here: create,
/// cleanup (last handle closed) and close (last reference gone).
package struct MajorFunction: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    package let rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `IRP_MJ_CREATE`.
    package static let create = MajorFunction(rawValue: 0x00)
    /// `IRP_MJ_CLOSE`.
    package static let close = MajorFunction(rawValue: 0x02)
    /// `IRP_MJ_CLEANUP`.
    package static let cleanup = MajorFunction(rawValue: 0x12)
    /// `IRP_MJ_OPERATION_END`: ends an `FLT_OPERATION_REGISTRATION` array.
    package static let operationEnd = MajorFunction(rawValue: 0x80)

    package var description: String {
        switch self {
        case .create: "IRP_MJ_CREATE"
        case .close: "IRP_MJ_CLOSE"
        case .cleanup: "IRP_MJ_CLEANUP"
        default: "IRP_MJ_0x\(String(rawValue, radix: 16))"
        }
    }
}

/// Who issued an operation (`KPROCESSOR_MODE`).
package enum ProcessorMode: UInt8, Sendable {
    /// `KernelMode`.
    case kernel = 0
    /// `UserMode`.
    case user = 1
}

/// What a pre-operation callback returns (`FLT_PREOP_CALLBACK_STATUS`, Windows' values).
package struct PreOperationStatus: RawRepresentable, Hashable, Sendable {
    package let rawValue: Int32
    package init(rawValue: Int32) { self.rawValue = rawValue }
    /// `FLT_PREOP_SUCCESS_WITH_CALLBACK`: pass it down, call my post-operation callback.
    package static let successWithCallback = PreOperationStatus(rawValue: 0)
    /// `FLT_PREOP_SUCCESS_NO_CALLBACK`: pass it down, no post-operation callback.
    package static let successNoCallback = PreOperationStatus(rawValue: 1)
    /// `FLT_PREOP_PENDING`: not supported here (there is no `FltCompletePendedPreOperation`).
    package static let pending = PreOperationStatus(rawValue: 2)
    /// `FLT_PREOP_DISALLOW_FASTIO`: only valid for fast I/O, which a create never is.
    package static let disallowFastIo = PreOperationStatus(rawValue: 3)
    /// `FLT_PREOP_COMPLETE`: the filter completed the operation with the status it set.
    package static let complete = PreOperationStatus(rawValue: 4)
    /// `FLT_PREOP_SYNCHRONIZE`: like `successWithCallback` (every operation here is synchronous).
    package static let synchronize = PreOperationStatus(rawValue: 5)
}

/// What a post-operation callback returns (`FLT_POSTOP_CALLBACK_STATUS`).
package struct PostOperationStatus: RawRepresentable, Hashable, Sendable {
    package let rawValue: Int32
    package init(rawValue: Int32) { self.rawValue = rawValue }
    /// `FLT_POSTOP_FINISHED_PROCESSING`.
    package static let finishedProcessing = PostOperationStatus(rawValue: 0)
    /// `FLT_POSTOP_MORE_PROCESSING_REQUIRED`: not supported here (no `FltCompletePendedPostOperation`).
    package static let moreProcessingRequired = PostOperationStatus(rawValue: 1)
}

/// A pre-operation callback (`PFLT_PRE_OPERATION_CALLBACK`): the operation, the objects it
/// concerns; returns the status and the completion context handed to the post-operation callback.
package typealias PreOperationCallback = @Sendable (_ data: CallbackData, _ objects: RelatedObjects)
    -> (status: PreOperationStatus, completionContext: UnsafeMutableRawPointer?)

/// A post-operation callback (`PFLT_POST_OPERATION_CALLBACK`). `draining` is never true here
/// (an instance is never torn down while an operation is in flight).
package typealias PostOperationCallback = @Sendable (
    _ data: CallbackData, _ objects: RelatedObjects, _ completionContext: UnsafeMutableRawPointer?, _ draining: Bool
) -> PostOperationStatus

/// One entry of a filter's operation registration (`FLT_OPERATION_REGISTRATION`).
package struct OperationRegistration: Sendable {
    package var majorFunction: MajorFunction
    package var pre: PreOperationCallback?
    package var post: PostOperationCallback?

    package init(_ majorFunction: MajorFunction, pre: PreOperationCallback? = nil, post: PostOperationCallback? = nil) {
        self.majorFunction = majorFunction
        self.pre = pre
        self.post = post
    }
}

/// Called when a filter's instance is about to attach to the volume (`PFLT_INSTANCE_SETUP_CALLBACK`).
/// A failure status (`STATUS_FLT_DO_NOT_ATTACH`) keeps the filter off the volume.
package typealias InstanceSetupCallback = @Sendable (_ objects: RelatedObjects) -> NTStatus

/// The objects an operation concerns (`FLT_RELATED_OBJECTS`).
package struct RelatedObjects: Sendable {
    package let filter: Filter
    package let instance: FilterInstance
    /// nil for instance setup.
    package let file: FileObject?
}

/// The disposition of a create (`FILE_SUPERSEDE` ... `FILE_OVERWRITE_IF`).
package struct CreateDisposition: RawRepresentable, Hashable, Sendable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }
    package static let supersede = CreateDisposition(rawValue: 0)
    package static let open = CreateDisposition(rawValue: 1)
    package static let create = CreateDisposition(rawValue: 2)
    package static let openIf = CreateDisposition(rawValue: 3)
    package static let overwrite = CreateDisposition(rawValue: 4)
    package static let overwriteIf = CreateDisposition(rawValue: 5)
}

/// What a create asks for: the parameters of `FltCreateFileEx2` / `IoCreateFileEx` /
/// `ZwCreateFile`, as the `Create` member of `FLT_PARAMETERS` carries them.
package struct CreateParameters: Sendable {
    /// The name: `\Device\HarddiskVolume1\dir\file`, `\??\C:\dir\file` or `\DosDevices\C:\...`.
    package var name: String
    /// `ACCESS_MASK` (`FILE_READ_DATA`, `GENERIC_READ`, ...): recorded and passed to the filters.
    package var desiredAccess: UInt32
    /// `FILE_SHARE_*`.
    package var shareAccess: UInt16
    /// `FILE_ATTRIBUTE_*`.
    package var fileAttributes: UInt16
    package var disposition: CreateDisposition
    /// `FILE_*` create options (the low 24 bits).
    package var options: UInt32
    /// `IO_IGNORE_SHARE_ACCESS_CHECK` and the other `IO_*` create flags (recorded).
    package var flags: UInt32
    /// The initial allocation size (recorded; files here are empty).
    package var allocationSize: Int64 = 0
    /// Bytes of extended attributes the create carries (the host's file system supports none:
    /// a create with any is `STATUS_EAS_NOT_SUPPORTED`).
    package var eaLength: UInt32 = 0

    package init(
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
    package var packedOptions: UInt32 { disposition.rawValue << 24 | options & 0x00FF_FFFF }
}

/// What a create gave back (`IO_STATUS_BLOCK`): `Information` is `FILE_OPENED`, `FILE_CREATED`, ...
package struct IoStatus: Sendable, Equatable {
    package var status: NTStatus
    package var information: UInt
    package init(status: NTStatus, information: UInt = 0) {
        self.status = status
        self.information = information
    }

    /// `FILE_SUPERSEDED` ... `FILE_DOES_NOT_EXIST` (the values of `IoStatus.Information`).
    package static let superseded: UInt = 0
    package static let opened: UInt = 1
    package static let created: UInt = 2
    package static let overwritten: UInt = 3
    package static let exists: UInt = 4
    package static let doesNotExist: UInt = 5
}
