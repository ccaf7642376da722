import Foundation
import QuillCheckpoint
import QuillCore
import QuillModel
import QuillText

/// A model ready to use: weights, vocabulary and how to read text for it. Comes from a Quill
/// checkpoint, or from a plain PyTorch word_language_model state dict plus a vocabulary file.
public struct LoadedModel: Sendable {
    /// The weights, ready to run (already rounded to `weightFormat`).
    public let model: LanguageModel
    /// Tokens in id order.
    public let vocabulary: Vocabulary
    /// How text is tokenized for this model.
    public let level: TokenLevel
    /// How it was trained: streams, or one line per row (`<bos>` starts a sample).
    public let mode: TrainingMode
    /// The checkpoint's training summary (nil for a PyTorch state dict).
    public let summary: TrainingSummary?
    /// How generation reads the weight matrices. `model`'s (float32) matrices hold the values
    /// this format stores, so scoring and every other path compute with the same weights.
    public let weightFormat: WeightFormat

    /// A model already in memory. With `weightFormat` other than `.f32`, `model` here holds the
    /// values that format stores (bfloat16- or int8-rounded); the caller's value is unchanged.
    public init(model: LanguageModel, vocabulary: Vocabulary, level: TokenLevel, mode: TrainingMode = .stream,
                summary: TrainingSummary? = nil, weightFormat: WeightFormat = .f32) {
        self.model = model.rounded(to: weightFormat)
        self.vocabulary = vocabulary
        self.level = level
        self.mode = mode
        self.summary = summary
        self.weightFormat = weightFormat
    }

    /// Loads `path` (a checkpoint folder or `.safetensors` file). With `vocabularyFile` the file is
    /// read as a PyTorch state dict: `level` says how to tokenize (default word) and `cell` which
    /// cell it is where the shapes cannot tell (a vanilla RNN's tanh or relu).
    /// - Parameter weightFormat: how generation reads the weights (default: as the file stores
    ///   them); a format other than the file's rounds the weights to it.
    public init(path: String, vocabularyFile: String? = nil, level: TokenLevel? = nil, cell: ModelConfig.Cell? = nil,
                weightFormat: WeightFormat? = nil) throws {
        if let vocabularyFile {
            // The same path as `quill import`: every tensor used, the vocabulary checked for the level.
            let file = try Checkpoint.resolve(path)
            let level = level ?? .word
            let vocabulary = try Vocabulary(file: vocabularyFile, level: level)
            let imported = try Checkpoint(importing: try SafeTensors(contentsOf: file), path: file, vocabulary: vocabulary,
                                          level: level, cell: cell)
            self.init(model: try imported.makeModel(path: file), vocabulary: vocabulary, level: level,
                      weightFormat: weightFormat ?? .f32)
        } else {
            let file = try Checkpoint.resolve(path)
            let checkpoint = try Checkpoint(contentsOf: file)
            if let level, level != checkpoint.summary.level {
                throw QuillError.invalidSetting(.init(.level, level.rawValue, "level \(level.rawValue) disagrees with the checkpoint, which is \(checkpoint.summary.level.rawValue) level (level is for PyTorch state dicts)"))
            }
            // A file already in this format holds exactly its values; rounding again changes
            // nothing for bfloat16 and keeps int8's codes.
            self.init(model: try checkpoint.makeModel(path: file), vocabulary: checkpoint.vocabulary,
                      level: checkpoint.summary.level, mode: checkpoint.summary.mode, summary: checkpoint.summary,
                      weightFormat: weightFormat ?? checkpoint.storedFormat)
        }
    }
}
