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
    public static func make(budget: Double, eta: Int, minimumSeconds: Double = 45, maximumRungs: Int = 4,
                            firstRungSteps: Int? = nil, baseline: Bool = true) -> SearchPlan? {
        for extra in stride(from: maximumRungs - 1, through: 1, by: -1) {
            var first = 1
            for _ in 0..<extra { first *= eta }
            let t0 = budget / Double((extra + (baseline ? 2 : 1)) * first)
            guard t0 >= minimumSeconds else { continue }
            var trials: [Int] = [], seconds: [Double] = [], steps: [Int] = []
            var n = first, t = t0, s = firstRungSteps ?? 0
            for _ in 0...extra {
                trials.append(n); seconds.append(t); steps.append(s)
                n /= eta; t *= Double(eta); s *= eta
            }
            return SearchPlan(eta: eta, trials: trials, seconds: seconds, steps: firstRungSteps == nil ? nil : steps, baseline: baseline)
        }
        return nil
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
