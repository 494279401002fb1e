package import NtKernel

/// The record behind a `PECP_LIST`: ECPs linked through their headers, in insertion order.
struct EcpListRecord {
    var magic: UInt64
    var head: UInt
    var tail: UInt
    var count: Int
    /// Creates in flight that carry the list (it cannot be freed until they return).
    var inFlight: Int

    static let liveMagic: UInt64 = 0x7473_694C_7043_45  // "ECpList"
    static let tag = PoolTag("FMel")
}

/// `DRIVER_VERIFIER_DETECTED_VIOLATION` parameter 1 for a pointer that is not an ECP list.
let notAnEcpList: UInt = 0xE3

/// ECP lists: what a create operation carries. Corresponds to `PECP_LIST`; iterate it
/// with for-in to see each ECP's type, context and size in insertion order.
package struct EcpList: Sequence, Hashable, @unchecked Sendable {
    /// The value C code sees.
    package let address: UnsafeMutableRawPointer
    package let filter: Filter

    package init(address: UnsafeMutableRawPointer, filter: Filter) {
        self.address = address
        self.filter = filter
    }

    /// Corresponds to `FltAllocateExtraCreateParameterList` (`chargeQuota`:
    /// `FSRTL_ALLOCATE_ECPLIST_FLAG_CHARGE_QUOTA`).
    package static func allocate(filter: Filter, chargeQuota: Bool = false) throws(NTStatus) -> EcpList {
        let routine: StaticString = "FltAllocateExtraCreateParameterList"
        EcpCheck.requireApc(routine)
        _ = FilterTable.resolve(filter, routine: routine)
        let bytes = MemoryLayout<EcpListRecord>.size
        let block: UnsafeMutableRawPointer
        do {
            block = chargeQuota
                ? try Pool.allocateWithQuota(PoolType.paged.union(.quotaFailInsteadOfRaise), byteCount: bytes, tag: EcpListRecord.tag)
                : try Pool.allocate(.paged, byteCount: bytes, tag: EcpListRecord.tag)
        } catch {
            throw .insufficientResources
        }
        block.assumingMemoryBound(to: EcpListRecord.self).pointee = EcpListRecord(
            magic: EcpListRecord.liveMagic, head: 0, tail: 0, count: 0, inFlight: 0)
        return EcpList(address: block, filter: filter)
    }

    var record: UnsafeMutablePointer<EcpListRecord> { Self.record(address, routine: "EcpList") }

    static func record(_ address: UnsafeMutableRawPointer?, routine: StaticString) -> UnsafeMutablePointer<EcpListRecord> {
        guard let address, Pool.blockStatus(address) == .allocated,
            address.load(as: UInt64.self) == EcpListRecord.liveMagic
        else {
            BugCheck.raise(
                .driverVerifierDetectedViolation, notAnEcpList, UInt(bitPattern: address), 0, 0,
                "\(routine): \(String(describing: address)) is not an ECP list")
        }
        return address.assumingMemoryBound(to: EcpListRecord.self)
    }

    /// Frees every ECP in the list, head to tail (each one's cleanup runs), then the list.
    /// Corresponds to `FltFreeExtraCreateParameterList`.
    package func free() {
        let routine: StaticString = "FltFreeExtraCreateParameterList"
        EcpCheck.requireApc(routine)
        _ = FilterTable.resolve(filter, routine: routine)
        let record = Self.record(address, routine: routine)
        if record.pointee.inFlight > 0 {
            // The list belongs to the create's issuer until the create returns.
            BugCheck.raise(
                .driverVerifierDetectedViolation, FilterManager.Violation.ecpListInFlight, UInt(bitPattern: address), 0, 0,
                "\(routine): the ECP list at \(address) is attached to a create that is still in flight (free it after the create returns)")
        }
        var next = record.pointee.head
        while let context = UnsafeMutableRawPointer(bitPattern: next) {
            let header = EcpHeader.of(context)
            next = header.pointee.next
            header.pointee.next = 0
            header.pointee.list = 0
            ExtraCreateParameters.release(header, context: context)
        }
        record.pointee.magic = 0
        Pool.free(address)
    }

    /// Appends an ECP. Corresponds to `FltInsertExtraCreateParameter`.
    /// - Throws: `.invalidParameter` when an ECP of the same type is already there (the caller
    ///   still owns the rejected ECP) or the ECP is already in a list.
    package func insert(_ context: UnsafeMutableRawPointer) throws(NTStatus) {
        let routine: StaticString = "FltInsertExtraCreateParameter"
        let (record, header) = check(context, routine)
        guard header.pointee.list == 0, find(header.pointee.type, in: record) == nil else { throw .invalidParameter }
        header.pointee.list = UInt(bitPattern: address)
        header.pointee.next = 0
        if let tail = UnsafeMutableRawPointer(bitPattern: record.pointee.tail) {
            EcpHeader.of(tail).pointee.next = UInt(bitPattern: context)
        } else {
            record.pointee.head = UInt(bitPattern: context)
        }
        record.pointee.tail = UInt(bitPattern: context)
        record.pointee.count += 1
    }

    /// The first ECP of `type` and its size. Corresponds to `FltFindExtraCreateParameter`.
    /// - Throws: `.notFound`.
    package func find(_ type: EcpType) throws(NTStatus) -> (context: UnsafeMutableRawPointer, size: Int) {
        let routine: StaticString = "FltFindExtraCreateParameter"
        EcpCheck.requireApc(routine)
        _ = FilterTable.resolve(filter, routine: routine)
        guard let context = find(type, in: Self.record(address, routine: routine)) else { throw .notFound }
        return (context, Int(EcpHeader.of(context).pointee.size))
    }

    /// Unlinks the first ECP of `type` (it is not freed). Corresponds to
    /// `FltRemoveExtraCreateParameter`.
    /// - Throws: `.notFound`.
    package func remove(_ type: EcpType) throws(NTStatus) -> (context: UnsafeMutableRawPointer, size: Int) {
        let routine: StaticString = "FltRemoveExtraCreateParameter"
        EcpCheck.requireApc(routine)
        _ = FilterTable.resolve(filter, routine: routine)
        let record = Self.record(address, routine: routine)
        var previous: UnsafeMutableRawPointer? = nil
        var current = UnsafeMutableRawPointer(bitPattern: record.pointee.head)
        while let context = current {
            let header = EcpHeader.of(context)
            if header.pointee.type == type {
                if let previous { EcpHeader.of(previous).pointee.next = header.pointee.next } else { record.pointee.head = header.pointee.next }
                if record.pointee.tail == UInt(bitPattern: context) { record.pointee.tail = UInt(bitPattern: previous) }
                record.pointee.count -= 1
                header.pointee.next = 0
                header.pointee.list = 0
                return (context, Int(header.pointee.size))
            }
            previous = context
            current = UnsafeMutableRawPointer(bitPattern: header.pointee.next)
        }
        throw .notFound
    }

    /// The ECP after `current` (the first when nil), in insertion order. Corresponds to
    /// `FltGetNextExtraCreateParameter`.
    /// - Throws: `.notFound` at the end; `.invalidParameter` when `current` is not in this list.
    package func next(after current: UnsafeMutableRawPointer?) throws(NTStatus)
        -> (type: EcpType, context: UnsafeMutableRawPointer, size: Int)
    {
        let routine: StaticString = "FltGetNextExtraCreateParameter"
        EcpCheck.requireApc(routine)
        _ = FilterTable.resolve(filter, routine: routine)
        let record = Self.record(address, routine: routine)
        let nextAddress: UInt
        if let current {
            let header = EcpCheck.header(current, routine: routine)
            guard header.pointee.list == UInt(bitPattern: address) else { throw .invalidParameter }
            nextAddress = header.pointee.next
        } else {
            nextAddress = record.pointee.head
        }
        guard let context = UnsafeMutableRawPointer(bitPattern: nextAddress) else { throw .notFound }
        let header = EcpHeader.of(context)
        return (header.pointee.type, context, Int(header.pointee.size))
    }

    /// Marks every ECP of the list as coming from user mode (the host's user-mode creates: the
    /// I/O manager captured them from the caller).
    func markFromUserMode(_ record: UnsafeMutablePointer<EcpListRecord>) {
        var current = UnsafeMutableRawPointer(bitPattern: record.pointee.head)
        while let context = current {
            let header = EcpHeader.of(context)
            header.pointee.flags |= EcpHeader.fromUserMode
            current = UnsafeMutableRawPointer(bitPattern: header.pointee.next)
        }
    }

    /// How many ECPs the list holds.
    package var count: Int { Self.record(address, routine: "EcpList.count").pointee.count }

    func find(_ type: EcpType, in record: UnsafeMutablePointer<EcpListRecord>) -> UnsafeMutableRawPointer? {
        var current = UnsafeMutableRawPointer(bitPattern: record.pointee.head)
        while let context = current {
            let header = EcpHeader.of(context)
            if header.pointee.type == type { return context }
            current = UnsafeMutableRawPointer(bitPattern: header.pointee.next)
        }
        return nil
    }

    func check(_ context: UnsafeMutableRawPointer?, _ routine: StaticString)
        -> (UnsafeMutablePointer<EcpListRecord>, UnsafeMutablePointer<EcpHeader>)
    {
        EcpCheck.requireApc(routine)
        _ = FilterTable.resolve(filter, routine: routine)
        return (Self.record(address, routine: routine), EcpCheck.header(context, routine: routine))
    }

    // MARK: Sequence

    package struct Element: @unchecked Sendable {
        package let type: EcpType
        package let context: UnsafeMutableRawPointer
        package let size: Int
    }

    package struct Iterator: IteratorProtocol {
        let list: EcpList
        var current: UnsafeMutableRawPointer?
        var started = false

        package mutating func next() -> Element? {
            guard let found = try? list.next(after: started ? current : nil) else { return nil }
            started = true
            current = found.context
            return Element(type: found.type, context: found.context, size: found.size)
        }
    }

    package func makeIterator() -> Iterator { Iterator(list: self, current: nil) }
}

extension EcpList {
    /// The first ECP of `type`, typed as `Context` (nil when there is none, or when the ECP is
    /// smaller than `Context`).
    package func find<Context: BitwiseCopyable>(_ type: EcpType, as context: Context.Type) -> UnsafeMutablePointer<Context>? {
        guard let found = try? find(type), found.size >= MemoryLayout<Context>.size else { return nil }
        return found.context.assumingMemoryBound(to: Context.self)
    }

    /// Inserts a typed ECP (see `insert(_:)`).
    package func insert<Context>(_ context: UnsafeMutablePointer<Context>) throws(NTStatus) {
        try insert(UnsafeMutableRawPointer(context))
    }
}
