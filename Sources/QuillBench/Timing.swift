import Foundation
import Quill
import QuillKernels

/// Wall-clock helpers for the benchmarks.
enum Timing {
    static func now() -> Double { MonotonicClock.seconds() }

    /// Runs `body` once to warm up, then repeatedly until `minimumTotal` seconds have passed, and
    /// returns the fastest single run.
    static func bestSeconds(minimumTotal: Double, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity, total = 0.0
        repeat {
            let start = now()
            body()
            let elapsed = now() - start
            best = min(best, elapsed)
            total += elapsed
        } while total < minimumTotal
        return best
    }
}
