import Foundation
import QuillCore
import QuillModel
import QuillText

/// A whole model in one safetensors file: weights under PyTorch's names, and in `__metadata__`
/// the model config, the vocabulary and the training summary as JSON strings, so generating or
/// evaluating never needs the corpus.
public struct Checkpoint: Sendable {
    /// The best model of a run folder (lowest validation loss).
    public static let modelFile = "model.safetensors"
    /// The latest weights of a run folder.
    public static let latestFile = "latest.safetensors"
    /// The latest weights with the optimizer moments, carried state and progress.
    public static let resumeFile = "resume.safetensors"
    package enum Key {
        package static let config = "quill.config"
        static let vocabulary = "quill.vocabulary"
        static let training = "quill.training"
    }

    /// The model's shape, cell and initialisation.
    public var config: ModelConfig
    /// Tokens in id order.
    public var vocabulary: Vocabulary
    /// Level, mode and training history.
    public var summary: TrainingSummary
    /// Weights by name.
    public var weights: SafeTensors

    /// Captures a model's current weights.
    public init(model: LanguageModel, vocabulary: Vocabulary, summary: TrainingSummary) {
        self.config = model.config
        self.vocabulary = vocabulary
        self.summary = summary
        self.weights = SafeTensors(tensors: model.weightTensors())
    }

    /// The file form: weights plus metadata.
    public func safeTensors() -> SafeTensors {
        var file = weights
        file.metadata = [
            FormatVersion.checkpoint.key: FormatVersion.checkpoint.stamp,
            Key.config: JSONCoding.string(config),
            Key.vocabulary: vocabulary.jsonString(),
            Key.training: JSONCoding.string(summary),
        ]
        return file
    }

    /// Writes atomically to `path`, the weight matrices stored in `format` (float32 by default).
    public func write(to path: String, storing format: WeightFormat = .f32) throws {
        // An empty path would name no file; refused here rather than left to the file system.
        guard !path.isEmpty else { throw QuillError.io(path: "\"\"", problem: "the path to write the checkpoint to is empty") }
        try safeTensors(storing: format).write(to: path)
    }

    /// Whether `folder` already holds a model (a best or a latest checkpoint), which a new run or
    /// an import would replace.
    public static func folderHoldsModel(_ folder: String) -> Bool {
        [modelFile, latestFile].contains { FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent($0)) }
    }

    /// The file a checkpoint argument names: a folder's `model.safetensors` (the best model), or
    /// its `latest.safetensors` when no validation has chosen a best one yet (a run stopped early),
    /// or the file itself.
    public static func resolve(_ path: String) throws -> String {
        guard !path.isEmpty else { throw QuillError.badCheckpoint(path: "\"\"", problem: "the checkpoint path is empty") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw QuillError.badCheckpoint(path: path, problem: "no such checkpoint file or folder")
        }
        if !isDirectory.boolValue { return path }
        for name in [modelFile, latestFile] {
            let inside = (path as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: inside) { return inside }
        }
        throw QuillError.badCheckpoint(path: path, problem: "folder has no \(modelFile) (has training saved a checkpoint yet?)")
    }

    /// Loads a Quill checkpoint (folder or file), checking the metadata and that the weights fit
    /// the config.
    public init(contentsOf path: String) throws {
        let file = try Self.resolve(path)
        try self.init(safeTensors: try SafeTensors(contentsOf: file), path: file)
    }

    /// A checkpoint from a safetensors file already read; `path` names it in errors. Checks the
    /// format version (an older file's metadata is upgraded, a newer file refused), then the
    /// metadata, the config's sizes and every tensor against the config.
    public init(safeTensors stored: SafeTensors, path: String) throws {
        func fail(_ problem: String) -> QuillError { .badCheckpoint(path: path, problem: problem) }
        guard stored.metadata[Key.config] != nil, stored.metadata[Key.vocabulary] != nil else {
            throw QuillError.notQuillCheckpoint(path: path)
        }
        var file = stored
        file.metadata = try FormatVersion.checkpoint.upgrade(stored.metadata, path: path, by: Self.upgrade)
        let format = try Self.storedFormat(of: file, path: path)
        file = try Self.dequantizingInt8(file, path: path)
        file.metadata[Self.weightsKey] = format == .f32 ? nil : format.rawValue
        let configText = file.metadata[Key.config] ?? "", vocabularyText = file.metadata[Key.vocabulary] ?? ""
        guard let config = JSONCoding.decode(ModelConfig.self, configText) else { throw fail("quill.config metadata is not a valid model config") }
        // Sizes are checked before anything (the vocabulary, the list of tensor shapes) is built from them.
        do { try config.validate() } catch { throw fail("invalid config: \(error)") }
        guard let summary = JSONCoding.decode(TrainingSummary.self, file.metadata[Key.training] ?? "") else {
            throw fail("quill.training metadata is missing or invalid")
        }
        let vocabulary: Vocabulary
        do {
            vocabulary = try Vocabulary(jsonString: vocabularyText)
            try vocabulary.validate(level: summary.level)
        } catch { throw fail("quill.vocabulary: \(error)") }
        guard vocabulary.count == config.vocabularySize else {
            throw fail("vocabulary has \(vocabulary.count) tokens but the model config says \(config.vocabularySize)")
        }
        self.config = config
        self.vocabulary = vocabulary
        self.summary = summary
        self.weights = file
        try LanguageModel.checkWeights(in: file, config: config, path: path)
    }

    /// A model holding these weights.
    public func makeModel(path: String = "<checkpoint>") throws -> LanguageModel {
        try LanguageModel(config: config, tensors: weights, path: path)
    }
}
