/// Everything that defines a training run. Stored with a run's resume state, so `--resume` needs
/// nothing but the folder.
public struct TrainingOptions: Codable, Equatable, Sendable {
    // Data
    /// The training text.
    public var corpus: String
    /// A separate validation text; nil holds out the last `validationFraction` of the corpus.
    public var validationFile: String? = nil
    public var validationFraction: Double = 0.05
    public var level: TokenLevel = .char
    public var mode: TrainingMode = .stream
    /// Lines mode: most predicted positions per line.
    public var maxLength: Int = 128
    public var minimumCount: Int = 1
    public var maximumVocabulary: Int? = nil

    // Model
    public var embeddingSize: Int = 64
    public var hiddenSize: Int = 256
    public var layers: Int = 2
    public var dropout: Float = 0.1
    public var tieWeights: Bool = false
    public var cell: ModelConfig.Cell = .lstm
    public var initialization: ModelConfig.Initialization = .pytorch
    public var initializationRange: Float = 0.1
    public var seed: UInt64 = 1

    // Optimisation
    /// B: rows per batch.
    public var batchSize: Int = 32
    /// T: steps per window (stream mode).
    public var sequenceLength: Int = 64
    public var optimizer: Optimizer.Settings = .init(kind: .adam)
    public var learningRate: Double = 0.002
    /// Global gradient-norm limit; 0 turns clipping off.
    public var clip: Double = 5
    /// Step decay: after `learningRateDecayAfter` epochs, multiply the rate by this each epoch.
    public var learningRateDecay: Double = 1
    public var learningRateDecayAfter: Int = 0
    /// Plateau annealing: divide the rate by this when a validation does not improve (1 = off).
    public var plateauFactor: Double = 1
    /// Early stopping: validations without improvement before stopping (nil = never).
    public var patience: Int? = nil

    // Limits and reporting
    public var epochs: Int = 10
    public var maxSteps: Int? = nil
    /// Seconds of training in this invocation.
    public var maxTime: Double? = nil
    /// Validate every N steps as well as at each epoch's end.
    public var evaluateEvery: Int? = nil
    public var outputFolder: String

    public init(corpus: String, outputFolder: String) {
        self.corpus = corpus
        self.outputFolder = outputFolder
    }

    /// Rejects impossible settings with a message naming the flag.
    public func validate() throws {
        func positive(_ value: Int, _ flag: String) throws {
            if value <= 0 { throw QuillError.usage("\(flag) must be positive, got \(value)") }
        }
        try positive(embeddingSize, "--embed")
        try positive(hiddenSize, "--hidden")
        try positive(layers, "--layers")
        try positive(batchSize, "--batch")
        try positive(sequenceLength, "--seq-len")
        try positive(maxLength, "--max-len")
        try positive(epochs, "--epochs")
        try positive(minimumCount, "--min-count")
        if let maxSteps { try positive(maxSteps, "--max-steps") }
        if let evaluateEvery { try positive(evaluateEvery, "--eval-every") }
        if let patience { try positive(patience, "--patience") }
        if let maximumVocabulary { try positive(maximumVocabulary, "--max-vocab") }
        guard learningRate > 0, learningRate.isFinite else { throw QuillError.usage("--lr must be positive, got \(learningRate)") }
        guard dropout >= 0 && dropout < 1 else { throw QuillError.usage("--dropout must be in [0, 1), got \(dropout)") }
        guard validationFraction > 0 && validationFraction < 1 else {
            throw QuillError.usage("--val-fraction must be between 0 and 1 (exclusive), got \(validationFraction)")
        }
        guard clip >= 0 else { throw QuillError.usage("--clip must be 0 (off) or positive, got \(clip)") }
        guard learningRateDecay > 0 && learningRateDecay <= 1 else {
            throw QuillError.usage("--lr-decay must be in (0, 1], got \(learningRateDecay)")
        }
        guard learningRateDecayAfter >= 0 else { throw QuillError.usage("--lr-decay-after must be 0 or more") }
        guard plateauFactor >= 1 else { throw QuillError.usage("--plateau-factor must be at least 1 (1 = off), got \(plateauFactor)") }
        guard optimizer.momentum >= 0 && optimizer.momentum < 1 else {
            throw QuillError.usage("--momentum must be in [0, 1), got \(optimizer.momentum)")
        }
        guard optimizer.weightDecay >= 0 else { throw QuillError.usage("--weight-decay must be 0 or more") }
        if tieWeights && embeddingSize != hiddenSize {
            throw QuillError.usage("--tie-weights needs --embed equal to --hidden (got \(embeddingSize) and \(hiddenSize))")
        }
        if let maxTime, !(maxTime > 0) { throw QuillError.usage("--max-time must be positive") }
        try modelConfig(vocabularySize: 1).validate()
    }

    /// The model shape for a vocabulary of `vocabularySize` tokens.
    public func modelConfig(vocabularySize: Int) -> ModelConfig {
        ModelConfig(vocabularySize: vocabularySize, embeddingSize: embeddingSize, hiddenSize: hiddenSize,
                    layers: layers, dropout: dropout, tieWeights: tieWeights, cell: cell, initialization: initialization,
                    initializationRange: initializationRange)
    }
}
