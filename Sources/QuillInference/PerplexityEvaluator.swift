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
        /// Bits per character (`TokenLevel.bitsPerCharacter`; at word level only when every
        /// token is known, nil otherwise): the total nats over the text's characters, / ln 2.
        /// Positions the batching leaves unscored count at the mean, so this is nats per token ×
        /// the text's tokens per character, / ln 2: at char level, `bitsPerToken` exactly.
        public var bitsPerCharacter: Double? {
            guard characters > 0 else { return nil }
            return level.bitsPerCharacter(natsPerToken: crossEntropy, tokensPerCharacter: Double(textTokens) / Double(characters),
                                          unknownTokens: unknown)
        }
        /// Bytes of the text after normalisation.
        public var bytes = 0
        /// Bits per UTF-8 byte, counted as `bitsPerCharacter` is (and nil where it is).
        public var bitsPerByte: Double? {
            guard bytes > 0, level.hasBitsPerCharacter(unknownTokens: unknown) else { return nil }
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
        try MemoryEstimate(config: loaded.model.config, batch: batchSize, steps: steps, training: false, distribution: false)
            .check(setting: .batchSize, related: [.sequenceLength], parametersFrom: "the checkpoint",
                   activationsFrom: "batchSize \(batchSize) × sequenceLength \(steps)")
        self.loaded = loaded
        self.batchSize = batchSize
        self.steps = steps
    }

    /// Scores a text file, read a chunk at a time: one pass counts its tokens and notes where
    /// each stream starts, then the windows are read as they are scored, so memory holds the model,
    /// one batch and a few chunks whatever the file's size. The result is the one `evaluate(text:)`
    /// gives for the same text, to the bit.
    public func evaluate(file path: String) throws -> Result {
        try evaluate(file: path, chunkSize: nil)
    }

    /// The same with `chunkSize` bytes read at a time (nil: sizes fit for large files).
    package func evaluate(file path: String, chunkSize: Int?) throws -> Result {
        let file = try TextFileReader(path: path, chunkSize: chunkSize ?? 1 << 20)
        let vocabulary = loaded.vocabulary, level = loaded.level
        let separator = loaded.mode == .lines ? vocabulary.lineEndID(level: level) : nil
        let index = try TokenIndex(file: file, level: level, vocabulary: vocabulary,
                                   countedID: level == .word ? vocabulary.eosID : nil, separatorID: separator,
                                   chunkSize: chunkSize ?? 1 << 20)
        try EncodedText.requireSomeKnown(unknown: index.unknown, tokens: index.tokenCount, lineEnds: index.countedIDs, path: path)
        let next: () throws -> Batch?
        if loaded.mode == .lines {
            _ = try SequenceBatcher.specials(of: vocabulary)
            guard index.nonEmptyLines > 0 else { throw SequenceBatcher.noLines }
            next = try FileLineBatches(file: file, level: level, vocabulary: vocabulary, separatorID: separator,
                                       batchSize: batchSize, maxLength: Self.maxLineLength,
                                       chunkSize: chunkSize ?? 1 << 20).next
        } else {
            try checkLength(index.idCount, path: path)
            // The B streams hold 1 MB of bytes in all, and their ids (4 bytes each).
            next = try FileStreamBatches(file: file, level: level, vocabulary: vocabulary, index: index,
                                         batchSize: batchSize, steps: steps,
                                         chunkSize: chunkSize ?? min(1 << 18, max(1 << 12, (1 << 20) / batchSize))).next
        }
        var failure: (any Error)?
        let batches = AnyIterator<Batch> {
            do { return try next() } catch { failure = error; return nil }
        }
        let (sum, count) = Evaluator.score(model: loaded.model, batches: batches)
        if let failure { throw failure }
        return try result(sum: sum, count: count, unknown: index.unknown, textTokens: index.tokenCount,
                          characters: file.characterCount, bytes: file.textByteCount, path: path)
    }

    /// Scores text in memory.
    public func evaluate(text: String) throws -> Result {
        try evaluate(try TextFile(path: "text", bytes: Array(text.utf8)))
    }

    /// Scores a file read whole, its ids all in memory: what `evaluate(file:)` did before it read
    /// files in chunks, kept as the reference it is tested against.
    package func evaluateWhole(file path: String) throws -> Result {
        try evaluate(try TextFile(path: path))
    }

    /// Lines longer than this many tokens are cut in lines mode.
    static let maxLineLength = 1 << 20

    private func evaluate(_ text: TextFile) throws -> Result {
        let path = text.path
        let encoded = loaded.level.tokenizer.encode(text.bytes, vocabulary: loaded.vocabulary)
        try encoded.requireSomeKnown(level: loaded.level, vocabulary: loaded.vocabulary, path: path)
        let batcher: TrainBatcher
        if loaded.mode == .lines {
            let separator = loaded.vocabulary.lineEndID(level: loaded.level)
            batcher = .lines(try SequenceBatcher(ids: encoded.ids, separatorID: separator, vocabulary: loaded.vocabulary,
                                                 batchSize: batchSize, maxLength: Self.maxLineLength, seed: 0))
        } else {
            try checkLength(encoded.ids.count, path: path)
            batcher = .stream(try StreamBatcher(ids: encoded.ids, batchSize: batchSize, steps: steps))
        }
        let (sum, count) = Evaluator.score(model: loaded.model, batcher: batcher)
        return try result(sum: sum, count: count, unknown: encoded.unknown, textTokens: encoded.tokenCount,
                          characters: UTF8Scanner.scalarCount(text.bytes), bytes: text.bytes.count,
                          path: path)
    }

    private func checkLength(_ ids: Int, path: String) throws {
        guard ids >= 2 * batchSize else {
            throw QuillError.invalidSetting(InvalidSetting(.batchSize, batchSize, "\(path): \(ids) tokens is too short to score with batchSize \(batchSize) (needs \(2 * batchSize)); try a smaller batchSize"))
        }
    }

    private func result(sum: Double, count: Int, unknown: Int, textTokens: Int, characters: Int, bytes: Int,
                        path: String) throws -> Result {
        guard sum.isFinite else {
            throw QuillError.runtime("the model's predictions on \(path) are not finite (cross-entropy \(sum / Double(max(1, count)))); its weights are probably far too large, as after a diverging training run")
        }
        var result = Result(tokens: count, unknown: unknown, textTokens: textTokens, crossEntropy: sum / Double(max(1, count)))
        result.level = loaded.level
        result.characters = characters
        result.bytes = bytes
        return result
    }
}
