/// A Windows NTSTATUS value: 32-bit, signed, negative for errors.
///
/// Swift callers see failures as thrown `NTStatus` errors and successes as returned values; the
/// raw integer only crosses the C boundary. Corresponds to the C type `NTSTATUS` and the
/// `NT_SUCCESS` macro (``isSuccess``).
@frozen
public struct NTStatus: RawRepresentable, Hashable, Sendable, Error {
    /// The 32-bit value C code sees (`NTSTATUS`).
    public let rawValue: Int32
    /// Which explanation (``detail``) a Swift call attached: 0 for none. Not part of the value:
    /// equality and hashing compare `rawValue` only.
    @usableFromInline let detailIndex: UInt32

    /// A status from its C value. Corresponds to the C type `NTSTATUS`.
    @inlinable
    public init(rawValue: Int32) {
        self.rawValue = rawValue
        detailIndex = 0
    }

    /// Builds a status from its documented hexadecimal form, e.g. `0xC000000D`.
    @inlinable
    public init(code: UInt32) {
        self.rawValue = Int32(bitPattern: code)
        detailIndex = 0
    }

    @usableFromInline
    init(rawValue: Int32, detailIndex: UInt32) {
        self.rawValue = rawValue
        self.detailIndex = detailIndex
    }

    /// Equal when the values are (an explanation is not part of the status).
    @inlinable
    public static func == (lhs: NTStatus, rhs: NTStatus) -> Bool { lhs.rawValue == rhs.rawValue }

    /// Hashes the value only.
    @inlinable
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    /// The unsigned hexadecimal form the documentation uses.
    @inlinable
    public var code: UInt32 { UInt32(bitPattern: rawValue) }

    /// `NT_SUCCESS(status)`: true for success, informational and warning-free values (>= 0).
    @inlinable
    public var isSuccess: Bool { rawValue >= 0 }
}

extension NTStatus {
    /// `STATUS_SUCCESS`.
    public static let success = NTStatus(code: 0x0000_0000)
    /// A wait ended because its timeout passed (a success code).
    public static let timeout = NTStatus(code: 0x0000_0102)
    /// `STATUS_MORE_ENTRIES`.
    public static let moreEntries = NTStatus(code: 0x0000_0105)
    /// `STATUS_OBJECT_NAME_EXISTS`.
    public static let objectNameExists = NTStatus(code: 0x4000_0000)
    /// `STATUS_UNSUCCESSFUL`.
    public static let unsuccessful = NTStatus(code: 0xC000_0001)
    /// `STATUS_NOT_IMPLEMENTED`.
    public static let notImplemented = NTStatus(code: 0xC000_0002)
    /// `STATUS_INFO_LENGTH_MISMATCH`.
    public static let infoLengthMismatch = NTStatus(code: 0xC000_0004)
    /// `STATUS_ACCESS_VIOLATION`.
    public static let accessViolation = NTStatus(code: 0xC000_0005)
    /// `STATUS_INVALID_PARAMETER`.
    public static let invalidParameter = NTStatus(code: 0xC000_000D)
    /// `STATUS_INVALID_DEVICE_REQUEST`.
    public static let invalidDeviceRequest = NTStatus(code: 0xC000_0010)
    /// `STATUS_NO_MEMORY`.
    public static let noMemory = NTStatus(code: 0xC000_0017)
    /// `STATUS_BUFFER_TOO_SMALL`.
    public static let bufferTooSmall = NTStatus(code: 0xC000_0023)
    /// `STATUS_OBJECT_NAME_INVALID`.
    public static let objectNameInvalid = NTStatus(code: 0xC000_0033)
    /// `STATUS_QUOTA_EXCEEDED`.
    public static let quotaExceeded = NTStatus(code: 0xC000_0044)
    /// `STATUS_DELETE_PENDING`.
    public static let deletePending = NTStatus(code: 0xC000_0056)
    /// `STATUS_INTEGER_OVERFLOW`.
    public static let integerOverflow = NTStatus(code: 0xC000_0095)
    /// `STATUS_INSUFFICIENT_RESOURCES`.
    public static let insufficientResources = NTStatus(code: 0xC000_009A)
    /// `STATUS_INVALID_PARAMETER_1`.
    public static let invalidParameter1 = NTStatus(code: 0xC000_00EF)
    /// `STATUS_INVALID_PARAMETER_2`.
    public static let invalidParameter2 = NTStatus(code: 0xC000_00F0)
    /// `STATUS_INVALID_PARAMETER_3`.
    public static let invalidParameter3 = NTStatus(code: 0xC000_00F1)
    /// `STATUS_INVALID_PARAMETER_4`.
    public static let invalidParameter4 = NTStatus(code: 0xC000_00F2)
    /// `STATUS_INVALID_PARAMETER_5`.
    public static let invalidParameter5 = NTStatus(code: 0xC000_00F3)
    /// `STATUS_INVALID_PARAMETER_8`.
    public static let invalidParameter8 = NTStatus(code: 0xC000_00F6)
    /// `WdfDriverCreate` called a second time for a driver object.
    public static let driverInternalError = NTStatus(code: 0xC000_0183)
    /// `STATUS_INVALID_BUFFER_SIZE`.
    public static let invalidBufferSize = NTStatus(code: 0xC000_0206)
    /// `STATUS_NOT_FOUND`.
    public static let notFound = NTStatus(code: 0xC000_0225)
    /// `STATUS_WDF_PARENT_ALREADY_ASSIGNED`.
    public static let wdfParentAlreadyAssigned = NTStatus(code: 0xC020_020D)
    /// `STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED`.
    public static let wdfParentAssignmentNotAllowed = NTStatus(code: 0xC020_020F)
    /// `STATUS_WDF_OBJECT_ATTRIBUTES_INVALID`.
    public static let wdfObjectAttributesInvalid = NTStatus(code: 0xC020_0209)
    /// `STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID`.
    public static let wdfSynchronizationScopeInvalid = NTStatus(code: 0xC020_0210)
    /// `STATUS_WDF_EXECUTION_LEVEL_INVALID`.
    public static let wdfExecutionLevelInvalid = NTStatus(code: 0xC020_0211)
    /// `STATUS_WDF_PARENT_NOT_SPECIFIED`.
    public static let wdfParentNotSpecified = NTStatus(code: 0xC020_0212)

    /// Every status this runtime names, with its C spelling.
    public static let named: [(status: NTStatus, name: String)] = [
        (.success, "STATUS_SUCCESS"),
        (.timeout, "STATUS_TIMEOUT"),
        (.moreEntries, "STATUS_MORE_ENTRIES"),
        (.objectNameExists, "STATUS_OBJECT_NAME_EXISTS"),
        (.unsuccessful, "STATUS_UNSUCCESSFUL"),
        (.notImplemented, "STATUS_NOT_IMPLEMENTED"),
        (.infoLengthMismatch, "STATUS_INFO_LENGTH_MISMATCH"),
        (.accessViolation, "STATUS_ACCESS_VIOLATION"),
        (.invalidParameter, "STATUS_INVALID_PARAMETER"),
        (.invalidDeviceRequest, "STATUS_INVALID_DEVICE_REQUEST"),
        (.noMemory, "STATUS_NO_MEMORY"),
        (.bufferTooSmall, "STATUS_BUFFER_TOO_SMALL"),
        (.objectNameInvalid, "STATUS_OBJECT_NAME_INVALID"),
        (.quotaExceeded, "STATUS_QUOTA_EXCEEDED"),
        (.deletePending, "STATUS_DELETE_PENDING"),
        (.integerOverflow, "STATUS_INTEGER_OVERFLOW"),
        (.insufficientResources, "STATUS_INSUFFICIENT_RESOURCES"),
        (.invalidParameter1, "STATUS_INVALID_PARAMETER_1"),
        (.invalidParameter2, "STATUS_INVALID_PARAMETER_2"),
        (.invalidParameter3, "STATUS_INVALID_PARAMETER_3"),
        (.invalidParameter4, "STATUS_INVALID_PARAMETER_4"),
        (.invalidParameter5, "STATUS_INVALID_PARAMETER_5"),
        (.invalidParameter8, "STATUS_INVALID_PARAMETER_8"),
        (.driverInternalError, "STATUS_DRIVER_INTERNAL_ERROR"),
        (.invalidBufferSize, "STATUS_INVALID_BUFFER_SIZE"),
        (.notFound, "STATUS_NOT_FOUND"),
        (.wdfParentAlreadyAssigned, "STATUS_WDF_PARENT_ALREADY_ASSIGNED"),
        (.wdfParentAssignmentNotAllowed, "STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED"),
        (.wdfObjectAttributesInvalid, "STATUS_WDF_OBJECT_ATTRIBUTES_INVALID"),
        (.wdfSynchronizationScopeInvalid, "STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID"),
        (.wdfExecutionLevelInvalid, "STATUS_WDF_EXECUTION_LEVEL_INVALID"),
        (.wdfParentNotSpecified, "STATUS_WDF_PARENT_NOT_SPECIFIED"),
    ]

    /// The C name (`STATUS_INVALID_PARAMETER`), or nil for a value this runtime does not name.
    public var name: String? { Self.named.first { $0.status == self }?.name }
}

extension NTStatus: CustomStringConvertible {
    /// `STATUS_INVALID_PARAMETER (0xC000000D)`, or just the hexadecimal value when unnamed;
    /// followed by the explanation a Swift call gave, if any:
    /// `STATUS_INVALID_PARAMETER (0xC000000D): depth must be 0 or 256...1024`.
    public var description: String {
        let hex = "0x" + hexDigits(UInt64(code), width: 8)
        let status = name.map { "\($0) (\(hex))" } ?? hex
        if let detail { return status + ": " + detail }
        return status
    }
}

/// Upper-case hexadecimal digits, zero-padded to `width`.
@usableFromInline
func hexDigits(_ value: UInt64, width: Int) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
