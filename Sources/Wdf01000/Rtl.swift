// C exports: RtlAssert and the interlocked SLIST routines. Each converts its arguments, calls the
// Swift layer, and converts the result.
public import CWdf
import NtKernel

@c @implementation
public func RtlAssert(_ VoidFailedAssertion: PVOID!, _ VoidFileName: PVOID!, _ LineNumber: ULONG, _ MutableMessage: PSTR?) {
    func text(_ pointer: UnsafeMutableRawPointer?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer.assumingMemoryBound(to: CChar.self))
    }
    BugCheck.assertionFailed(
        expression: text(VoidFailedAssertion), file: text(VoidFileName), line: LineNumber,
        message: MutableMessage.map { String(cString: $0) })
}

@c @implementation
public func InterlockedPushEntrySList(_ ListHead: PSLIST_HEADER!, _ ListEntry: PSLIST_ENTRY!) -> PSLIST_ENTRY? {
    let entry = UnsafeMutableRawPointer(ListEntry!)
    return InterlockedSList.push(UnsafeMutableRawPointer(ListHead!), first: entry, last: entry, count: 1, routine: "InterlockedPushEntrySList")?
        .assumingMemoryBound(to: SLIST_ENTRY.self)
}

@c @implementation
public func InterlockedPushListSListEx(_ ListHead: PSLIST_HEADER!, _ List: PSLIST_ENTRY!, _ ListEnd: PSLIST_ENTRY!, _ Count: ULONG) -> PSLIST_ENTRY? {
    InterlockedSList.push(
        UnsafeMutableRawPointer(ListHead!), first: UnsafeMutableRawPointer(List!), last: UnsafeMutableRawPointer(ListEnd!),
        count: Int(Count), routine: "InterlockedPushListSListEx")?
        .assumingMemoryBound(to: SLIST_ENTRY.self)
}

@c @implementation
public func InterlockedPopEntrySList(_ ListHead: PSLIST_HEADER!) -> PSLIST_ENTRY? {
    InterlockedSList.pop(UnsafeMutableRawPointer(ListHead!))?.assumingMemoryBound(to: SLIST_ENTRY.self)
}

@c @implementation
public func InterlockedFlushSList(_ ListHead: PSLIST_HEADER!) -> PSLIST_ENTRY? {
    InterlockedSList.flush(UnsafeMutableRawPointer(ListHead!))?.assumingMemoryBound(to: SLIST_ENTRY.self)
}
