/// A scheduled validation left out because it would take this session's validations past
/// `TrainingOptions.validationShare` of its time (`ValidationAllowance`). The latest weights and
/// the resume file were saved as a validation would have saved them.
public struct ValidationSkip: Sendable, Equatable {
    /// Optimizer steps taken.
    public let step: Int
    /// Fractional epoch.
    public let epoch: Double
    /// What the validation was expected to take, seconds.
    public let expectedSeconds: Double
    /// What this session's validations took so far, seconds.
    public let spentSeconds: Double
    /// This session's time so far, seconds.
    public let elapsedSeconds: Double
    /// The share of that time validations may take.
    public let share: Double
}
