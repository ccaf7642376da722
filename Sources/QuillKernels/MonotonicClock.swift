import Foundation

/// Seconds on the monotonic clock: for durations (training time, tokens per second), never for
/// dates, and unaffected by changes to the wall clock.
public enum MonotonicClock {
    /// Seconds on a clock that never goes back (for timing, not dates).
    public static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
