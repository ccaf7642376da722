import QuillCore

/// Words split on ASCII whitespace, with `<eos>` closing every line, as PyTorch's
/// word_language_model reads a corpus (`line.split() + ['<eos>']` for each line). A last line
/// without a newline still gets its `<eos>`; a file ending in a newline gets no extra empty line.
public struct WordTokenizer: Tokenizer {
    /// A word tokenizer.
    public init() {}

    /// Always `.word`.
    public var level: TokenLevel { .word }
    /// Words are joined with a space.
    public var joiner: String { " " }

    /// Calls `word(start, length)` for each word and `endOfLine()` after each line.
    @inline(__always)
    func scan(_ p: UnsafeBufferPointer<UInt8>, word: (Int, Int) -> Void, endOfLine: () -> Void) {
        var i = 0
        let n = p.count
        while i < n {
            // One line: words until the newline (or the end of the file).
            while i < n && p[i] != ASCII.newline {
                if ASCII.isWhitespace(p[i]) { i += 1; continue }
                let start = i
                while i < n && !ASCII.isWhitespace(p[i]) { i += 1 }
                word(start, i - start)
            }
            endOfLine()
            i += 1
        }
    }

    /// Distinct words of UTF-8 `bytes` and their counts, `<eos>` counted once per line.
    public func count(_ bytes: [UInt8]) -> TokenCounts {
        var table = ByteSliceTable(expectedCount: 1024)
        var counts: [Int] = []
        var lines = 0
        bytes.withUnsafeBufferPointer { p in
            scan(p, word: { start, length in
                let entry = table.insert(p.baseAddress! + start, length)
                if entry == counts.count { counts.append(0) }
                counts[entry] += 1
            }, endOfLine: { lines += 1 })
        }
        var result = TokenCounts()
        for entry in 0..<table.count {
            result.tokens.append(Array(table.key(entry)))
            result.counts.append(counts[entry])
        }
        let eos = Array(Vocabulary.eos.utf8)
        if let existing = result.tokens.firstIndex(of: eos) {
            result.counts[existing] += lines
        } else {
            result.tokens.append(eos)
            result.counts.append(lines)
        }
        return result
    }

    /// Ids of UTF-8 `bytes`, `<eos>` closing each line; unknown words become `<unk>`.
    public func encode(_ bytes: [UInt8], vocabulary: Vocabulary) -> EncodedText {
        // Without <unk> (or <eos>) in the vocabulary, such tokens are dropped and counted.
        let unk = vocabulary.unknownID.map(UInt32.init)
        let eos = vocabulary.eosID.map(UInt32.init) ?? unk
        var unknown = 0, dropped = 0
        let ids = TokenIDs(capacity: bytes.count / 5 + 1, vocabularySize: vocabulary.count) { append in
            bytes.withUnsafeBufferPointer { p in
                scan(p, word: { start, length in
                    let id = vocabulary.id(forBytes: p.baseAddress! + start, length).map(UInt32.init) ?? unk
                    if id == nil || id == unk { unknown += 1 }
                    if let id { append(id) } else { dropped += 1 }
                }, endOfLine: {
                    if eos == nil || eos == unk { unknown += 1 }
                    if let eos { append(eos) } else { dropped += 1 }
                })
            }
        }
        return EncodedText(ids: ids, unknown: unknown, dropped: dropped)
    }

    /// The text of `ids`: words joined by spaces, `<eos>` as a newline.
    public func decode<S: Sequence>(_ ids: S, vocabulary: Vocabulary) -> String where S.Element: BinaryInteger {
        var out = ""
        var atLineStart = true
        for id in ids {
            let id = Int(id)
            if id == vocabulary.eosID {
                out += "\n"
                atLineStart = true
                continue
            }
            let text = vocabulary.displayText(id, level: .word)
            if text.isEmpty { continue }
            if !atLineStart { out += " " }
            out += text
            atLineStart = false
        }
        return out
    }
}
