import Foundation
import QuillCore
import QuillModel
import QuillText

/// Scores held-out text: the whole file streamed through the model in evaluation mode, with the
/// state carried across windows as PyTorch's word_language_model evaluates.
public struct PerplexityEvaluator {
    /// The result of scoring one text.
    public struct Result: Sendable, Equatable {
        /// Positions scored.
        public let tokens: Int
        /// Tokens of the text the vocabulary lacks.
        public let unknown: Int
        /// Tokens in the encoded text (scored or not).
        public let textTokens: Int
        /// Mean cross-entropy, nats per token.
        public let crossEntropy: Double
        /// exp(cross-entropy).
        public var perplexity: Double { Foundation.exp(crossEntropy) }
        /// Share of the text's tokens that the vocabulary lacks.
        public var unknownShare: Double { textTokens == 0 ? 0 : Double(unknown) / Double(textTokens) }
        /// Bits per token; bits per character at char level.
        public var bitsPerToken: Double { crossEntropy / Foundation.log(2.0) }
        /// Unicode characters (scalars) of the text after normalisation (CR LF read as LF).
        public var characters = 0
        /// Bits per character at the char and bpe levels (nil at word level): the total nats over
        /// the text's characters, / ln 2. Positions the batching leaves unscored count at the mean,
        /// so this is nats per token × the text's tokens per character, / ln 2: at char level,
        /// `bitsPerToken` exactly.
        public var bitsPerCharacter: Double? {
            guard level != .word, characters > 0 else { return nil }
            return level == .char ? bitsPerToken : bitsPerToken * Double(textTokens) / Double(characters)
        }
        /// Bytes of the text after normalisation.
        public var bytes = 0
        /// Bits per UTF-8 byte at the char and bpe levels, counted as `bitsPerCharacter` is.
        public var bitsPerByte: Double? {
            guard level != .word, bytes > 0 else { return nil }
            return bitsPerToken * Double(textTokens) / Double(bytes)
        }
        /// The level of the model scored.
        public var level: TokenLevel = .char
    }

    /// The model scored.
    public let loaded: LoadedModel
    /// B: streams scored side by side.
    public let batchSize: Int
    /// T: window length.
    public let steps: Int

    /// - Parameters:
    ///   - batchSize: B contiguous streams scored side by side, each from a zero state (B = 1 scores
    ///     the text as one stream; a larger B loses a little left context at each stream start).
    ///   - steps: T, window length; the state is carried between windows.
    public init(loaded: LoadedModel, batchSize: Int = 10, steps: Int = 64) throws {
        guard batchSize > 0 else { throw QuillError.invalidSetting(.positive(.batchSize, batchSize)) }
        guard steps > 0 else { throw QuillError.invalidSetting(.positive(.sequenceLength, steps)) }
        try MemoryEstimate(config: loaded.model.config, batch: batchSize, steps: steps, training: false)
            .check(setting: .batchSize, related: [.sequenceLength], parametersFrom: "the checkpoint",
                   activationsFrom: "batchSize \(batchSize) × sequenceLength \(steps)")
        self.loaded = loaded
        self.batchSize = batchSize
        self.steps = steps
    }

    /// Scores a text file.
    public func evaluate(file path: String) throws -> Result {
        try evaluate(try TextFile(path: path))
    }

    /// Scores text in memory.
    public func evaluate(text: String) throws -> Result {
        try evaluate(try TextFile(path: "text", bytes: Array(text.utf8)))
    }

    private func evaluate(_ text: TextFile) throws -> Result {
        let path = text.path
        let encoded = loaded.level.tokenizer.encode(text.bytes, vocabulary: loaded.vocabulary)
        // Line ends are known at word level whatever the text, so they do not count as known words.
        let lineEnds = loaded.level == .word ? encoded.ids.lazy.filter { $0 == self.loaded.vocabulary.eosID }.count : 0
        guard encoded.unknown < encoded.tokenCount - lineEnds else {
            throw QuillError.badText(path: path, problem: "none of its tokens is in the model's vocabulary")
        }
        let batcher: TrainBatcher
        if loaded.mode == .lines {
            let separator = loaded.vocabulary.lineEndID(level: loaded.level)
            batcher = .lines(try SequenceBatcher(ids: encoded.ids, separatorID: separator, vocabulary: loaded.vocabulary,
                                                 batchSize: batchSize, maxLength: 1 << 20, seed: 0))
        } else {
            guard encoded.ids.count >= 2 * batchSize else {
                throw QuillError.invalidSetting(InvalidSetting(.batchSize, batchSize, "\(path): \(encoded.ids.count) tokens is too short to score with batchSize \(batchSize) (needs \(2 * batchSize)); try a smaller batchSize"))
            }
            batcher = .stream(try StreamBatcher(ids: encoded.ids, batchSize: batchSize, steps: steps))
        }
        let (sum, count) = Evaluator.score(model: loaded.model, batcher: batcher)
        guard sum.isFinite else {
            throw QuillError.runtime("the model's predictions on \(path) are not finite (cross-entropy \(sum / Double(max(1, count)))); its weights are probably far too large, as after a diverging training run")
        }
        var result = Result(tokens: count, unknown: encoded.unknown, textTokens: encoded.tokenCount,
                            crossEntropy: sum / Double(max(1, count)))
        result.level = loaded.level
        result.characters = text.bytes.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        result.bytes = text.bytes.count
        return result
    }
}
