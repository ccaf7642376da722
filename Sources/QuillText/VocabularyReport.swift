import QuillCore


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
    /// At the bpe level, the longest tokens learned (their text; bytes that are not whole
    /// characters show as U+FFFD), longest first (ties by id); empty at other levels.
    public let longest: [String]

    /// Share of tokens not mapped to `<unk>`.
    public var coverage: Double { tokens == 0 ? 0 : Double(tokens - unknownTokens) / Double(tokens) }

    /// Counts `text`, builds its vocabulary and measures coverage.
    /// At the bpe level, `bytePairVocabularySize` tokens are learned from the whole text (less
    /// when it runs out of pairs) and `minimumCount` and `maximumSize` do not apply.
    package init(text: TextFile, level: TokenLevel, minimumCount: Int = 1, maximumSize: Int? = nil,
                sequenceMode: Bool = false, topCount: Int = 20, bytePairVocabularySize: Int = 2048) throws {
        if level == .bpe {
            try self.init(bytePairsOf: text, size: bytePairVocabularySize, sequenceMode: sequenceMode, topCount: topCount)
        } else {
            try self.init(counting: text, level: level, minimumCount: minimumCount, maximumSize: maximumSize,
                          sequenceMode: sequenceMode, topCount: topCount)
        }
    }

    /// The char and word levels' report: tokens counted, a vocabulary built from the counts.
    private init(counting text: TextFile, level: TokenLevel, minimumCount: Int, maximumSize: Int?, sequenceMode: Bool,
                 topCount: Int) throws {
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
        self.longest = []
    }

    /// The bpe level's report: merges learned from the text, which is then encoded with them.
    private init(bytePairsOf text: TextFile, size: Int, sequenceMode: Bool, topCount: Int) throws {
        let vocabulary = try Vocabulary(learningBytePairsFrom: text.bytes, size: size, sequenceMode: sequenceMode)
        let ids = BytePairTokenizer().encode(text.bytes, vocabulary: vocabulary).ids
        var counts = [Int](repeating: 0, count: vocabulary.count)
        for id in ids { counts[Int(id)] += 1 }
        func shown(_ id: Int) -> String { String(decoding: vocabulary.bytes(ofToken: id), as: UTF8.self) }
        let used = counts.indices.filter { counts[$0] > 0 }
        self.level = .bpe
        self.tokens = ids.count
        self.distinct = used.count
        self.vocabularySize = vocabulary.count
        self.unknownTokens = 0
        self.top = used.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }.prefix(topCount).map { (shown($0), counts[$0]) }
        let symbols = vocabulary.specialCount..<vocabulary.count
        self.longest = symbols.sorted { a, b in
            let (la, lb) = (vocabulary.bytes(ofToken: a).count, vocabulary.bytes(ofToken: b).count)
            return la != lb ? la > lb : a < b
        }.prefix(topCount).map(shown)
        self.vocabulary = vocabulary
    }
}
