import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Tunes the Depth of lookaside lists: a scan once a second, each list every three seconds
/// (Windows' rule). Every scan also refreshes the public counters of lists that live in C structures.
///
/// ``shared`` runs on its own background thread in real time. A test makes its own with
/// ``manual()`` and drives the clock with ``advance(by:)``, so the formula is checked exactly.
package final class LookasideTuner: Sendable {
    /// How often each list is tuned.
    package static let interval: Duration = .seconds(3)

    private struct State: @unchecked Sendable {
        var lists: [UnsafeMutablePointer<LookasideCore>] = []
        var now: Duration = .zero
        var threadStarted = false
    }

    private let state = KernelLock(State())
    private let isManual: Bool

    private init(manual: Bool) { isManual = manual }

    /// The real-time tuner every list uses unless told otherwise.
    package static let shared = LookasideTuner(manual: false)

    /// A tuner whose clock moves only when ``advance(by:)`` is called.
    package static func manual() -> LookasideTuner { LookasideTuner(manual: true) }

    /// Moves a manual tuner's clock forward, one-second scan by one-second scan.
    package func advance(by duration: Duration) {
        precondition(isManual, "only a manual tuner's clock can be advanced")
        var remaining = duration
        while remaining > .zero {
            let step = min(remaining, .seconds(1))
            remaining -= step
            scan(advancingBy: step)
        }
    }

    func register(_ core: UnsafeMutablePointer<LookasideCore>) {
        let startThread = state.withLock { state -> Bool in
            core.pointee.nextScan = state.now + Self.interval
            state.lists.append(core)
            defer { state.threadStarted = true }
            return !isManual && !state.threadStarted
        }
        if startThread { startBackgroundThread() }
    }

    func unregister(_ core: UnsafeMutablePointer<LookasideCore>) {
        state.withLock { state in state.lists.removeAll { $0 == core } }
    }

    /// Calls `body` with every list registered now, under the tuner's lock (a list cannot be
    /// deleted meanwhile). Lock order: this lock, then the thread registry's.
    func withRegisteredLists(_ body: ([UnsafeMutablePointer<LookasideCore>]) -> Void) {
        state.withLock { state in body(state.lists) }
    }

    private func scan(advancingBy step: Duration) {
        state.withLock { state in
            state.now += step
            for core in state.lists {
                if state.now >= core.pointee.nextScan {
                    core.tune()  // publishes too
                    core.pointee.nextScan = state.now + Self.interval
                } else {
                    core.publish()
                }
            }
        }
    }

    private func startBackgroundThread() {
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { _ in
            while true {
                sleep(1)
                LookasideTuner.shared.scan(advancingBy: .seconds(1))
            }
        }, nil)
        if result == 0 { pthread_detach(thread) }
    }
}
