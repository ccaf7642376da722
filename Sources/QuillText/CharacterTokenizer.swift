import QuillCore

/// One token per Unicode scalar, newlines included, so any UTF-8 text works.
public struct CharacterTokenizer: Tokenizer {
    /// A character tokenizer.
    public init() {}

    /// Always `.char`.
    public var level: TokenLevel { .char }
    /// Characters are joined with nothing between them.
    public var joiner: String { "" }

    /// Distinct characters of UTF-8 `bytes` and their counts.
    public func count(_ bytes: [UInt8]) -> TokenCounts {
        var ascii = [Int](repeating: 0, count: 128)
        var others: [UInt32: Int] = [:]
        var order: [UInt32] = []
        var firstSeen = [Int](repeating: Int.max, count: 128)
        bytes.withUnsafeBufferPointer { p in
            var i = 0
            while i < p.count {
                let b = p[i]
                if b < 0x80 {
                    if ascii[Int(b)] == 0 { firstSeen[Int(b)] = i }
                    ascii[Int(b)] += 1
                    i += 1
                } else if let (scalar, length) = UTF8Scanner.decode(p, at: i) {
                    if others[scalar] == nil { order.append(scalar) }
                    others[scalar, default: 0] += 1
                    i += length
                } else {
                    i += 1 // invalid bytes are rejected by TextFile before they get here
                }
            }
        }
        var result = TokenCounts()
        // First-appearance order is only for display; the vocabulary sorts by count and bytes.
        for b in (0..<128).filter({ ascii[$0] > 0 }).sorted(by: { firstSeen[$0] < firstSeen[$1] }) {
            result.tokens.append([UInt8(b)])
            result.counts.append(ascii[b])
        }
        for scalar in order {
            result.tokens.append(UTF8Scanner.encode(scalar))
            result.counts.append(others[scalar]!)
        }
        return result
    }

    /// Ids of UTF-8 `bytes`: characters the vocabulary lacks become `<unk>`, or are dropped
    /// (and counted) when it has none.
    public func encode(_ bytes: [UInt8], vocabulary: Vocabulary) -> EncodedText {
        // Without <unk> in the vocabulary, unknown characters are dropped (and counted).
        var lookup = CharacterIDs(vocabulary: vocabulary)
        let unk = lookup.unknownID
        var unknown = 0, dropped = 0
        let ids = TokenIDs(capacity: bytes.count, vocabularySize: vocabulary.count) { append in
            bytes.withUnsafeBufferPointer { p in
                var i = 0
                while i < p.count {
                    let b = p[i]
                    let id: Int32
                    if b < 0x80 {
                        id = lookup.id(ascii: b)
                        i += 1
                    } else if let (scalar, length) = UTF8Scanner.decode(p, at: i) {
                        id = lookup.id(scalar: scalar, in: p, at: i, length: length)
                        i += length
                    } else {
                        id = unk
                        i += 1
                    }
                    if id == unk {
                        unknown += 1
                        if id < 0 { dropped += 1; continue }
                    }
                    append(UInt32(id))
                }
            }
        }
        return EncodedText(ids: ids, unknown: unknown, dropped: dropped)
    }

    /// The text of `ids` (specials print as nothing).
    public func decode<S: Sequence>(_ ids: S, vocabulary: Vocabulary) -> String where S.Element: BinaryInteger {
        var out = ""
        for id in ids { out += vocabulary.displayText(Int(id), level: .char) }
        return out
    }
}
