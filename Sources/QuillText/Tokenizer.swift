import QuillCore

/// Turns text into token ids and back. Implementations work on UTF-8 bytes so that counting and
/// encoding stream through a corpus without a `String` per token.
public protocol Tokenizer: Sendable {
    var level: TokenLevel { get }

    /// Counts every distinct token of `bytes` (valid UTF-8).
    func count(_ bytes: [UInt8]) -> TokenCounts

    /// Encodes `bytes` into ids of `vocabulary`; tokens it lacks become `<unk>`.
    func encode(_ bytes: [UInt8], vocabulary: Vocabulary) -> EncodedText

    /// Text for a sequence of ids (specials other than `<eos>` and `<unk>` are left out).
    func decode<S: Sequence>(_ ids: S, vocabulary: Vocabulary) -> String where S.Element: BinaryInteger

    /// The separator placed between two decoded tokens.
    var joiner: String { get }
}

/// Ids of an encoded text and how many of its tokens were not in the vocabulary.
public struct EncodedText: Sendable {
    /// The token ids, in text order.
    public var ids: TokenIDs
    /// Tokens that mapped to `<unk>` because the vocabulary lacks them (a literal `<unk>` in the
    /// text is counted here too: it stands for an unknown word either way).
    public var unknown: Int
    /// Unknown tokens left out of `ids` because the vocabulary has no `<unk>` to stand for them.
    public var dropped: Int = 0
    /// Tokens in the text, kept or dropped.
    public var tokenCount: Int { ids.count + dropped }
}

extension EncodedText {
    /// Throws `QuillError.badText` when none of a text's `tokens` is known to the model: `unknown`
    /// of them are not, and its `lineEnds` (word level's `<eos>`) are known whatever the text, so
    /// they do not count as known words. Scoring a text refuses it then, in memory or in chunks.
    package static func requireSomeKnown(unknown: Int, tokens: Int, lineEnds: Int, path: String) throws {
        guard unknown < tokens - lineEnds else {
            throw QuillError.badText(path: path, problem: "none of its tokens is in the model's vocabulary")
        }
    }

    /// `requireSomeKnown` for this encoding of a text at `level`.
    package func requireSomeKnown(level: TokenLevel, vocabulary: Vocabulary, path: String) throws {
        let lineEnds = level == .word ? ids.lazy.filter { $0 == vocabulary.eosID }.count : 0
        try Self.requireSomeKnown(unknown: unknown, tokens: tokenCount, lineEnds: lineEnds, path: path)
    }

    /// The same text with every `id` left out (counted as dropped): how skipped unknown tokens
    /// leave the stream.
    public func dropping(id: Int, vocabularySize: Int) -> EncodedText {
        let kept = TokenIDs(ids.lazy.filter { $0 != id }, vocabularySize: vocabularySize)
        return EncodedText(ids: kept, unknown: unknown, dropped: dropped + ids.count - kept.count)
    }
}
