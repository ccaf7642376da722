/// When a run may validate within `TrainingOptions.validationShare` of its time: the arithmetic
/// `Trainer` applies before each scheduled validation, apart from the clock so it can be checked.
package enum ValidationAllowance {
    /// How many times faster a run validates tokens (scoring and saving) than it trains on them:
    /// measured at 2.7–2.9 on a WikiText-2 word model and 4.3 on a PTB character model
    /// (docs/training-budget.md); lower, so that the first estimate errs long.
    public static let scoringSpeedup = 2.5

    /// Whether a validation expected to take `expected` seconds keeps the session's validation
    /// seconds, `spent` and it, within `share` of the session's `elapsed` seconds.
    public static func affords(share: Double, elapsed: Double, spent: Double, expected: Double) -> Bool {
        spent + expected <= share * elapsed
    }

    /// What a validation is expected to cost: the last one's seconds, or before any, its tokens
    /// at `scoringSpeedup` times the training speed.
    public static func expectedSeconds(last: Double?, validationTokens: Int, trainingTokensPerSecond: Double) -> Double {
        last ?? Double(validationTokens) / max(1e-9, scoringSpeedup * trainingTokensPerSecond)
    }
}
