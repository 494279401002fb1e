internal import CRuntimeShims
import Synchronization

/// Executive resources (`ERESOURCE`): reader/writer locks with recursive ownership, in caller
/// memory (the WDK's 104-byte layout), their owner table out of line.
///
/// Corresponds to `ExInitializeResourceLite`, `ExReinitializeResourceLite`,
/// `ExDeleteResourceLite`, the `ExAcquire*` and `ExRelease*` forms and the `ExIsResourceAcquired*`
/// and `ExGet*WaiterCount` queries. As documented: the exclusive owner may acquire again, shared
/// or exclusive (counted); a shared owner may acquire shared again; `ExAcquireResourceSharedLite`
/// lets a new shared owner in only while no thread waits for exclusive access,
/// `ExAcquireSharedStarveExclusive` whenever no thread owns it exclusively, and
/// `ExAcquireSharedWaitForExclusive` also makes an existing shared owner wait behind exclusive
/// waiters. Waiting threads sleep. Acquiring is allowed at IRQL <= APC_LEVEL, releasing and the
/// queries at <= DISPATCH_LEVEL (above: `IRQL_NOT_LESS_OR_EQUAL`).
///
/// Stops: releasing a resource the thread does not own is `RESOURCE_NOT_OWNED` (0xE3; p1 the
/// resource, p2 the thread, p3 the owner table, p4 0). A shared owner asking to wait for
/// exclusive access would wait forever on itself: 0xC4/0x1000 (self-deadlock, p2 the resource),
/// as spin locks and fast mutexes. Deleting or reinitializing a resource that is owned is this
/// library's verifier stop 0xC4/0x2000 (p2 the resource, p3 the exclusive owner or 0, p4 the
/// number of shared owners). Using a resource that was never initialized (or was deleted) is an
/// access violation (0x1E, p1 `STATUS_ACCESS_VIOLATION`).
package enum ExecutiveResource {
    /// How a shared acquire treats exclusive waiters.
    package enum SharedPolicy: Sendable {
        /// `ExAcquireResourceSharedLite`.
        case normal
        /// `ExAcquireSharedStarveExclusive`.
        case starveExclusive
        /// `ExAcquireSharedWaitForExclusive`.
        case waitForExclusive
    }

    struct Owners {
        var exclusiveOwner: UInt = 0
        var exclusiveCount = 0
        var shared: [UInt: Int] = [:]
        var exclusiveWaiters = 0
        var sharedWaiters = 0

        var isOwned: Bool { exclusiveOwner != 0 || !shared.isEmpty }
    }

    /// `@unchecked`: `word` is only touched atomically (as `generation`) or by the futex calls.
    final class State: @unchecked Sendable {
        let owners = KernelLock(Owners())
        /// Bumped under `owners`' lock whenever an owner lets go; waiters sleep on it.
        let word = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
        var generation: UnsafeMutablePointer<Atomic<UInt32>> { UnsafeMutablePointer(OpaquePointer(word)) }
        init() { word.initialize(to: 0) }
        deinit { word.deallocate() }
    }

    static let ownerTableOffset = 16

    static func state(_ resource: UnsafeMutableRawPointer, _ routine: StaticString) -> State {
        guard let raw = resource.load(fromByteOffset: ownerTableOffset, as: UnsafeMutableRawPointer?.self) else {
            BugCheck.raiseStatus(.accessViolation, in: "\(routine) (the ERESOURCE is not initialized)")
        }
        return Unmanaged<State>.fromOpaque(raw).takeUnretainedValue()
    }

    /// `ExInitializeResourceLite`.
    package static func initialize(_ resource: UnsafeMutableRawPointer, routine: StaticString = "ExInitializeResourceLite") {
        Irql.require(atMost: .dispatch, current: Irql.current.rawValue, routine: routine)
        resource.initializeMemory(as: UInt8.self, repeating: 0, count: 104)
        // An empty SystemResourcesList, as the WDK's after initialization.
        let head = UInt(bitPattern: resource)
        resource.storeBytes(of: head, as: UInt.self)
        resource.storeBytes(of: head, toByteOffset: 8, as: UInt.self)
        let state = Unmanaged.passRetained(State()).toOpaque()
        resource.storeBytes(of: state, toByteOffset: ownerTableOffset, as: UnsafeMutableRawPointer.self)
    }

    /// `ExReinitializeResourceLite`: back to unowned (the resource must not be owned).
    package static func reinitialize(_ resource: UnsafeMutableRawPointer, routine: StaticString = "ExReinitializeResourceLite") {
        Irql.require(atMost: .dispatch, current: Irql.current.rawValue, routine: routine)
        let state = state(resource, routine)
        state.owners.withLock { owners in
            requireUnowned(owners, resource, routine)
            owners = Owners(exclusiveWaiters: owners.exclusiveWaiters, sharedWaiters: owners.sharedWaiters)
        }
    }

    /// `ExDeleteResourceLite`.
    package static func delete(_ resource: UnsafeMutableRawPointer, routine: StaticString = "ExDeleteResourceLite") {
        Irql.require(atMost: .apc, current: Irql.current.rawValue, routine: routine)
        let state = state(resource, routine)
        state.owners.withLock { requireUnowned($0, resource, routine) }
        resource.storeBytes(of: nil, toByteOffset: ownerTableOffset, as: UnsafeMutableRawPointer?.self)
        Unmanaged.passUnretained(state).release()
    }

    static func requireUnowned(_ owners: Owners, _ resource: UnsafeMutableRawPointer, _ routine: StaticString) {
        guard owners.isOwned else { return }
        BugCheck.raise(
            .driverVerifierDetectedViolation, 0x2000, UInt(bitPattern: resource), owners.exclusiveOwner, UInt(owners.shared.count),
            "\(routine): the ERESOURCE at 0x\(String(UInt(bitPattern: resource), radix: 16)) is still owned")
    }

    /// `ExAcquireResourceExclusiveLite` and `ExTryToAcquireResourceExclusiveLite` (wait: false).
    package static func acquireExclusive(_ resource: UnsafeMutableRawPointer, wait: Bool, routine: StaticString) -> Bool {
        Irql.require(atMost: .apc, current: Irql.current.rawValue, routine: routine)
        let state = state(resource, routine)
        let me = SpinLock.currentOwner
        var waiting = false
        while true {
            let (granted, generation): (Bool?, UInt32) = state.owners.withLock { owners in
                var granted: Bool? = nil
                if owners.exclusiveOwner == me {
                    owners.exclusiveCount += 1
                    granted = true
                } else if !owners.isOwned {
                    owners.exclusiveOwner = me
                    owners.exclusiveCount = 1
                    granted = true
                } else if !wait {
                    granted = false
                } else if owners.shared[me] != nil {
                    BugCheck.raise(
                        .driverVerifierDetectedViolation, 0x1000, UInt(bitPattern: resource), 0, 0,
                        "\(routine): this thread owns the ERESOURCE at 0x\(String(UInt(bitPattern: resource), radix: 16)) shared and would wait for exclusive access forever (self-deadlock)")
                } else if !waiting {
                    owners.exclusiveWaiters += 1
                    waiting = true
                }
                if granted != nil, waiting { owners.exclusiveWaiters -= 1 }
                return (granted, state.generation.pointee.load(ordering: .acquiring))
            }
            if let granted { return granted }
            sleep(state, generation)
        }
    }

    /// The shared acquires.
    package static func acquireShared(
        _ resource: UnsafeMutableRawPointer, wait: Bool, policy: SharedPolicy, routine: StaticString
    ) -> Bool {
        Irql.require(atMost: .apc, current: Irql.current.rawValue, routine: routine)
        let state = state(resource, routine)
        let me = SpinLock.currentOwner
        var waiting = false
        while true {
            let (granted, generation): (Bool?, UInt32) = state.owners.withLock { owners in
                var granted: Bool? = nil
                let othersWaitExclusive = owners.exclusiveWaiters > 0
                if owners.exclusiveOwner == me {
                    owners.exclusiveCount += 1
                    granted = true
                } else if let count = owners.shared[me], policy != .waitForExclusive || !othersWaitExclusive {
                    owners.shared[me] = count + 1
                    granted = true
                } else if owners.exclusiveOwner == 0 && (policy == .starveExclusive || !othersWaitExclusive) {
                    owners.shared[me, default: 0] += 1
                    granted = true
                } else if !wait {
                    granted = false
                } else if !waiting {
                    owners.sharedWaiters += 1
                    waiting = true
                }
                if granted != nil, waiting { owners.sharedWaiters -= 1 }
                return (granted, state.generation.pointee.load(ordering: .acquiring))
            }
            if let granted { return granted }
            sleep(state, generation)
        }
    }

    static func sleep(_ state: State, _ generation: UInt32) {
        _ = nt_futex_wait(state.word, generation, -1)
    }

    /// `ExReleaseResourceLite` (thread nil: the calling thread) and `ExReleaseResourceForThreadLite`.
    package static func release(_ resource: UnsafeMutableRawPointer, thread: UInt? = nil, routine: StaticString) {
        Irql.require(atMost: .dispatch, current: Irql.current.rawValue, routine: routine)
        let state = state(resource, routine)
        let owner = thread ?? SpinLock.currentOwner
        let wake: Bool = state.owners.withLock { owners in
            if owners.exclusiveOwner == owner {
                owners.exclusiveCount -= 1
                if owners.exclusiveCount > 0 { return false }
                owners.exclusiveOwner = 0
            } else if let count = owners.shared[owner] {
                if count > 1 {
                    owners.shared[owner] = count - 1
                    return false
                }
                owners.shared[owner] = nil
            } else {
                let table = resource.load(fromByteOffset: ownerTableOffset, as: UInt.self)
                BugCheck.raise(
                    .resourceNotOwned, UInt(bitPattern: resource), owner, table, 0,
                    "\(routine): the ERESOURCE at 0x\(String(UInt(bitPattern: resource), radix: 16)) is not owned by thread 0x\(String(owner, radix: 16))")
            }
            state.generation.pointee.add(1, ordering: .releasing)
            return owners.exclusiveWaiters + owners.sharedWaiters > 0
        }
        if wake {
            nt_futex_wake(state.word, Int32.max)
        }
    }

    /// `ExIsResourceAcquiredExclusiveLite`.
    package static func isAcquiredExclusive(_ resource: UnsafeMutableRawPointer, routine: StaticString) -> Bool {
        Irql.require(atMost: .dispatch, current: Irql.current.rawValue, routine: routine)
        let me = SpinLock.currentOwner
        return state(resource, routine).owners.withLock { $0.exclusiveOwner == me }
    }

    /// `ExIsResourceAcquiredSharedLite`: how many times the calling thread owns the resource
    /// (shared, or exclusive and its shared acquires on top).
    package static func acquiredCount(_ resource: UnsafeMutableRawPointer, routine: StaticString) -> UInt32 {
        Irql.require(atMost: .dispatch, current: Irql.current.rawValue, routine: routine)
        let me = SpinLock.currentOwner
        return state(resource, routine).owners.withLock {
            UInt32($0.exclusiveOwner == me ? $0.exclusiveCount : $0.shared[me] ?? 0)
        }
    }

    /// `ExGetExclusiveWaiterCount` (exclusive: true) and `ExGetSharedWaiterCount`.
    package static func waiterCount(_ resource: UnsafeMutableRawPointer, exclusive: Bool, routine: StaticString) -> UInt32 {
        Irql.require(atMost: .dispatch, current: Irql.current.rawValue, routine: routine)
        return state(resource, routine).owners.withLock { UInt32(exclusive ? $0.exclusiveWaiters : $0.sharedWaiters) }
    }
}
