import Synchronization
public import NtKernel

/// A registered minifilter. Corresponds to `PFLT_FILTER`: an opaque value encoding a slot and
/// its generation, checked on every call without touching freed memory.
public struct Filter: Hashable, Sendable {
    /// The value C code sees.
    public let rawValue: UInt

    public init(rawValue: UInt) { self.rawValue = rawValue }

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
    /// host's unload calls `unload` unless the filter was unregistered first. Corresponds to
    /// `FltRegisterFilter`.
    public static func register(
        driver: LoadedDriver?, unload: (@Sendable (_ mandatory: Bool) -> NTStatus)? = nil
    ) throws(NTStatus) -> Filter {
        try FilterTable.register(driver: driver, unload: unload)
    }

    /// Corresponds to `FltStartFiltering` (there are no operations to filter here).
    public func startFiltering() throws(NTStatus) {
        FilterTable.resolve(self, routine: "FltStartFiltering").pointee.started.store(true, ordering: .relaxed)
    }

    /// Unregisters the filter; ECPs it still has outstanding are reported as leaks. Corresponds
    /// to `FltUnregisterFilter`.
    public func unregister() { FilterTable.unregister(self) }

    /// ECPs this filter allocated and has not freed.
    public var outstandingEcps: Int {
        FilterTable.resolve(self, routine: "Filter.outstandingEcps").pointee.outstanding.load(ordering: .relaxed)
    }

    public var isRegistered: Bool { FilterTable.lookup(self) != nil }
}

/// The filter slots. Few filters exist at once, so a fixed table is enough.
enum FilterTable {
    static let capacity = 256

    struct Slot: ~Copyable {
        let generation = Atomic<UInt32>(1)
        let live = Atomic<Bool>(false)
        let started = Atomic<Bool>(false)
        /// ECPs allocated by the filter and not yet freed.
        let outstanding = Atomic<Int>(0)
    }

    struct Slots: @unchecked Sendable { let slots: UnsafeMutablePointer<Slot> }
    static let table: Slots = {
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: capacity)
        for index in 0..<capacity { (slots + index).initialize(to: Slot()) }
        slotsBase = slots
        return Slots(slots: slots)
    }()

    /// `table`'s slots, published when it is made (a constant-initialized global, read without a
    /// lazy-initialization check; nil before the first registration).
    nonisolated(unsafe) static var slotsBase: UnsafeMutablePointer<Slot>? = nil

    private struct Registry: @unchecked Sendable {
        var free: [Int] = Array((0..<FilterTable.capacity).reversed())
        var unloads: [Int: @Sendable (Bool) -> NTStatus] = [:]
    }

    private static let registry = KernelLock(Registry())

    static func register(driver: LoadedDriver?, unload: (@Sendable (Bool) -> NTStatus)?) throws(NTStatus) -> Filter {
        guard let index = registry.withLock({ registry -> Int? in
            guard let index = registry.free.popLast() else { return nil }
            if let unload { registry.unloads[index] = unload }
            return index
        }) else { throw .insufficientResources }
        let slot = table.slots + index
        slot.pointee.outstanding.store(0, ordering: .relaxed)
        slot.pointee.started.store(false, ordering: .relaxed)
        slot.pointee.live.store(true, ordering: .releasing)
        let filter = Filter(slot: index, generation: slot.pointee.generation.load(ordering: .acquiring))
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

    @inline(__always)
    static func lookup(_ filter: Filter) -> UnsafeMutablePointer<Slot>? {
        guard let index = filter.slotIndex, let slots = slotsBase else { return nil }
        let slot = slots + index
        guard slot.pointee.generation.load(ordering: .acquiring) == filter.generation,
            slot.pointee.live.load(ordering: .acquiring)
        else { return nil }
        return slot
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
        let leaked = slot.pointee.outstanding.load(ordering: .relaxed)
        if leaked > 0 {
            VerifierLog.report("FltUnregisterFilter: the filter still has \(leaked) extra create parameter(s) allocated (leaked)")
        }
        slot.pointee.live.store(false, ordering: .releasing)
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
