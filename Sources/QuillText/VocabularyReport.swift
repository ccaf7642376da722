
/// What the tokenizer and vocabulary builder make of a text: the figures `quill vocab` prints.
public struct VocabularyReport: Sendable {
    /// How the text was tokenized.
    public let level: TokenLevel
    /// Tokens in the text (at word level, one `<eos>` per line included).
    public let tokens: Int
    /// Distinct tokens in the text.
    public let distinct: Int
    /// Size of the vocabulary built from it, specials included.
    public let vocabularySize: Int
    /// Tokens that would map to `<unk>` under that vocabulary.
    public let unknownTokens: Int
    /// The most frequent tokens with their counts, most frequent first.
    public let top: [(token: String, count: Int)]
    /// The vocabulary built from the text.
    public let vocabulary: Vocabulary

    /// Share of tokens not mapped to `<unk>`.
    public var coverage: Double { tokens == 0 ? 0 : Double(tokens - unknownTokens) / Double(tokens) }

    /// Counts `text`, builds its vocabulary and measures coverage.
    package init(text: TextFile, level: TokenLevel, minimumCount: Int = 1, maximumSize: Int? = nil,
                sequenceMode: Bool = false, topCount: Int = 20) throws {
        let tokenizer = level.tokenizer
        let counts = tokenizer.count(text.bytes)
        let vocabulary = try Vocabulary(counts: counts,
                                        specials: Vocabulary.extraSpecials(level: level, sequenceMode: sequenceMode),
                                        minimumCount: minimumCount, maximumSize: maximumSize)
        var unknown = 0
        for (token, count) in zip(counts.tokens, counts.counts) {
            let id = vocabulary.id(forBytes: token)
            if id == nil || id == vocabulary.unknownID { unknown += count }
        }
        let ranked = zip(counts.tokens, counts.counts).sorted { a, b in
            a.1 != b.1 ? a.1 > b.1 : a.0.lexicographicallyPrecedes(b.0)
        }
        self.level = level
        self.tokens = counts.total
        self.distinct = counts.distinct
        self.vocabularySize = vocabulary.count
        self.unknownTokens = unknown
        self.top = ranked.prefix(topCount).map { (String(decoding: $0.0, as: UTF8.self), $0.1) }
        self.vocabulary = vocabulary
    }
}
