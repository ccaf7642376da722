import QuillCore
import QuillTraining

/// Successive halving under a time budget: rung k trains `trials[k]` configurations for
/// `seconds[k]` each (or `steps[k]` steps), and the best 1/η of them go on to rung k + 1, which
/// trains each η times longer. Every rung then costs about the same, n₀·t₀ with n₀ = η^K. With a
/// baseline, the last rung also trains the defaults for as long as the winner (unless the winner
/// is the defaults), so that rung costs twice as much: t₀ = budget / ((K + 2)·n₀).
public struct SearchPlan: Codable, Equatable, Sendable {
    /// η: the share of each rung promoted is 1/η, and each rung trains η times longer.
    public var eta: Int
    /// Configurations trained at each rung.
    public var trials: [Int]
    /// Seconds of training per configuration at each rung.
    public var seconds: [Double]
    /// Steps per configuration at each rung, when the rungs are counted in steps (reproducible
    /// decisions); the seconds then only bound the whole search.
    public var steps: [Int]?
    /// Whether the last rung also trains the baseline (the defaults for its time).
    public var baseline: Bool

    /// The plan with the most rungs (at most `maximumRungs`) whose first rung still trains each
    /// configuration at least `minimumSeconds`. Nil when even two rungs cannot. The first rung must
    /// not be too short: what a model learns in its first seconds favours small, fast models that
    /// later lose to larger ones (measured on tiny-shakespeare: 33-second trials promoted 1 × 128
    /// and 1 × 256 models over the 2 × 256 defaults).
    /// Nil too for a budget `TimeSpan` refuses, an η below 2, or rungs whose counts would overflow.
    public static func make(budget: Double, eta: Int, minimumSeconds: Double = 45, maximumRungs: Int = 4,
                            firstRungSteps: Int? = nil, baseline: Bool = true) -> SearchPlan? {
        guard TimeSpan.problem(budget) == nil, eta >= 2, (firstRungSteps ?? 0) >= 0 else { return nil }
        for extra in stride(from: maximumRungs - 1, through: 1, by: -1) {
            // η^extra configurations at the first rung and the steps of the last: an overflow means
            // a plan too large to run, so fewer rungs are tried.
            guard let first = power(eta, extra), let lastSteps = power(eta, extra, times: firstRungSteps ?? 0),
                  lastSteps >= 0, case let (shares, overflow) = (extra + (baseline ? 2 : 1)).multipliedReportingOverflow(by: first),
                  !overflow else { continue }
            let t0 = budget / Double(shares)
            guard t0 >= minimumSeconds else { continue }
            var trials: [Int] = [], seconds: [Double] = [], steps: [Int] = []
            var n = first, t = t0, s = firstRungSteps ?? 0
            for _ in 0...extra {
                trials.append(n); seconds.append(t); steps.append(s)
                // Past the last rung the steps are unused: wrapping there is harmless.
                n /= eta; t *= Double(eta); s = s &* eta
            }
            return SearchPlan(eta: eta, trials: trials, seconds: seconds, steps: firstRungSteps == nil ? nil : steps, baseline: baseline)
        }
        return nil
    }

    /// `base`·`eta`^`exponent`, or nil when it overflows.
    private static func power(_ eta: Int, _ exponent: Int, times base: Int = 1) -> Int? {
        var result = base
        for _ in 0..<exponent {
            let (product, overflow) = result.multipliedReportingOverflow(by: eta)
            if overflow { return nil }
            result = product
        }
        return result
    }

    /// Seconds of training for each trial of `rung`, when `left` seconds of the budget remain,
    /// `pending[k]` trials are still to run at rung `rung + k`, and each trial costs `overhead`
    /// seconds beyond its training (setup and validation, which `seconds` leaves out). The plan's
    /// time when the budget pays for it all; else every remaining rung shortened by the same factor,
    /// so the last rung still trains its trials (the winner and the baseline) for equal times.
    public func secondsPerTrial(rung: Int, left: Double, pending: [Int], overhead: Double) -> Double {
        var training = 0.0, count = 0
        for (k, n) in pending.enumerated() where rung + k < seconds.count {
            training += Double(n) * seconds[rung + k]
            count += n
        }
        guard training > 0 else { return seconds[rung] }
        return seconds[rung] * min(1, max(0, (left - Double(count) * max(0, overhead)) / training))
    }
}
