import QuillCore

extension Vocabulary {
    /// The vocabulary of a byte-level BPE: `specials` first, then the 256 bytes and one token per
    /// merge, each written in `ByteAlphabet` characters (Hugging Face's form: `Ġthe`).
    public init(merges: BytePairMerges, specials: [String]) throws {
        try self.init(tokens: specials + merges.tokenStrings, specialCount: specials.count, merges: merges)
    }

    /// A bpe vocabulary of `size` tokens learned from `bytes` (`BytePairLearner`): the specials,
    /// the 256 bytes and as many merges as leave room for (fewer when the text runs out of pairs
    /// seen twice). Throws when `size` has no room for the specials and the bytes.
    public init(learningBytePairsFrom bytes: [UInt8], size: Int, sequenceMode: Bool) throws {
        let specials = Self.bytePairSpecials(sequenceMode: sequenceMode)
        guard size >= specials.count + 256 else {
            throw QuillError.invalidSetting(.init(.bytePairVocabularySize, size, "bytePairVocabularySize must be at least \(specials.count + 256) (the \(specials.count) specials and 256 bytes), got \(size)"))
        }
        try self.init(merges: BytePairLearner.learn(bytes, newTokens: size - specials.count - 256), specials: specials)
    }

    /// The specials a bpe vocabulary starts with: `<pad>` (never `<unk>`: nothing is unknown),
    /// then the mode's.
    public static func bytePairSpecials(sequenceMode: Bool) -> [String] {
        [pad] + extraSpecials(level: .bpe, sequenceMode: sequenceMode)
    }

    /// The bytes token `id` stands for in text: a bpe symbol's bytes, another level's token's
    /// UTF-8 as `displayText` shows it; specials and ids out of range have none.
    public func bytes(ofToken id: Int) -> [UInt8] {
        guard let merges else { return Array(displayText(id, level: .char).utf8) }
        guard id >= 0 && id < idSymbols.count, idSymbols[id] >= 0 else { return [] }
        return merges.symbolBytes[Int(idSymbols[id])]
    }

    /// The bpe vocabulary's merges as pairs of symbols (bytes 0–255, then each new token in
    /// order, `BytePairMerges`), for storing; nil for other vocabularies.
    var storedMerges: [[Int32]]? { merges?.pairs.map { [$0.left, $0.right] } }

    /// Merges read back from `storedMerges`' form.
    static func merges(stored: [[Int32]]) throws -> BytePairMerges {
        try BytePairMerges(pairs: stored.enumerated().map { k, pair in
            guard pair.count == 2 else { throw QuillError.runtime("merge \(k) has \(pair.count) symbols, not 2") }
            return .init(pair[0], pair[1])
        })
    }
}
