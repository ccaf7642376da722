import Foundation

/// What one token is.
public enum TokenLevel: String, Codable, Sendable, CaseIterable {
    /// One Unicode scalar per token; newlines are tokens too.
    case char
    /// Whitespace-separated words, with `<eos>` closing every line (PyTorch word_language_model).
    case word
    /// Byte-level BPE: bytes, and merges of them learned from the training text (`BytePairLearner`).
    case bpe

    /// The tokenizer for this level.
    public var tokenizer: any Tokenizer {
        switch self {
        case .char: return CharacterTokenizer()
        case .word: return WordTokenizer()
        case .bpe: return BytePairTokenizer()
        }
    }

    /// Bits per character of a loss in nats per token, for a text of `tokensPerCharacter`: the
    /// total nats over the text's characters, / ln 2 (at char level a token is a character).
    /// `quill perplexity` and training's validation lines both report this.
    ///
    /// At word level it is nil when the text has `unknownTokens`: a word read as `<unk>` (or left
    /// out) was not predicted letter by letter, so its cost is not the cost of its characters,
    /// and the figure would not compare with the other levels'. With every word known it is the
    /// nats over the words and line ends (`<eos>`) spread over all the text's characters, spaces
    /// and newlines included, though the model never predicts how many spaces stand between
    /// two words.
    public func bitsPerCharacter(natsPerToken: Double, tokensPerCharacter: Double, unknownTokens: Int = 0) -> Double? {
        guard hasBitsPerCharacter(unknownTokens: unknownTokens) else { return nil }
        return natsPerToken / Foundation.log(2.0) * (self == .char ? 1 : tokensPerCharacter)
    }

    /// Whether a text with `unknownTokens` has a bits-per-character figure at this level (see
    /// `bitsPerCharacter`): always at the char and bpe levels, at word level only with none unknown.
    public func hasBitsPerCharacter(unknownTokens: Int) -> Bool {
        self != .word || unknownTokens == 0
    }
}
