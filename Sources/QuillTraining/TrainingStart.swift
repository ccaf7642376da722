import QuillCheckpoint

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
