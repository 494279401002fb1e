// The terminal: raw keys (q, t, s, ...), its size, and Ctrl-C.
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Standard input and output when both are a terminal: keys are read one at a time without
/// echo (Ctrl-C still raises SIGINT), and the screen size is known.
final class Terminal: Sendable {
    /// Whether the live view can run: standard output and standard input are terminals.
    static var isInteractive: Bool { isatty(STDOUT_FILENO) != 0 && isatty(STDIN_FILENO) != 0 }

    private let saved: Mutex<termios?> = Mutex(nil)

    /// Switches standard input to single keys without echo.
    func enterKeyMode() {
        var settings = termios()
        guard tcgetattr(STDIN_FILENO, &settings) == 0 else { return }
        saved.withLock { $0 = settings }
        settings.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &settings.c_cc) { bytes in
            bytes[Int(VMIN)] = 0
            bytes[Int(VTIME)] = 0
        }
        tcsetattr(STDIN_FILENO, TCSANOW, &settings)
    }

    /// Restores standard input as it was.
    func leaveKeyMode() {
        saved.withLock { saved in
            guard var settings = saved else { return }
            tcsetattr(STDIN_FILENO, TCSANOW, &settings)
            saved = nil
        }
    }

    /// The keys typed since the last call (non-blocking).
    func readKeys() -> [UInt8] {
        var keys: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 0) > 0 else { break }
            let count = read(STDIN_FILENO, &buffer, buffer.count)
            guard count > 0 else { break }
            keys += buffer.prefix(count)
        }
        return keys
    }

    /// Columns and rows (80 × 24 when unknown).
    static var size: (columns: Int, rows: Int) {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return (80, 24) }
        return (Int(size.ws_col), Int(size.ws_row))
    }
}

/// Ctrl-C (SIGINT) while a program runs: counted, not fatal to wdfmon, so the verdict is still
/// printed.
enum Interrupts {
    private static let count = Atomic<Int32>(0)

    static func install() {
        _ = count.load(ordering: .relaxed)  // initialized before the handler can run
        signal(SIGINT) { _ in Interrupts.count.add(1, ordering: .relaxed) }
    }

    static var received: Int32 { count.load(ordering: .relaxed) }
}
