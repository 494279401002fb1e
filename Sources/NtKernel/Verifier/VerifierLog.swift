import Logging
import Synchronization

/// Verifier messages: diagnostics for driver mistakes that Windows tolerates but a verifier flags.
///
/// Each message is logged through swift-log (label `wdf.verifier`, level warning) and kept in a
/// bounded in-memory log that tests and wdfmon can read. Execution continues.
package enum VerifierLog {
    private static let logger = Logger(label: "wdf.verifier")
    private static let state = KernelLock(State())
    private static let capacity = 1024

    private struct State {
        var messages: [String] = []
        var total = 0
    }

    /// Records one verifier message.
    package static func report(_ message: String) {
        state.withLock { state in
            state.total += 1
            if state.messages.count == capacity { state.messages.removeFirst(capacity / 4) }
            state.messages.append(message)
        }
        logger.warning("\(message)")
    }

    /// How many messages have been reported since the process started.
    package static var count: Int { state.withLock { $0.total } }

    /// The most recent messages, oldest first.
    package static var recent: [String] { state.withLock { $0.messages } }
}
