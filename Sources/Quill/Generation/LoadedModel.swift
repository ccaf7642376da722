import Foundation

/// A model ready to use: weights, vocabulary and how to read text for it. Comes from a Quill
/// checkpoint, or from a plain PyTorch word_language_model state dict plus a vocabulary file.
public struct LoadedModel {
    /// The weights, ready to run.
    public let model: LanguageModel
    /// Tokens in id order.
    public let vocabulary: Vocabulary
    /// How text is tokenized for this model.
    public let level: TokenLevel
    /// How it was trained: streams, or one line per row (`<bos>` starts a sample).
    public let mode: TrainingMode
    /// The checkpoint's training summary (nil for a PyTorch state dict).
    public let summary: TrainingSummary?

    /// A model already in memory.
    public init(model: LanguageModel, vocabulary: Vocabulary, level: TokenLevel, mode: TrainingMode = .stream,
                summary: TrainingSummary? = nil) {
        self.model = model
        self.vocabulary = vocabulary
        self.level = level
        self.mode = mode
        self.summary = summary
    }

    /// Loads `path` (a checkpoint folder or `.safetensors` file). With `vocabularyFile` the file is
    /// read as a PyTorch state dict: `level` says how to tokenize (default word) and `cell` which
    /// cell it is where the shapes cannot tell (a vanilla RNN's tanh or relu).
    public init(path: String, vocabularyFile: String? = nil, level: TokenLevel? = nil, cell: ModelConfig.Cell? = nil) throws {
        if let vocabularyFile {
            let file = try Checkpoint.resolve(path)
            let weights = LanguageModel.withEncoderWeight(try SafeTensors(contentsOf: file))
            let vocabulary = try Vocabulary(file: vocabularyFile)
            let config = try LanguageModel.inferConfig(from: weights, path: file, cell: cell)
            guard config.vocabularySize == vocabulary.count else {
                throw QuillError.badCheckpoint(path: file, problem: "encoder.weight has \(config.vocabularySize) rows but \(vocabularyFile) lists \(vocabulary.count) tokens")
            }
            let model = try LanguageModel(config: config)
            try model.loadWeights(from: weights, path: file)
            self.model = model
            self.vocabulary = vocabulary
            self.level = level ?? .word
            self.mode = .stream
            self.summary = nil
        } else {
            let file = try Checkpoint.resolve(path)
            let checkpoint = try Checkpoint(contentsOf: file)
            if let level, level != checkpoint.summary.level {
                throw QuillError.invalidSetting(.init(.level, level.rawValue, "level \(level.rawValue) disagrees with the checkpoint, which is \(checkpoint.summary.level.rawValue) level (level is for PyTorch state dicts)"))
            }
            model = try checkpoint.makeModel(path: file)
            vocabulary = checkpoint.vocabulary
            self.level = checkpoint.summary.level
            mode = checkpoint.summary.mode
            summary = checkpoint.summary
        }
    }
}
