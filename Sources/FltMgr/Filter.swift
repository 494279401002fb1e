public import Synchronization
@_spi(Runtime) package import NtKernel

/// A registered minifilter. Corresponds to `PFLT_FILTER`: an opaque value encoding a slot and
/// its generation, checked on every call without touching freed memory.
@usableFromInline package struct Filter: Hashable, Sendable {
    /// The value C code sees.
    @usableFromInline package let rawValue: UInt

    @inlinable package init(rawValue: UInt) { self.rawValue = rawValue }

    static let marker: UInt = 0x464C << 48  // "FL"

    init(slot: Int, generation: UInt32) {
        rawValue = Filter.marker | UInt(generation) << 20 | UInt(slot) << 4
    }

    var slotIndex: Int? {
        guard rawValue & (0xFFFF << 48) == Filter.marker, rawValue & 0xF == 0 else { return nil }
        let slot = Int((rawValue >> 4) & 0xFFFF)
        return slot < FilterTable.capacity ? slot : nil
    }

    var generation: UInt32 { UInt32((rawValue >> 20) & 0xFFF_FFFF) }

    /// Registers a filter for a driver the host loaded (nil: a standalone Swift program). The
    /// host's unload calls `unload` unless the filter was unregistered first. `operations` are
    /// its operation callbacks (`FLT_OPERATION_REGISTRATION`), `instanceSetup` runs when its
    /// instance attaches to the volume, and `altitude` places it there: when nil, the service's
    /// `Altitude` value (`WdfHostSetServiceParameter`, read at load as Windows reads the
    /// instance's altitude), else `FilterManager.defaultAltitude`. Corresponds to
    /// `FltRegisterFilter`.
    package static func register(
        driver: LoadedDriver?, operations: [OperationRegistration] = [], instanceSetup: InstanceSetupCallback? = nil,
        altitude: UInt32? = nil, unload: (@Sendable (_ mandatory: Bool) -> NTStatus)? = nil
    ) throws(NTStatus) -> Filter {
        let irql = Irql.current
        if irql > .apc { BugCheck.irqlTooHigh("FltRegisterFilter", limit: .apc, current: irql) }
        let filter = try FilterTable.register(driver: driver, unload: unload)
        let serviceAltitude = driver?.parameters.first { $0.key.lowercased() == "altitude" }?.value
        FilterManager.register(
            filter, operations: operations, instanceSetup: instanceSetup,
            altitude: altitude ?? serviceAltitude ?? FilterManager.defaultAltitude)
        return filter
    }

    /// Attaches the filter's instance to the host's volume at its altitude (its instance setup
    /// callback runs first; a failure status from it leaves the filter unattached, and this
    /// still succeeds, as on Windows). Calling it again does nothing. Corresponds to
    /// `FltStartFiltering`.
    /// - Throws: `.fltInstanceAltitudeCollision` when another instance has the same altitude
    ///   (where Windows logs the failed attachment, the caller is told here).
    package func startFiltering() throws(NTStatus) {
        FilterTable.resolve(self, routine: "FltStartFiltering").pointee.started.store(true, ordering: .relaxed)
        try FilterManager.startFiltering(self)
    }

    /// The filter's instance on the volume, nil when it is not attached.
    package var instance: FilterInstance? { FilterManager.instance(of: self) }

    /// The filter the `FsRtl` forms of the ECP routines act as: registered for the life of the
    /// process, never attached, so that `FsRtlAllocateExtraCreateParameter` and
    /// `FltAllocateExtraCreateParameter` share one implementation.
    package static var fileSystemRuntime: Filter { FilterTable.fileSystemRuntime }

    /// Unregisters the filter; ECPs it still has outstanding are reported as leaks. Corresponds
    /// to `FltUnregisterFilter`.
    package func unregister() { FilterTable.unregister(self) }

    /// ECPs this filter allocated and has not freed: those from pool, plus those taken from the
    /// ECP lookaside lists the filter initialized (counted by the lists themselves, so the hot
    /// path writes no shared counter). Exact once the threads that allocate and free are quiet.
    package var outstandingEcps: Int {
        _ = FilterTable.resolve(self, routine: "Filter.outstandingEcps")
        return FilterTable.outstanding(self)
    }

    package var isRegistered: Bool { FilterTable.lookup(self) != nil }
}

/// The filter slots. Few filters exist at once, so a fixed table is enough.
@usableFromInline
enum FilterTable {
    static let capacity = 256

    /// One filter. Whether it is registered is its word in `EcpHotTable` (what the ECP hot paths
    /// read); `outsideLists` is written on the pool path only.
    struct Slot: ~Copyable {
        let generation = Atomic<UInt32>(1)
        let started = Atomic<Bool>(false)
        /// ECPs the filter allocated from pool and has not freed, plus those still outstanding
        /// from its ECP lookaside lists when the lists were deleted. ECPs of its live lists are
        /// counted by the lists (see `outstanding(_:)`).
        let outsideLists = Atomic<Int>(0)
    }

    struct Slots: @unchecked Sendable { let slots: UnsafeMutablePointer<Slot> }
    static let table: Slots = {
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: capacity)
        for index in 0..<capacity { (slots + index).initialize(to: Slot()) }
        EcpHotTable.create()
        slotsBase = slots
        return Slots(slots: slots)
    }()

    /// `table`'s slots, published when it is made (a constant-initialized global, read without a
    /// lazy-initialization check; nil before the first registration).
    nonisolated(unsafe) static var slotsBase: UnsafeMutablePointer<Slot>? = nil

    /// An ECP lookaside list, by the address of its caller storage.
    struct LookasideRecord {
        /// The filter that initialized it; nil once that filter is unregistered.
        var owner: Filter?
        let list: LookasideHandle
        /// Allocations the list counted but could not serve (no ECP came of them).
        var failedAllocations = 0

        /// ECPs taken from the list and not given back.
        var outstanding: Int {
            let statistics = list.statistics
            return Int(truncatingIfNeeded: statistics.totalAllocates &- statistics.totalFrees) - failedAllocations
        }
    }

    private struct Registry: @unchecked Sendable {
        var free: [Int] = Array((0..<FilterTable.runtimeSlot).reversed())
        var unloads: [Int: @Sendable (Bool) -> NTStatus] = [:]
        var lookasides: [UInt: LookasideRecord] = [:]
    }

    private static let registry = KernelLock(Registry())

    static func register(driver: LoadedDriver?, unload: (@Sendable (Bool) -> NTStatus)?) throws(NTStatus) -> Filter {
        guard let index = registry.withLock({ registry -> Int? in
            guard let index = registry.free.popLast() else { return nil }
            if let unload { registry.unloads[index] = unload }
            return index
        }) else { throw .insufficientResources }
        let slot = table.slots + index
        slot.pointee.outsideLists.store(0, ordering: .relaxed)
        slot.pointee.started.store(false, ordering: .relaxed)
        let filter = Filter(slot: index, generation: slot.pointee.generation.load(ordering: .acquiring))
        word(index).pointee.store(filter.rawValue, ordering: .releasing)
        if let driver {
            driver.addUnloadRoutine {
                guard lookup(filter) != nil else { return }
                let unload = registry.withLock { $0.unloads[index] }
                _ = unload?(true)
            }
            driver.addTeardownRoutine {
                guard lookup(filter) != nil else { return 0 }
                return unregister(filter)
            }
        }
        return filter
    }

    /// Slot of `Filter.fileSystemRuntime` (taken out of the free list when the table is made).
    static let runtimeSlot = capacity - 1

    static let fileSystemRuntime: Filter = {
        let slot = table.slots + runtimeSlot
        let filter = Filter(slot: runtimeSlot, generation: slot.pointee.generation.load(ordering: .acquiring))
        word(runtimeSlot).pointee.store(filter.rawValue, ordering: .releasing)
        return filter
    }()

    @inline(__always)
    static func lookup(_ filter: Filter) -> UnsafeMutablePointer<Slot>? {
        guard let words = EcpHotTable.words, let slots = slotsBase else { return nil }
        let index = wordIndex(filter.rawValue)
        guard (words + index).pointee.load(ordering: .acquiring) == filter.rawValue else { return nil }
        return slots + index
    }

    // MARK: Filter words

    // A registered filter's slot holds its handle in `EcpHotTable`, so one load and one compare
    // tell whether a handle is registered: the word's index comes from the handle's slot bits
    // (masked, so any value indexes the table), and only the exact handle matches. A vacant slot
    // holds a value whose own slot bits name another slot, so no handle can match it.

    /// The index of the word that `rawValue` would be registered in.
    @inlinable @inline(__always)
    static func wordIndex(_ rawValue: UInt) -> Int { Int(truncatingIfNeeded: (rawValue &>> 4) & 0xFF) }

    /// What a vacant slot's word holds.
    static func vacantWord(_ index: Int) -> UInt { UInt(index ^ 1) << 4 }

    static func word(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt>> { EcpHotTable.words! + index }

    /// Whether `filter` is registered, given the hot table (the fast paths' check).
    @inlinable @inline(__always)
    static func isRegistered(_ filter: Filter, in words: UnsafeMutablePointer<Atomic<UInt>>) -> Bool {
        (words + wordIndex(filter.rawValue)).pointee.load(ordering: .relaxed) == filter.rawValue
    }

    /// `DRIVER_VERIFIER_DETECTED_VIOLATION` parameter 1 for a handle that is not a registered filter.
    static let invalidFilter: UInt = 0xE5

    @inline(__always)
    static func resolve(_ filter: Filter, routine: StaticString) -> UnsafeMutablePointer<Slot> {
        guard let slot = lookup(filter) else { invalid(filter, routine: routine) }
        return slot
    }

    @inline(never)
    static func invalid(_ filter: Filter, routine: StaticString) -> Never {
        BugCheck.raise(
            .driverVerifierDetectedViolation, invalidFilter, filter.rawValue, 0, 0,
            "\(routine): 0x\(String(filter.rawValue, radix: 16)) is not a registered filter")
    }

    /// Unregisters; returns how many ECPs were reported as leaked.
    @discardableResult
    static func unregister(_ filter: Filter) -> Int {
        let slot = resolve(filter, routine: "FltUnregisterFilter")
        let index = filter.slotIndex!
        if index == runtimeSlot { return 0 }
        FilterManager.unregister(filter)
        // The filter's lists stay usable (their ECPs are no longer the filter's to report).
        let leaked = registry.withLock { registry -> Int in
            var leaked = slot.pointee.outsideLists.load(ordering: .relaxed)
            for (address, record) in registry.lookasides where record.owner == filter {
                leaked += record.outstanding
                registry.lookasides[address]?.owner = nil
            }
            return leaked
        }
        if leaked > 0 {
            VerifierLog.report("FltUnregisterFilter: the filter still has \(leaked) extra create parameter(s) allocated (leaked)")
        }
        word(index).pointee.store(vacantWord(index), ordering: .releasing)
        var generation = slot.pointee.generation.load(ordering: .relaxed) &+ 1
        if generation >= 1 << 28 { generation = 1 }
        slot.pointee.generation.store(generation, ordering: .releasing)
        registry.withLock { registry in
            registry.unloads[index] = nil
            registry.free.append(index)
        }
        return leaked
    }
}

// MARK: ECP accounting

extension FilterTable {
    /// ECPs `filter` has outstanding: from pool, from lists deleted with ECPs out, and from its
    /// live lists (their allocations minus frees and failed allocations).
    static func outstanding(_ filter: Filter) -> Int {
        registry.withLock { registry -> Int in
            guard let slot = lookup(filter) else { return 0 }
            var count = slot.pointee.outsideLists.load(ordering: .relaxed)
            for record in registry.lookasides.values where record.owner == filter { count += record.outstanding }
            return count
        }
    }

    /// Records a new ECP lookaside list. Storage initialized again without a delete: the old
    /// list's outstanding ECPs stay its owner's.
    static func attachLookaside(_ storage: UnsafeMutableRawPointer, list: LookasideHandle, owner: Filter) {
        registry.withLock { registry in
            let address = UInt(bitPattern: storage)
            if let old = registry.lookasides[address] { retire(old) }
            registry.lookasides[address] = LookasideRecord(owner: owner, list: list)
        }
    }

    /// Forgets a list that is being deleted; its outstanding ECPs become its owner's
    /// (`outsideLists`). Returns how many there are.
    static func detachLookaside(_ storage: UnsafeMutableRawPointer, list: LookasideHandle) -> Int {
        registry.withLock { registry -> Int in
            guard let record = registry.lookasides.removeValue(forKey: UInt(bitPattern: storage)) else {
                let statistics = list.statistics
                return Int(truncatingIfNeeded: statistics.totalAllocates &- statistics.totalFrees)
            }
            return retire(record)
        }
    }

    @discardableResult
    private static func retire(_ record: LookasideRecord) -> Int {
        let outstanding = record.outstanding
        if let owner = record.owner, let slot = lookup(owner) {
            slot.pointee.outsideLists.wrappingAdd(outstanding, ordering: .relaxed)
        }
        return outstanding
    }

    /// The list counted an allocation that gave no entry (the rare failure path).
    @inline(never)
    static func lookasideAllocationFailed(_ storage: UnsafeMutableRawPointer) {
        registry.withLock { registry in
            registry.lookasides[UInt(bitPattern: storage)]?.failedAllocations += 1
        }
    }
}

extension Filter {
    /// Bug check for a handle that is not a registered filter (what every routine taking a
    /// `PFLT_FILTER` does with one).
    package static func requireRegistered(_ filter: Filter, routine: StaticString) -> Never {
        FilterTable.invalid(filter, routine: routine)
    }
}
