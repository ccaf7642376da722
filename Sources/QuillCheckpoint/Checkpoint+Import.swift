import Foundation
import QuillCore
import QuillModel
import QuillText

extension Checkpoint {
    /// A Quill checkpoint from a plain PyTorch word_language_model (`RNNModel`) state dict and its
    /// vocabulary: the shape, cell and tying are read from the tensors (`cell` must name a vanilla
    /// RNN's nonlinearity, which they cannot show), the weights and the vocabulary are checked, and
    /// the result holds exactly the tensors Quill writes, under the same names.
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
        do { try vocabulary.validate(level: level) } catch {
            throw QuillError.badCheckpoint(path: path, problem: "its vocabulary cannot be used: \(error)")
        }
        let model = try LanguageModel(config: config, tensors: weights, path: path)
        self.init(model: model, vocabulary: vocabulary, summary: TrainingSummary(level: level, mode: .stream))
    }
}
