import NtKernel

/// The kinds of framework object.
package enum ObjectKind: UInt8, Sendable, CustomStringConvertible {
    case generic = 1
    case driver
    case device
    case request
    case memory
    case lookaside
    case spinLock
    case waitLock

    package var description: String {
        switch self {
        case .generic: "WDFOBJECT"
        case .driver: "WDFDRIVER"
        case .device: "WDFDEVICE"
        case .request: "WDFREQUEST"
        case .memory: "WDFMEMORY"
        case .lookaside: "WDFLOOKASIDE"
        case .spinLock: "WDFSPINLOCK"
        case .waitLock: "WDFWAITLOCK"
        }
    }
}

/// A set of object kinds, for handle checks that accept more than one.
package struct ObjectKinds: OptionSet, Sendable {
    package let rawValue: UInt16
    package init(rawValue: UInt16) { self.rawValue = rawValue }
    package init(_ kind: ObjectKind) { rawValue = 1 << kind.rawValue }

    package static var any: ObjectKinds { ObjectKinds(rawValue: 0) }
    package static var memory: ObjectKinds { ObjectKinds(rawValue: 1 << ObjectKind.memory.rawValue) }
    package static var lookaside: ObjectKinds { ObjectKinds(rawValue: 1 << ObjectKind.lookaside.rawValue) }
    package static var driver: ObjectKinds { ObjectKinds(rawValue: 1 << ObjectKind.driver.rawValue) }
    package static var spinLock: ObjectKinds { ObjectKinds(rawValue: 1 << ObjectKind.spinLock.rawValue) }
    package static var waitLock: ObjectKinds { ObjectKinds(rawValue: 1 << ObjectKind.waitLock.rawValue) }

    func contains(kind: UInt8) -> Bool { isEmpty || rawValue & (1 << UInt16(kind)) != 0 }

    var names: String {
        [ObjectKind.generic, .driver, .device, .request, .memory, .lookaside, .spinLock, .waitLock].filter { contains(kind: $0.rawValue) }
            .map { "\($0)" }.joined(separator: " or ")
    }
}

/// A handle to a framework object: an opaque value that encodes a slot and the slot's
/// generation, so a handle to a deleted object (even one whose slot was reused) is recognized
/// without reading freed memory. Corresponds to the C type `WDFOBJECT`.
///
/// From Swift you rarely hold one: the owner types (``WdfMemory``, ``WdfRequest``, ...) manage
/// their objects. A handle names an object for parenting (``FrameworkObject/object``) and in
/// logs; it cannot delete or reference anything from outside this package.
@frozen
public struct WdfObject: Hashable, Sendable, CustomStringConvertible {
    /// The value C code sees.
    public let rawValue: UInt

    @inlinable package init(rawValue: UInt) { self.rawValue = rawValue }

    static var marker: UInt { 0x5744 << 48 }  // "WD"
    static var markerMask: UInt { 0xFFFF << 48 }
    static var indexBits: UInt { 24 }
    static var generationBits: UInt { 20 }

    init(index: UInt32, generation: UInt32) {
        rawValue = Self.marker | (UInt(generation) << (4 + Self.indexBits)) | (UInt(index) << 4)
    }

    /// The slot index, or nil when the value cannot be a handle at all.
    var index: UInt32? {
        guard rawValue & Self.markerMask == Self.marker, rawValue & 0xF == 0 else { return nil }
        return UInt32((rawValue >> 4) & ((1 << Self.indexBits) - 1))
    }

    var generation: UInt32 { UInt32((rawValue >> (4 + Self.indexBits)) & ((1 << Self.generationBits) - 1)) }

    /// The handle's value in hexadecimal, as a debugger shows a `WDFOBJECT`.
    public var description: String { "0x" + String(rawValue, radix: 16, uppercase: true) }

    /// The kind of the live object this handle names (bug check 0x10D/5 if none).
    package var kind: ObjectKind { ObjectKind(rawValue: ObjectTable.resolve(self, routine: "WdfObject.kind").pointee.kind)! }

    /// Deletes the object and its children (children first, oldest first). Driver and device
    /// objects are not deleted this way (a verifier message). Corresponds to `WdfObjectDelete`.
    package func delete() { ObjectLifetime.delete(self, routine: "WdfObjectDelete") }

    /// Takes a reference, optionally tagged. With handle tracking (`TrackHandles`) on, the
    /// reference is recorded with its tag, the caller's file and line and its call site, and a
    /// leak report lists the references still held. Corresponds to `WdfObjectReferenceWithTag`
    /// (`WdfObjectReferenceActual`).
    package func reference(tag: UnsafeRawPointer? = nil, file: StaticString = #fileID, line: UInt = #line) {
        ObjectLifetime.reference(self, tag: tag, source: .swift(file: file, line: Int(line)), routine: "WdfObjectReferenceActual")
    }

    /// Drops a reference; the object is destroyed when the last one goes (after deletion). With
    /// handle tracking on, the release is recorded and matched to the latest reference taken with
    /// the same tag. Corresponds to `WdfObjectDereferenceWithTag` (`WdfObjectDereferenceActual`).
    package func dereference(tag: UnsafeRawPointer? = nil, file: StaticString = #fileID, line: UInt = #line) {
        ObjectLifetime.dereference(self, tag: tag, source: .swift(file: file, line: Int(line)), routine: "WdfObjectDereferenceActual")
    }

    /// `WdfObjectReferenceActual` as the C door calls it: the file and line of the driver's
    /// `WdfObjectReferenceWithTag` macro.
    package func reference(tag: UnsafeRawPointer?, cFile: UnsafePointer<CChar>?, line: Int) {
        ObjectLifetime.reference(self, tag: tag, source: .c(file: cFile, line: line), routine: "WdfObjectReferenceActual")
    }

    /// `WdfObjectDereferenceActual` as the C door calls it.
    package func dereference(tag: UnsafeRawPointer?, cFile: UnsafePointer<CChar>?, line: Int) {
        ObjectLifetime.dereference(self, tag: tag, source: .c(file: cFile, line: line), routine: "WdfObjectDereferenceActual")
    }

    /// True while the handle names an object that is not destroyed (a deleted object still
    /// referenced is valid). Corresponds to no routine: KMDF has no such query; the verifier's
    /// handle check is its nearest relative.
    public var isValid: Bool { ObjectTable.lookup(self) != nil }
}
