internal import CRuntimeShims

/// Deadlock detection (`VerifyDriverLevel` 0x20): the order in which threads acquire spin locks
/// and fast mutexes.
///
/// While a loaded driver has 0x20, every blocking acquire of a spin lock (`KeAcquireSpinLock`,
/// the `AtDpcLevel` and in-stack queued forms) or a fast mutex (`ExAcquireFastMutex`, `Unsafe`)
/// records, for each lock the thread already holds, that it was held before the new one. An
/// acquire that would close a cycle (lock B taken while holding A, when some thread once took A
/// while holding B, directly or through other locks) is a lock hierarchy violation: it stops
/// before it waits, with 0xC4, parameter 1 0x1001, parameter 2 the lock being acquired,
/// parameter 3 the lock held, as Windows' deadlock detection does, naming where the opposite
/// order was first seen. Successful try-acquires are recorded as held (they cannot wait, so they
/// are not checked). A lock's memory used again for another lock keeps the first one's history:
/// the order graph is the process's, for as long as a driver with 0x20 is loaded.
///
/// Costs one relaxed load per acquire and release when no loaded driver has 0x20.
package enum DeadlockDetection {
    struct HeldLock {
        let lock: UInt
        let kind: StaticString
        let stack: CallStack
    }

    /// Where an order was first seen: the thread held `before` (acquired at `beforeStack`) and
    /// acquired the other lock at `stack`.
    struct Order {
        let stack: CallStack
    }

    struct State {
        /// The locks each thread holds, oldest first (key: the thread's identity).
        var held: [UInt: [HeldLock]] = [:]
        /// `after[a][b]`: b was acquired while a was held.
        var after: [UInt: [UInt: Order]] = [:]
    }

    static let state = KernelLock(State())

    /// Whether a loaded driver has deadlock detection on (one relaxed load).
    @inline(__always)
    package static var isActive: Bool { nt_deadlock_detection_active() != 0 }

    static func setActive(_ on: Bool) {
        nt_deadlock_detection_set_active(on ? 1 : 0)
        if !on { state.withLock { $0 = State() } }
    }

    /// A blocking acquire of `lock` is about to wait for it: checks the order (stops on a
    /// violation), records it, and marks the lock held by this thread.
    package static func acquiring(_ lock: UnsafeMutableRawPointer, kind: StaticString, routine: StaticString) {
        let target = UInt(bitPattern: lock)
        let thread = UInt(bitPattern: ThreadContext.current)
        let stack = CallStack.capture()
        let violation = state.withLock { state -> (held: HeldLock, order: Order)? in
            let holding = state.held[thread] ?? []
            for held in holding where held.lock != target {
                if let order = path(from: target, to: held.lock, in: state.after) { return (held, order) }
            }
            for held in holding where held.lock != target && state.after[held.lock]?[target] == nil {
                state.after[held.lock, default: [:]][target] = Order(stack: stack)
            }
            state.held[thread, default: []].append(HeldLock(lock: target, kind: kind, stack: stack))
            return nil
        }
        guard let (held, order) = violation else { return }
        BugCheck.raise(
            .driverVerifierDetectedViolation, 0x1001, target, held.lock, 0,
            "\(routine): lock hierarchy violation (potential deadlock): this thread holds the \(held.kind) at 0x\(String(held.lock, radix: 16)) (acquired at \(held.stack.site)) and acquires the \(kind) at 0x\(String(target, radix: 16)), which was held before it when \(order.stack.site) acquired a lock",
            site: stack)
    }

    /// A try-acquire took `lock`: marks it held (no order check: it did not wait).
    package static func acquired(_ lock: UnsafeMutableRawPointer, kind: StaticString) {
        let target = UInt(bitPattern: lock)
        let thread = UInt(bitPattern: ThreadContext.current)
        let stack = CallStack.capture()
        state.withLock { state in
            for held in state.held[thread] ?? [] where held.lock != target && state.after[held.lock]?[target] == nil {
                state.after[held.lock, default: [:]][target] = Order(stack: stack)
            }
            state.held[thread, default: []].append(HeldLock(lock: target, kind: kind, stack: stack))
        }
    }

    /// This thread released `lock`.
    package static func released(_ lock: UnsafeMutableRawPointer) {
        let target = UInt(bitPattern: lock)
        let thread = UInt(bitPattern: ThreadContext.current)
        state.withLock { state in
            guard var holding = state.held[thread], let index = holding.lastIndex(where: { $0.lock == target }) else { return }
            holding.remove(at: index)
            state.held[thread] = holding.isEmpty ? nil : holding
        }
    }

    /// The first order edge of a path `from` →* `to` in the graph (breadth first, no recursion),
    /// or nil when `to` is not reachable.
    static func path(from start: UInt, to goal: UInt, in after: [UInt: [UInt: Order]]) -> Order? {
        var queue: [(lock: UInt, first: Order?)] = [(start, nil)]
        var seen: Set<UInt> = [start]
        var index = 0
        while index < queue.count {
            let (lock, first) = queue[index]
            index += 1
            for (next, order) in after[lock] ?? [:] where seen.insert(next).inserted {
                let edge = first ?? order
                if next == goal { return edge }
                queue.append((next, edge))
            }
        }
        return nil
    }
}
