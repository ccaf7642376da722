import Foundation

/// Stderr with one status line that is redrawn in place on a terminal and cleared before any
/// whole line is written, so progress and messages never run into each other.
final class StatusLine {
    let quiet: Bool
    /// Whether stderr is a terminal (a pipe or file gets no status line).
    let terminal = isatty(STDERR_FILENO) == 1
    private var shown = false

    init(quiet: Bool) { self.quiet = quiet }

    /// Replaces the status line (on a terminal only).
    func draw(_ text: String) {
        guard terminal && !quiet else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        shown = true
    }

    /// Writes a whole line, clearing the status line first.
    func line(_ text: String) {
        guard !quiet else { return }
        if shown {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            shown = false
        }
        StandardError.write(text)
    }
}
