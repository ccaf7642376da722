/// How a run ended.
public struct TrainingOutcome: Sendable {
    /// Why training stopped.
    public enum Reason: String, Sendable {
        /// Every epoch of `TrainingOptions.epochs` ran.
        case completed
        /// `TrainingOptions.maxSteps` was reached.
        case maxSteps
        /// `TrainingOptions.maxTime` was reached.
        case maxTime
        /// `TrainingOptions.patience` validations in a row did not improve.
        case earlyStopping
        /// The caller asked to stop (the run was saved where it stood).
        case interrupted
    }

    /// Why the run stopped.
    public let reason: Reason
    /// Optimizer steps taken over the whole run.
    public let steps: Int
    /// The best validation loss of the run, nil when none ran.
    public let bestValidationLoss: Double?
    /// The checkpoint folder, nil for a run kept in memory.
    public let folder: String?
}
