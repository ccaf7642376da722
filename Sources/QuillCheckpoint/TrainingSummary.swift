import QuillText

/// What a checkpoint records about how its model was trained and how to read text for it.
public struct TrainingSummary: Codable, Equatable, Sendable {
    /// Tokenization the model was trained with.
    public var level: TokenLevel
    /// `stream` (truncated BPTT over the text) or `lines` (one `<bos>`…`<eos>` line per row).
    public var mode: TrainingMode
    /// Optimizer steps taken when this file was written.
    public var steps: Int
    /// Fractional epochs completed.
    public var epochs: Double
    /// Lowest validation loss seen (nats per token), if any validation ran.
    public var bestValidationLoss: Double?
    /// Every validation, oldest first.
    public var history: [TrainingRecord]
    /// The training corpus as given on the command line (for information and resuming).
    public var corpus: String?
    /// Tokens per character of the validation text, when its losses have a bits-per-character
    /// figure (`TokenLevel.bitsPerCharacter`: not at word level when that text had `<unk>`).
    /// Written by every training run since 2026-12-07; absent from older files and imports.
    public var validationTokensPerCharacter: Double?

    /// A summary; an untrained (or imported) model has no steps and no history.
    public init(level: TokenLevel, mode: TrainingMode, steps: Int = 0, epochs: Double = 0,
                bestValidationLoss: Double? = nil, history: [TrainingRecord] = [], corpus: String? = nil,
                validationTokensPerCharacter: Double? = nil) {
        self.level = level
        self.mode = mode
        self.steps = steps
        self.epochs = epochs
        self.bestValidationLoss = bestValidationLoss
        self.history = history
        self.corpus = corpus
        self.validationTokensPerCharacter = validationTokensPerCharacter
    }

    /// Bits per character of a validation loss (nats per token) of this model, by the one
    /// definition `quill perplexity` uses; nil where the file does not say how many tokens the
    /// validation text made per character (a character model needs no count).
    public func bitsPerCharacter(validationLoss: Double) -> Double? {
        guard hasBitsPerCharacter else { return nil }
        return level.bitsPerCharacter(natsPerToken: validationLoss, tokensPerCharacter: validationTokensPerCharacter ?? 1)
    }

    /// Whether the validation losses have a bits-per-character figure here: at the char level
    /// always, elsewhere when the file keeps the validation text's tokens per character.
    public var hasBitsPerCharacter: Bool { level == .char || validationTokensPerCharacter != nil }
}
