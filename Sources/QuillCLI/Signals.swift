import Foundation

/// Ctrl-C (SIGINT) and SIGTERM become a request to stop after the current step; a second one
/// while stopping falls back to the default action, so a stuck run can still be killed.
enum Signals {
    nonisolated(unsafe) static var received: Int32 = 0

    static func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { number in
                if Signals.received != 0 {
                    signal(number, SIG_DFL)
                    raise(number)
                }
                Signals.received = number
            }
        }
    }

    /// Like `install`, but a signal also interrupts a blocking read (no SA_RESTART), so a prompt
    /// loop waiting on stdin sees Ctrl-C at once.
    static func installInterrupting() {
        for signalNumber in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                if Signals.received != 0 {
                    signal(number, SIG_DFL)
                    raise(number)
                }
                Signals.received = number
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signalNumber, &action, nil)
        }
    }

    /// The conventional exit status for a run stopped by a signal (130 for SIGINT, 143 for SIGTERM).
    static var exitStatus: Int32 { 128 + received }
}
