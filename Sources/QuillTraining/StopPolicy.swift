
/// When a training run stops, and why: its limits (epochs, `maxSteps`, `maxTime`), early
/// stopping, and the caller's requests (the event callback's `.stop`, `shouldStop`). The loop
/// asks it at three points — before an epoch, before a step, after a validation — and stops at
/// the first reason it gives.
struct StopPolicy {
    /// Epochs the run trains for.
    let epochs: Int
    /// The step at which the run stops, if any.
    let maxSteps: Int?
    /// Seconds of this session after which the run stops, if any.
    let maxTime: Double?
    /// The event callback answered `.stop`: the run stops before its next step.
    var requested = false

    /// The policy of a run with `options`.
    init(options: TrainingOptions) {
        epochs = options.epochs
        maxSteps = options.maxSteps
        maxTime = options.maxTime
    }

    /// Why the run stops before epoch `epoch` (counting from 0) begins; nil to go on.
    func beforeEpoch(_ epoch: Int) -> TrainingOutcome.Reason? {
        epoch < epochs ? nil : .completed
    }

    /// Why the run stops before its next step, with `step` steps taken and `elapsed` seconds of
    /// this session gone; nil to go on. `shouldStop` is asked last, only when no limit is reached.
    func beforeStep(step: Int, elapsed: Double, shouldStop: () -> Bool) -> TrainingOutcome.Reason? {
        if let limit = limit(step: step, elapsed: elapsed) { return limit }
        if requested || shouldStop() { return .interrupted }
        return nil
    }

    /// `maxSteps` or `maxTime`, when reached.
    private func limit(step: Int, elapsed: Double) -> TrainingOutcome.Reason? {
        if let maxSteps, step >= maxSteps { return .maxSteps }
        if let maxTime, elapsed >= maxTime { return .maxTime }
        return nil
    }

    /// Whether a limit (epochs, `maxSteps`, `maxTime`) ends the run here, after `epoch` epochs
    /// and `step` steps: the validation at this epoch's end is then the run's last, which always runs.
    func limitReached(epoch: Int, step: Int, elapsed: Double) -> Bool {
        beforeEpoch(epoch) != nil || limit(step: step, elapsed: elapsed) != nil
    }

    /// Why the run stops after a validation whose result was `improved` (nil: `shouldStop` cut
    /// it short) and left the learning-rate schedule at `schedule`; nil to go on.
    func afterValidation(improved: Bool?, schedule: LearningRateSchedule) -> TrainingOutcome.Reason? {
        if improved == nil { return .interrupted }
        return schedule.shouldStopEarly ? .earlyStopping : nil
    }
}
