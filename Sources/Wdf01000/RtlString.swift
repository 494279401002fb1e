// C exports: the Rtl counted-string routines. Each copies the UNICODE_STRING / STRING fields into
// the Swift layer's CountedString, calls the routine there, and copies the fields back.
public import CWdf
import NtKernel

typealias Wide = CountedString<UInt16>
typealias Narrow = CountedString<UInt8>

/// A NULL where the routine dereferences its argument: on Windows a kernel-mode access violation
/// that nothing handles.
func required<T>(_ pointer: UnsafeMutablePointer<T>?, _ routine: StaticString) -> UnsafeMutablePointer<T> {
    guard let pointer else { BugCheck.raiseStatus(.accessViolation, in: "\(routine) (a required pointer is NULL)") }
    return pointer
}

func required<T>(_ pointer: UnsafePointer<T>?, _ routine: StaticString) -> UnsafePointer<T> {
    guard let pointer else { BugCheck.raiseStatus(.accessViolation, in: "\(routine) (a required pointer is NULL)") }
    return pointer
}

extension UNICODE_STRING {
    var counted: Wide { Wide(length: Length, maximumLength: MaximumLength, buffer: Buffer) }
    mutating func set(_ string: Wide) {
        Length = string.length
        MaximumLength = string.maximumLength
        Buffer = string.buffer
    }
}

extension STRING {
    var counted: Narrow {
        Narrow(length: Length, maximumLength: MaximumLength, buffer: Buffer.map { UnsafeMutablePointer(OpaquePointer($0)) })
    }
    mutating func set(_ string: Narrow) {
        Length = string.length
        MaximumLength = string.maximumLength
        Buffer = string.buffer.map { UnsafeMutablePointer(OpaquePointer($0)) }
    }
}

@c @implementation
public func RtlInitUnicodeString(_ DestinationString: PUNICODE_STRING!, _ SourceString: PCWSTR?) {
    // Without `strict`, referencing cannot fail.
    let string = (try? Wide.referencing(SourceString)) ?? Wide(length: 0, maximumLength: 0, buffer: nil)
    required(DestinationString, "RtlInitUnicodeString").pointee.set(string)
}

@c @implementation
public func RtlInitUnicodeStringEx(_ DestinationString: PUNICODE_STRING!, _ SourceString: PCWSTR?) -> NTSTATUS {
    let destination = required(DestinationString, "RtlInitUnicodeStringEx")
    do {
        destination.pointee.set(try Wide.referencing(SourceString, strict: true))
        return STATUS_SUCCESS
    } catch {
        destination.pointee.set(Wide(length: 0, maximumLength: 0, buffer: nil))
        return error.rawValue
    }
}

@c @implementation
public func RtlInitString(_ DestinationString: PSTRING!, _ SourceString: PCSZ?) {
    let source = SourceString.map { UnsafePointer<UInt8>(OpaquePointer($0)) }
    let string = (try? Narrow.referencing(source)) ?? Narrow(length: 0, maximumLength: 0, buffer: nil)
    required(DestinationString, "RtlInitString").pointee.set(string)
}

@c @implementation
public func RtlInitAnsiString(_ DestinationString: PANSI_STRING!, _ SourceString: PCSZ?) {
    RtlInitString(DestinationString, SourceString)
}

@c @implementation
public func RtlCopyUnicodeString(_ DestinationString: PUNICODE_STRING!, _ SourceString: PCUNICODE_STRING?) {
    let destination = required(DestinationString, "RtlCopyUnicodeString")
    var string = destination.pointee.counted
    string.copy(from: SourceString?.pointee.counted)
    destination.pointee.set(string)
}

@c @implementation
public func RtlCopyString(_ DestinationString: PSTRING!, _ SourceString: UnsafePointer<STRING>?) {
    let destination = required(DestinationString, "RtlCopyString")
    var string = destination.pointee.counted
    string.copy(from: SourceString?.pointee.counted)
    destination.pointee.set(string)
}

@c @implementation
public func RtlCompareUnicodeString(_ String1: PCUNICODE_STRING!, _ String2: PCUNICODE_STRING!, _ CaseInSensitive: BOOLEAN) -> LONG {
    DdiCompliance.requireKernelIrql(atMost: .passive, routine: "RtlCompareUnicodeString")  // PASSIVE_LEVEL, checked under force IRQL checking
    return Wide.compare(
        required(String1, "RtlCompareUnicodeString").pointee.counted, required(String2, "RtlCompareUnicodeString").pointee.counted,
        caseInsensitive: CaseInSensitive != 0)
}

@c @implementation
public func RtlEqualUnicodeString(_ String1: PCUNICODE_STRING!, _ String2: PCUNICODE_STRING!, _ CaseInSensitive: BOOLEAN) -> BOOLEAN {
    DdiCompliance.requireKernelIrql(atMost: .passive, routine: "RtlEqualUnicodeString")  // PASSIVE_LEVEL, checked under force IRQL checking
    let a = required(String1, "RtlEqualUnicodeString").pointee.counted
    let b = required(String2, "RtlEqualUnicodeString").pointee.counted
    return a.length == b.length && Wide.compare(a, b, caseInsensitive: CaseInSensitive != 0) == 0 ? 1 : 0
}

@c @implementation
public func RtlPrefixUnicodeString(_ String1: PCUNICODE_STRING!, _ String2: PCUNICODE_STRING!, _ CaseInSensitive: BOOLEAN) -> BOOLEAN {
    Wide.hasPrefix(
        required(String2, "RtlPrefixUnicodeString").pointee.counted, required(String1, "RtlPrefixUnicodeString").pointee.counted,
        caseInsensitive: CaseInSensitive != 0) ? 1 : 0
}

@c @implementation
public func RtlCompareString(_ String1: UnsafePointer<STRING>!, _ String2: UnsafePointer<STRING>!, _ CaseInSensitive: BOOLEAN) -> LONG {
    Narrow.compare(
        required(String1, "RtlCompareString").pointee.counted, required(String2, "RtlCompareString").pointee.counted,
        caseInsensitive: CaseInSensitive != 0)
}

@c @implementation
public func RtlEqualString(_ String1: UnsafePointer<STRING>!, _ String2: UnsafePointer<STRING>!, _ CaseInSensitive: BOOLEAN) -> BOOLEAN {
    let a = required(String1, "RtlEqualString").pointee.counted
    let b = required(String2, "RtlEqualString").pointee.counted
    return a.length == b.length && Narrow.compare(a, b, caseInsensitive: CaseInSensitive != 0) == 0 ? 1 : 0
}

@c @implementation
public func RtlAppendUnicodeStringToString(_ Destination: PUNICODE_STRING!, _ Source: PCUNICODE_STRING!) -> NTSTATUS {
    let destination = required(Destination, "RtlAppendUnicodeStringToString")
    var string = destination.pointee.counted
    do { try string.append(required(Source, "RtlAppendUnicodeStringToString").pointee.counted.units) } catch { return error.rawValue }
    destination.pointee.set(string)
    return STATUS_SUCCESS
}

@c @implementation
public func RtlAppendUnicodeToString(_ Destination: PUNICODE_STRING!, _ Source: PCWSTR?) -> NTSTATUS {
    let destination = required(Destination, "RtlAppendUnicodeToString")
    guard let Source else { return STATUS_SUCCESS }
    var string = destination.pointee.counted
    do {
        let source = try Wide.referencing(Source)
        try string.append(source.units)
    } catch { return error.rawValue }
    destination.pointee.set(string)
    return STATUS_SUCCESS
}

@c @implementation
public func RtlUpcaseUnicodeChar(_ SourceCharacter: WCHAR) -> WCHAR {
    WCHAR(truncatingIfNeeded: CaseMapping.upcase(UInt32(SourceCharacter), unitSize: 2))
}

@c @implementation
public func RtlDowncaseUnicodeChar(_ SourceCharacter: WCHAR) -> WCHAR {
    WCHAR(truncatingIfNeeded: CaseMapping.downcase(UInt32(SourceCharacter), unitSize: 2))
}

private func mapCase(
    _ DestinationString: PUNICODE_STRING?, _ SourceString: PCUNICODE_STRING?, _ Allocate: BOOLEAN, upper: Bool, _ routine: StaticString
) -> NTSTATUS {
    let destination = required(DestinationString, routine)
    let source = required(SourceString, routine).pointee.counted
    var string = destination.pointee.counted
    do {
        try Wide.convert(source, into: &string, allocate: Allocate != 0) {
            upper ? CaseMapping.upcase($0, unitSize: 2) : CaseMapping.downcase($0, unitSize: 2)
        }
    } catch {
        if error.isSuccess == false && Allocate == 0 { destination.pointee.set(string) }
        return error.rawValue
    }
    destination.pointee.set(string)
    return STATUS_SUCCESS
}

@c @implementation
public func RtlUpcaseUnicodeString(_ DestinationString: PUNICODE_STRING!, _ SourceString: PCUNICODE_STRING!, _ AllocateDestinationString: BOOLEAN) -> NTSTATUS {
    DdiCompliance.requireKernelIrql(atMost: .passive, routine: "RtlUpcaseUnicodeString")  // PASSIVE_LEVEL, checked under force IRQL checking
    return mapCase(DestinationString, SourceString, AllocateDestinationString, upper: true, "RtlUpcaseUnicodeString")
}

@c @implementation
public func RtlDowncaseUnicodeString(_ DestinationString: PUNICODE_STRING!, _ SourceString: PCUNICODE_STRING!, _ AllocateDestinationString: BOOLEAN) -> NTSTATUS {
    DdiCompliance.requireKernelIrql(atMost: .passive, routine: "RtlDowncaseUnicodeString")  // PASSIVE_LEVEL, checked under force IRQL checking
    return mapCase(DestinationString, SourceString, AllocateDestinationString, upper: false, "RtlDowncaseUnicodeString")
}

@c @implementation
public func RtlUnicodeStringToAnsiString(_ DestinationString: PANSI_STRING!, _ SourceString: PCUNICODE_STRING!, _ AllocateDestinationString: BOOLEAN) -> NTSTATUS {
    DdiCompliance.requireKernelIrql(atMost: .passive, routine: "RtlUnicodeStringToAnsiString")  // PASSIVE_LEVEL, checked under force IRQL checking
    let destination = required(DestinationString, "RtlUnicodeStringToAnsiString")
    let source = required(SourceString, "RtlUnicodeStringToAnsiString").pointee.counted
    var string = destination.pointee.counted
    var status = STATUS_SUCCESS
    do {
        try Narrow.convert(source, into: &string, allocate: AllocateDestinationString != 0) { $0 <= 0xFF ? $0 : 0x3F }
    } catch {
        status = error.rawValue
        if AllocateDestinationString != 0 || error.rawValue == STATUS_INVALID_PARAMETER_2 { return status }
    }
    destination.pointee.set(string)
    return status
}

@c @implementation
public func RtlAnsiStringToUnicodeString(_ DestinationString: PUNICODE_STRING!, _ SourceString: PCANSI_STRING!, _ AllocateDestinationString: BOOLEAN) -> NTSTATUS {
    DdiCompliance.requireKernelIrql(atMost: .passive, routine: "RtlAnsiStringToUnicodeString")  // PASSIVE_LEVEL, checked under force IRQL checking
    let destination = required(DestinationString, "RtlAnsiStringToUnicodeString")
    let source = required(SourceString, "RtlAnsiStringToUnicodeString").pointee.counted
    var string = destination.pointee.counted
    var status = STATUS_SUCCESS
    do {
        try Wide.convert(source, into: &string, allocate: AllocateDestinationString != 0) { $0 }
    } catch {
        status = error.rawValue
        if AllocateDestinationString != 0 || error.rawValue == STATUS_INVALID_PARAMETER_2 { return status }
    }
    destination.pointee.set(string)
    return status
}

@c @implementation
public func RtlxUnicodeStringToAnsiSize(_ UnicodeString: PCUNICODE_STRING!) -> ULONG {
    ULONG(required(UnicodeString, "RtlxUnicodeStringToAnsiSize").pointee.Length / 2) + 1
}

@c @implementation
public func RtlxAnsiStringToUnicodeSize(_ AnsiString: PCANSI_STRING!) -> ULONG {
    ULONG(required(AnsiString, "RtlxAnsiStringToUnicodeSize").pointee.Length) * 2 + 2
}

@c @implementation
public func RtlCreateUnicodeString(_ DestinationString: PUNICODE_STRING!, _ SourceString: PCWSTR!) -> BOOLEAN {
    DdiCompliance.requireKernelIrql(atMost: .passive, routine: "RtlCreateUnicodeString")  // PASSIVE_LEVEL, checked under force IRQL checking
    let destination = required(DestinationString, "RtlCreateUnicodeString")
    guard let source = try? Wide.referencing(required(SourceString, "RtlCreateUnicodeString")) else { return 0 }
    var string = Wide(length: 0, maximumLength: 0, buffer: nil)
    do { try Wide.convert(source, into: &string, allocate: true) { $0 } } catch { return 0 }
    destination.pointee.set(string)
    return 1
}

@c @implementation
public func RtlDuplicateUnicodeString(_ Flags: ULONG, _ StringIn: PCUNICODE_STRING!, _ StringOut: PUNICODE_STRING!) -> NTSTATUS {
    DdiCompliance.requireKernelIrql(atMost: .passive, routine: "RtlDuplicateUnicodeString")  // PASSIVE_LEVEL, checked under force IRQL checking
    let known = ULONG(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE | RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING)
    guard Flags & ~known == 0, let StringIn, let StringOut else { return STATUS_INVALID_PARAMETER }
    let source = StringIn.pointee.counted
    if source.length == 0 && Flags & ULONG(RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING) == 0 {
        StringOut.pointee.set(Wide(length: 0, maximumLength: 0, buffer: nil))
        return STATUS_SUCCESS
    }
    var string = Wide(length: 0, maximumLength: 0, buffer: nil)
    do { try Wide.convert(source, into: &string, allocate: true) { $0 } } catch { return error.rawValue }
    if Flags & ULONG(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE) == 0 { string.maximumLength = string.length == 0 ? 2 : string.length }
    StringOut.pointee.set(string)
    return STATUS_SUCCESS
}

@c @implementation
public func RtlFreeUnicodeString(_ UnicodeString: PUNICODE_STRING!) {
    DdiCompliance.requireKernelIrql(atMost: .passive, routine: "RtlFreeUnicodeString")  // PASSIVE_LEVEL, checked under force IRQL checking
    let target = required(UnicodeString, "RtlFreeUnicodeString")
    var string = target.pointee.counted
    string.free()
    target.pointee.set(string)
}

@c @implementation
public func RtlFreeAnsiString(_ AnsiString: PANSI_STRING!) {
    DdiCompliance.requireKernelIrql(atMost: .passive, routine: "RtlFreeAnsiString")  // PASSIVE_LEVEL, checked under force IRQL checking
    let target = required(AnsiString, "RtlFreeAnsiString")
    var string = target.pointee.counted
    string.free()
    target.pointee.set(string)
}

@c @implementation
public func RtlIntegerToUnicodeString(_ Value: ULONG, _ Base: ULONG, _ String: PUNICODE_STRING!) -> NTSTATUS {
    DdiCompliance.requireKernelIrql(atMost: .passive, routine: "RtlIntegerToUnicodeString")  // PASSIVE_LEVEL, checked under force IRQL checking
    let target = required(String, "RtlIntegerToUnicodeString")
    var string = target.pointee.counted
    do { try string.setInteger(Value, base: Base) } catch { return error.rawValue }
    target.pointee.set(string)
    return STATUS_SUCCESS
}

@c @implementation
public func RtlUnicodeStringToInteger(_ String: PCUNICODE_STRING!, _ Base: ULONG, _ Value: PULONG!) -> NTSTATUS {
    DdiCompliance.requireKernelIrql(atMost: .passive, routine: "RtlUnicodeStringToInteger")  // PASSIVE_LEVEL, checked under force IRQL checking
    let source = required(String, "RtlUnicodeStringToInteger").pointee.counted
    let target = required(Value, "RtlUnicodeStringToInteger")
    do { target.pointee = try source.integerValue(base: Base) } catch { return error.rawValue }
    return STATUS_SUCCESS
}
