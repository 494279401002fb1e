package import NtKernel

// The status codes of the create path (ntstatus.h values).
extension NTStatus {
    /// `STATUS_INVALID_HANDLE` 0xC0000008.
    package static var invalidHandle: NTStatus { NTStatus(code: 0xC000_0008) }
    /// `STATUS_ACCESS_DENIED` 0xC0000022.
    package static var accessDenied: NTStatus { NTStatus(code: 0xC000_0022) }
    /// `STATUS_OBJECT_NAME_NOT_FOUND` 0xC0000034.
    package static var objectNameNotFound: NTStatus { NTStatus(code: 0xC000_0034) }
    /// `STATUS_OBJECT_NAME_COLLISION` 0xC0000035.
    package static var objectNameCollision: NTStatus { NTStatus(code: 0xC000_0035) }
    /// `STATUS_OBJECT_PATH_NOT_FOUND` 0xC000003A.
    package static var objectPathNotFound: NTStatus { NTStatus(code: 0xC000_003A) }
    /// `STATUS_OBJECT_PATH_SYNTAX_BAD` 0xC000003B.
    package static var objectPathSyntaxBad: NTStatus { NTStatus(code: 0xC000_003B) }
    /// `STATUS_SHARING_VIOLATION` 0xC0000043.
    package static var sharingViolation: NTStatus { NTStatus(code: 0xC000_0043) }
    /// `STATUS_EAS_NOT_SUPPORTED` 0xC000004F.
    package static var easNotSupported: NTStatus { NTStatus(code: 0xC000_004F) }
    /// `STATUS_FILE_IS_A_DIRECTORY` 0xC00000BA.
    package static var fileIsADirectory: NTStatus { NTStatus(code: 0xC000_00BA) }
    /// `STATUS_NOT_A_DIRECTORY` 0xC0000103.
    package static var notADirectory: NTStatus { NTStatus(code: 0xC000_0103) }
    /// `STATUS_FLT_DO_NOT_ATTACH` 0xC01C000F: what an instance setup callback returns to stay off a volume.
    package static var fltDoNotAttach: NTStatus { NTStatus(code: 0xC01C_000F) }
    /// `STATUS_FLT_INSTANCE_ALTITUDE_COLLISION` 0xC01C0011.
    package static var fltInstanceAltitudeCollision: NTStatus { NTStatus(code: 0xC01C_0011) }
}
