import QuillCheckpoint

/// What the trainer reports while it runs. The library never prints: a front end turns these
/// into progress lines.
public enum TrainingEvent: Sendable {
    /// Training is about to start (or resume).
    case started(TrainingStart)
    /// One optimizer step finished.
    case step(StepReport)
    /// A validation finished.
    case validated(ValidationReport)
    /// A sample was generated after a validation (`TrainingOptions.sampleEvery`).
    case sampled(TrainingSample)
    /// Training ended; the checkpoints are saved.
    case finished(TrainingOutcome)
}

/// What the front end answers to each event.
public enum TrainingControl: Sendable {
    case proceed
    /// Finish the current step, save and return (Ctrl-C).
    case stop
}

/// What a run is about to do, reported once before its first step.
public struct TrainingStart: Sendable {
    /// Tokens in the vocabulary.
    public let vocabularySize: Int
    /// Trainable scalars.
    public let parameterCount: Int
    /// Tokens in the training text.
    public let trainTokens: Int
    /// Tokens in the validation text.
    public let validationTokens: Int
    /// Validation tokens the vocabulary lacks.
    public let validationUnknown: Int
    /// Batches in one pass over the training text.
    public let stepsPerEpoch: Int
    /// Steps the run will take at most (epochs × steps per epoch, or maxSteps).
    public let plannedSteps: Int
    /// Step the run resumes from (0 for a new run).
    public let resumedAtStep: Int
    /// Threads the kernels use.
    public let threads: Int
    /// Stream mode, when the text is too short for the requested window: each of the B streams
    /// holds fewer tokens than T, so windows are `used` steps rather than `requested`.
    public let shortenedWindow: (requested: Int, used: Int)?
    /// The checkpoint a fine-tuning run starts from (new runs only).
    public let baseCheckpoint: String?
    /// Fine-tuning: the text's tokens the model's vocabulary lacks, and what becomes of them.
    public let missing: MissingTokens?
    /// What a pretrained-vectors file covered of the vocabulary.
    public let embeddingCoverage: PretrainedEmbeddings.Coverage?
}

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

/// One validation.
public struct ValidationReport: Sendable {
    /// What was measured.
    public let record: TrainingRecord
    /// Best so far: `model.safetensors` was rewritten.
    public let improved: Bool
    /// Bits per character (character level only).
    public let bitsPerCharacter: Double?
}

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

/// Text the model generated during training, from `samplePrompt`, after a validation.
public struct TrainingSample: Sendable {
    /// Optimizer steps taken.
    public let step: Int
    /// The prompt the sample continues.
    public let prompt: String
    /// The generated text (without the prompt).
    public let text: String
}
