import Foundation

/// Wall-clock helpers for the benchmarks.
enum Timing {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

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
