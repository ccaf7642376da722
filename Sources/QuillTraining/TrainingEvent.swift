/// What the trainer reports while it runs. The library never prints: a front end turns these
/// into progress lines.
public enum TrainingEvent: Sendable {
    /// Training is about to start (or resume).
    case started(TrainingStart)
    /// One optimizer step finished.
    case step(StepReport)
    /// A validation finished.
    case validated(ValidationReport)
    /// A scheduled validation was skipped to keep within `TrainingOptions.validationShare`.
    case validationSkipped(ValidationSkip)
    /// A sample was generated after a validation (`TrainingOptions.sampleEvery`).
    case sampled(TrainingSample)
    /// Training ended; the checkpoints are saved.
    case finished(TrainingOutcome)
}
