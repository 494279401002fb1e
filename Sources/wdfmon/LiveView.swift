// Where the screens go: redrawn in place on a terminal, only the last one otherwise.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Standard output as wdfmon uses it.
///
/// On a terminal every screen replaces the previous one (ANSI cursor-home and clear-screen).
/// When standard output is a pipe or a file, live screens are skipped and only the final screen
/// is written, so the output can be captured or compared.
struct LiveView {
    /// Whether standard output is a terminal.
    let isInteractive = isatty(STDOUT_FILENO) != 0

    /// Shows a screen while the workload runs; when not interactive, `screen` is not even built.
    func showLive(_ screen: @autoclosure () -> String) {
        guard isInteractive else { return }
        redraw(screen())
    }

    /// Shows the final screen, followed by `trailer` lines.
    func showFinal(_ screen: String, trailer: String) {
        if isInteractive {
            redraw(screen + trailer)
        } else {
            writeAll(screen + trailer, to: STDOUT_FILENO)
        }
    }

    private func redraw(_ screen: String) { writeAll("\u{1B}[H\u{1B}[2J" + screen, to: STDOUT_FILENO) }
}

/// Writes all of `text` to a file descriptor (unbuffered: a screen appears at once, whole).
func writeAll(_ text: String, to descriptor: Int32) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}

extension ContinuousClock {
    /// Blocks the calling thread until `deadline` (no-op when it has passed).
    func sleep(untilBlocking deadline: Instant) {
        let remaining = deadline - now
        guard remaining > .zero else { return }
        let (seconds, attoseconds) = remaining.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var left = timespec()
        while nanosleep(&request, &left) != 0, errno == EINTR { request = left }
    }
}
