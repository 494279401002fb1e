import Synchronization

/// An emulated process: the thing quota is charged to.
///
/// Threads run in the System process (index 0, never charged) until they enter another one with
/// ``enter(imageName:pagedQuotaLimit:nonPagedQuotaLimit:)``. A process is created on first use
/// and lives as long as the host. Corresponds to the host routines `WdfHostSetCurrentProcess` and
/// `WdfHostQueryProcessQuota`.
package struct EmulatedProcess: Hashable, Sendable {
    /// The image name, or nil for System.
    package let imageName: String?
    let index: UInt16

    /// The System process: never charged.
    package static let system = EmulatedProcess(imageName: nil, index: 0)

    /// What a process is charged now and may be charged at most.
    package struct Quota: Hashable, Sendable {
        package var pagedUsage: Int
        package var nonPagedUsage: Int
        package var pagedLimit: Int
        package var nonPagedLimit: Int
    }

    /// Makes the calling thread run in the process `imageName` from now on, creating it on first
    /// use. The limits are set (or reset, for an existing process) to the given values: a charge
    /// that would take the usage above a limit fails. Corresponds to `WdfHostSetCurrentProcess`.
    @discardableResult
    package static func enter(imageName: String, pagedQuotaLimit: Int, nonPagedQuotaLimit: Int) throws(NTStatus)
        -> EmulatedProcess
    {
        let index = try ProcessTable.index(for: imageName, pagedLimit: pagedQuotaLimit, nonPagedLimit: nonPagedQuotaLimit)
        ThreadContext.current.pointee.processIndex = index
        return EmulatedProcess(imageName: imageName, index: index)
    }

    /// Returns the calling thread to the System process.
    package static func enterSystem() {
        ThreadContext.current.pointee.processIndex = 0
    }

    /// The process the calling thread runs in.
    package static var current: EmulatedProcess {
        let index = ThreadContext.current.pointee.processIndex
        return EmulatedProcess(imageName: ProcessTable.name(of: index), index: index)
    }

    /// The process named `imageName`, if it exists.
    package static func named(_ imageName: String) -> EmulatedProcess? {
        ProcessTable.existingIndex(for: imageName).map { EmulatedProcess(imageName: imageName, index: $0) }
    }

    /// What this process is charged now. Corresponds to `WdfHostQueryProcessQuota`.
    package var quota: Quota {
        let record = ProcessTable.records.pointer + Int(index)
        return Quota(
            pagedUsage: record.pointee.usage(paged: true), nonPagedUsage: record.pointee.usage(paged: false),
            pagedLimit: record.pointee.limit(paged: true), nonPagedLimit: record.pointee.limit(paged: false))
    }
}

/// Quota records by process index. Index 0 is System.
enum ProcessTable {
    static let capacity = 4096

    struct Record: ~Copyable {
        let pagedUsage = Atomic<Int>(0)
        let nonPagedUsage = Atomic<Int>(0)
        let pagedLimit = Atomic<Int>(0)
        let nonPagedLimit = Atomic<Int>(0)

        func usage(paged: Bool) -> Int {
            paged ? pagedUsage.load(ordering: .relaxed) : nonPagedUsage.load(ordering: .relaxed)
        }
        func limit(paged: Bool) -> Int {
            paged ? pagedLimit.load(ordering: .relaxed) : nonPagedLimit.load(ordering: .relaxed)
        }
        func add(_ bytes: Int, paged: Bool) {
            if paged { pagedUsage.add(bytes, ordering: .relaxed) } else { nonPagedUsage.add(bytes, ordering: .relaxed) }
        }
        func tryCharge(_ bytes: Int, paged: Bool) -> Bool {
            let limit = limit(paged: paged)
            var current = usage(paged: paged)
            while true {
                guard bytes <= limit, current <= limit - bytes else { return false }
                let (exchanged, original) = paged
                    ? pagedUsage.compareExchange(expected: current, desired: current + bytes, ordering: .relaxed)
                    : nonPagedUsage.compareExchange(expected: current, desired: current + bytes, ordering: .relaxed)
                if exchanged { return true }
                current = original
            }
        }
    }

    struct Records: @unchecked Sendable { let pointer: UnsafeMutablePointer<Record> }
    static let records: Records = {
        let pointer = UnsafeMutablePointer<Record>.allocate(capacity: capacity)
        for index in 0..<capacity { (pointer + index).initialize(to: Record()) }
        return Records(pointer: pointer)
    }()

    private struct Names { var byName: [String: UInt16] = [:]; var names: [String?] = [nil] }
    private static let names = KernelLock(Names())

    static func index(for name: String, pagedLimit: Int, nonPagedLimit: Int) throws(NTStatus) -> UInt16 {
        let found: UInt16? = names.withLock { names in
            if let index = names.byName[name] { return index }
            guard names.names.count < capacity else { return nil }
            let index = UInt16(names.names.count)
            names.names.append(name)
            names.byName[name] = index
            return index
        }
        guard let index = found else { throw .insufficientResources }
        let record = records.pointer + Int(index)
        record.pointee.pagedLimit.store(max(0, pagedLimit), ordering: .relaxed)
        record.pointee.nonPagedLimit.store(max(0, nonPagedLimit), ordering: .relaxed)
        return index
    }

    static func existingIndex(for name: String) -> UInt16? { names.withLock { $0.byName[name] } }
    static func name(of index: UInt16) -> String? { names.withLock { $0.names[Int(index)] } }

    /// Charges `bytes` to process `index`; false when the limit would be passed. System (0) is
    /// never charged and always succeeds.
    static func charge(_ index: UInt16, paged: Bool, bytes: Int) -> Bool {
        guard index != 0 else { return true }
        return records.pointer[Int(index)].tryCharge(bytes, paged: paged)
    }

    static func refund(_ index: UInt16, paged: Bool, bytes: Int) {
        guard index != 0 else { return }
        records.pointer[Int(index)].add(-bytes, paged: paged)
    }
}
