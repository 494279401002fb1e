public import NtKernel

// The status codes of the create path (ntstatus.h values).
extension NTStatus {
    /// `STATUS_INVALID_HANDLE` 0xC0000008.
    public static var invalidHandle: NTStatus { NTStatus(code: 0xC000_0008) }
    /// `STATUS_ACCESS_DENIED` 0xC0000022.
    public static var accessDenied: NTStatus { NTStatus(code: 0xC000_0022) }
    /// `STATUS_OBJECT_NAME_NOT_FOUND` 0xC0000034.
    public static var objectNameNotFound: NTStatus { NTStatus(code: 0xC000_0034) }
    /// `STATUS_OBJECT_NAME_COLLISION` 0xC0000035.
    public static var objectNameCollision: NTStatus { NTStatus(code: 0xC000_0035) }
    /// `STATUS_OBJECT_PATH_NOT_FOUND` 0xC000003A.
    public static var objectPathNotFound: NTStatus { NTStatus(code: 0xC000_003A) }
    /// `STATUS_OBJECT_PATH_SYNTAX_BAD` 0xC000003B.
    public static var objectPathSyntaxBad: NTStatus { NTStatus(code: 0xC000_003B) }
    /// `STATUS_SHARING_VIOLATION` 0xC0000043.
    public static var sharingViolation: NTStatus { NTStatus(code: 0xC000_0043) }
    /// `STATUS_FLT_DO_NOT_ATTACH` 0xC01C000F: what an instance setup callback returns to stay off a volume.
    public static var fltDoNotAttach: NTStatus { NTStatus(code: 0xC01C_000F) }
    /// `STATUS_FLT_INSTANCE_ALTITUDE_COLLISION` 0xC01C0011.
    public static var fltInstanceAltitudeCollision: NTStatus { NTStatus(code: 0xC01C_0011) }
}
