/// What the trainer reports while it runs. The library never prints: a front end turns these
/// into progress lines.
public enum TrainingEvent: Sendable {
    /// Training is about to start (or resume).
    case started(TrainingStart)
    /// One optimizer step finished.
    case step(StepReport)
    /// A validation finished.
    case validated(ValidationReport)
    /// Training ended; the checkpoints are saved.
    case finished(TrainingOutcome)
}

/// What the front end answers to each event.
public enum TrainingControl: Sendable {
    case proceed
    /// Finish the current step, save and return (Ctrl-C).
    case stop
}

public struct TrainingStart: Sendable {
    public let vocabularySize: Int
    public let parameterCount: Int
    public let trainTokens: Int
    public let validationTokens: Int
    public let validationUnknown: Int
    public let stepsPerEpoch: Int
    /// Steps the run will take at most (epochs × steps per epoch, or --max-steps).
    public let plannedSteps: Int
    /// Step the run resumes from (0 for a new run).
    public let resumedAtStep: Int
    public let threads: Int
    /// Stream mode, when the text is too short for the requested window: each of the B streams
    /// holds fewer tokens than T, so windows are `used` steps rather than `requested`.
    public let shortenedWindow: (requested: Int, used: Int)?
}

public struct StepReport: Sendable {
    public let step: Int
    public let plannedSteps: Int
    /// Fractional epoch.
    public let epoch: Double
    /// Mean loss of this step (nats per token).
    public let loss: Double
    /// Mean loss since the last validation.
    public let averageLoss: Double
    public let learningRate: Double
    public let gradientNorm: Double
    public let tokensPerSecond: Double
    /// Seconds in this session.
    public let elapsed: Double
    /// Estimated seconds left (from planned steps and --max-time), nil when unknown.
    public let remaining: Double?
}

public struct ValidationReport: Sendable {
    public let record: TrainingRecord
    /// Best so far: `model.safetensors` was rewritten.
    public let improved: Bool
    /// Bits per character (character level only).
    public let bitsPerCharacter: Double?
}

public struct TrainingOutcome: Sendable {
    public enum Reason: String, Sendable {
        case completed = "all epochs done"
        case maxSteps = "--max-steps reached"
        case maxTime = "--max-time reached"
        case earlyStopping = "validation stopped improving (--patience)"
        case interrupted = "interrupted"
    }

    public let reason: Reason
    public let steps: Int
    public let bestValidationLoss: Double?
    public let folder: String
}
