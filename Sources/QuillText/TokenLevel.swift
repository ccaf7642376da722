
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
}
