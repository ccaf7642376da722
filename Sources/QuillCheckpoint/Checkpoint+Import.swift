import Foundation
import QuillCore
import QuillModel
import QuillText

extension Checkpoint {
    /// A Quill checkpoint from a plain PyTorch word_language_model (`RNNModel`) state dict and its
    /// vocabulary: the shape, cell and tying are read from the tensors (`cell` must name a vanilla
    /// RNN's nonlinearity, which they cannot show), the weights and the vocabulary are checked, and
    /// the result holds exactly the tensors Quill writes, under the same names.
    ///
    /// Every tensor of the state dict must be used: one the model has no place for (another
    /// module's, a layer's beyond a gap, a misspelt name) is refused by name rather than dropped.
    /// This is the one path from a state dict to a model (`quill import` and
    /// `LoadedModel(path:vocabularyFile:…)` both take it).
    /// - Parameters:
    ///   - stateDict: the tensors, as `safetensors.torch.save_file` or `save_model` wrote them.
    ///   - vocabulary: the tokens in id order (`idx2word`), checked for `level`.
    ///   - level: how text is tokenized for this model.
    public init(importing stateDict: SafeTensors, path: String, vocabulary: Vocabulary, level: TokenLevel,
                cell: ModelConfig.Cell? = nil) throws {
        let weights = LanguageModel.withEncoderWeight(stateDict)
        let config = try LanguageModel.inferConfig(from: weights, path: path, cell: cell)
        guard config.vocabularySize == vocabulary.count else {
            throw QuillError.badCheckpoint(path: path, problem: "the embedding has \(config.vocabularySize) rows but the vocabulary lists \(vocabulary.count) tokens")
        }
        do { try config.validate() } catch { throw QuillError.badCheckpoint(path: path, problem: "invalid shape: \(error)") }
        try Self.refuseUnusedTensors(in: stateDict, config: config, path: path)
        do { try vocabulary.validate(level: level) } catch {
            throw QuillError.badCheckpoint(path: path, problem: "its vocabulary cannot be used: \(error)")
        }
        let model = try LanguageModel(config: config, tensors: weights, path: path)
        self.init(model: model, vocabulary: vocabulary, summary: TrainingSummary(level: level, mode: .stream))
    }

    /// Refuses a state dict holding a tensor that `config`'s model does not read, naming it (and
    /// how many more there are). `decoder.weight` of a tied model is read: it is the shared matrix.
    static func refuseUnusedTensors(in stateDict: SafeTensors, config: ModelConfig, path: String) throws {
        var used = Set(config.parameterShapes.map(\.0))
        if config.tieWeights { used.insert("decoder.weight") }
        let unused = stateDict.order.filter { !used.contains($0) }
        guard let first = unused.first else { return }
        let more = unused.count > 1 ? " (and \(unused.count - 1) more: \(unused.dropFirst().prefix(3).map { "'\($0)'" }.joined(separator: ", "))\(unused.count > 4 ? ", …" : ""))" : ""
        throw QuillError.badCheckpoint(path: path, problem: "tensor '\(first)'\(more) has no place in a \(config.layers)-layer \(config.cell.rawValue) language model; a state dict to import holds only encoder, rnn and decoder weights")
    }
}
