/// One optimizer step.
public struct StepReport: Sendable {
    /// Steps taken, this one included.
    public let step: Int
    /// Steps the run will take at most.
    public let plannedSteps: Int
    /// Fractional epoch.
    public let epoch: Double
    /// Mean loss of this step (nats per token).
    public let loss: Double
    /// Mean loss since the last validation.
    public let averageLoss: Double
    /// The rate this step used.
    public let learningRate: Double
    /// Global gradient norm before clipping.
    public let gradientNorm: Double
    /// Training tokens per second in this session.
    public let tokensPerSecond: Double
    /// Seconds in this session.
    public let elapsed: Double
    /// Estimated seconds left (from planned steps and maxTime), nil when unknown.
    public let remaining: Double?
}
