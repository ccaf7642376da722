/// Byte-level BPE: the merges travel in the vocabulary (`Vocabulary.merges`), so this tokenizer
/// holds nothing and encodes with whichever vocabulary it is given. Nothing is ever unknown:
/// every byte is a token.
public struct BytePairTokenizer: Tokenizer {
    /// A BPE tokenizer.
    public init() {}

    /// Always `.bpe`.
    public var level: TokenLevel { .bpe }
    /// Tokens are joined with nothing between them.
    public var joiner: String { "" }

    /// Each distinct byte of `bytes` as a one-byte token, written as a vocabulary writes it
    /// (`ByteAlphabet`): a bpe vocabulary holds all 256, so no text has a token it lacks. Merged
    /// tokens are learned (`BytePairLearner`), not counted.
    public func count(_ bytes: [UInt8]) -> TokenCounts {
        var counts = [Int](repeating: 0, count: 256)
        for b in bytes { counts[Int(b)] += 1 }
        var result = TokenCounts()
        for b in 0..<256 where counts[b] > 0 {
            result.tokens.append(Array(ByteAlphabet.string([UInt8(b)]).utf8))
            result.counts.append(counts[b])
        }
        return result
    }

    /// Ids of UTF-8 `bytes` under the vocabulary's merges. A vocabulary without merges (not a bpe
    /// one) encodes nothing: every token is dropped and counted unknown.
    public func encode(_ bytes: [UInt8], vocabulary: Vocabulary) -> EncodedText {
        guard let merges = vocabulary.merges else {
            return EncodedText(ids: TokenIDs([Int](), vocabularySize: vocabulary.count), unknown: bytes.count, dropped: bytes.count)
        }
        let ids = BytePairEncoder(merges: merges).encode(bytes, ids: vocabulary.symbolIDs)
        return EncodedText(ids: TokenIDs(ids, vocabularySize: vocabulary.count), unknown: 0)
    }

    /// The text of `ids`: their bytes joined, decoded as UTF-8 (bytes that form no character read
    /// as U+FFFD); specials print as nothing.
    public func decode<S: Sequence>(_ ids: S, vocabulary: Vocabulary) -> String where S.Element: BinaryInteger {
        var bytes: [UInt8] = []
        for id in ids { bytes += vocabulary.bytes(ofToken: Int(id)) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
