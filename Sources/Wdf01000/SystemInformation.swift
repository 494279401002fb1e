// C export: ZwQuerySystemInformation (SystemPoolTagInformation).
public import CWdf
import NtKernel

@c @implementation
public func ZwQuerySystemInformation(
    _ SystemInformationClass: SYSTEM_INFORMATION_CLASS, _ SystemInformation: PVOID?, _ SystemInformationLength: ULONG,
    _ ReturnLength: PULONG?
) -> NTSTATUS {
    guard SystemInformationClass == SystemPoolTagInformation else { return STATUS_INVALID_PARAMETER }
    let usage = Pool.tagUsage()
    let header = MemoryLayout<SYSTEM_POOLTAG_INFORMATION>.offset(of: \SYSTEM_POOLTAG_INFORMATION.TagInfo) ?? 8
    let needed = header + usage.count * MemoryLayout<SYSTEM_POOLTAG>.stride
    ReturnLength?.pointee = ULONG(truncatingIfNeeded: needed)
    guard let SystemInformation, Int(SystemInformationLength) >= needed else { return STATUS_INFO_LENGTH_MISMATCH }
    SystemInformation.storeBytes(of: ULONG(usage.count), as: ULONG.self)
    let entries = (SystemInformation + header).bindMemory(to: SYSTEM_POOLTAG.self, capacity: usage.count)
    for (index, tag) in usage.enumerated() {
        var entry = SYSTEM_POOLTAG()
        entry.TagUlong = tag.tag.rawValue
        entry.PagedAllocs = ULONG(truncatingIfNeeded: tag.pagedAllocations)
        entry.PagedFrees = ULONG(truncatingIfNeeded: tag.pagedFrees)
        entry.PagedUsed = SIZE_T(max(0, tag.pagedBytes))
        entry.NonPagedAllocs = ULONG(truncatingIfNeeded: tag.nonPagedAllocations)
        entry.NonPagedFrees = ULONG(truncatingIfNeeded: tag.nonPagedFrees)
        entry.NonPagedUsed = SIZE_T(max(0, tag.nonPagedBytes))
        entries[index] = entry
    }
    return STATUS_SUCCESS
}
