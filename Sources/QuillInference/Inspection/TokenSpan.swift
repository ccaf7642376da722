import QuillText

/// One token of an inspected text: its id and where it sits in the text, so a page can shade the
/// text itself rather than a re-spelling of it.
public struct TokenSpan: Sendable, Equatable {
    /// The token's id in the model's vocabulary (`<unk>` for one it lacks).
    public let id: Int
    /// Offset of the token's first character, in UTF-16 code units (how a browser indexes strings).
    public let utf16Offset: Int
    /// Length in UTF-16 code units: 1 for a line's `<eos>` (its newline), 0 for the `<eos>` of a
    /// last line without one.
    public let utf16Length: Int
    /// The token's characters as they stand in the text (`"\n"` for a line's `<eos>`).
    public let text: String

    /// A span.
    public init(id: Int, utf16Offset: Int, utf16Length: Int, text: String) {
        self.id = id
        self.utf16Offset = utf16Offset
        self.utf16Length = utf16Length
        self.text = text
    }

    /// The tokens of `text` as `level`'s tokenizer reads it, with where each stands: the ids are
    /// the tokenizer's (one per Unicode scalar at char level; words split on ASCII whitespace with
    /// `<eos>` closing every line at word level). A token the vocabulary lacks becomes `<unk>`, or
    /// is left out when it has none, as the tokenizer does.
    public static func spans(of text: String, level: TokenLevel, vocabulary: Vocabulary) -> [TokenSpan] {
        switch level {
        case .char: return characterSpans(of: text, vocabulary: vocabulary)
        case .word: return wordSpans(of: text, vocabulary: vocabulary)
        case .bpe: return bytePairSpans(of: text, vocabulary: vocabulary)
        }
    }

    /// A bpe token may end inside a character: each character belongs to the token that holds
    /// its first byte, so a span covers the characters that start in it (possibly none).
    private static func bytePairSpans(of text: String, vocabulary: Vocabulary) -> [TokenSpan] {
        let bytes = Array(text.utf8)
        // The UTF-16 offset of the first character starting at or after each byte offset.
        var utf16At = [Int](repeating: 0, count: bytes.count + 1)
        var byteOffset = 0, offset = 0
        for scalar in text.unicodeScalars {
            let width = scalar.utf8.count
            utf16At[byteOffset] = offset
            offset += scalar.utf16.count
            for b in (byteOffset + 1)..<(byteOffset + width) { utf16At[b] = offset }
            byteOffset += width
        }
        utf16At[bytes.count] = offset
        var spans: [TokenSpan] = []
        var start = 0
        for id in BytePairTokenizer().encode(bytes, vocabulary: vocabulary).ids {
            let end = start + vocabulary.bytes(ofToken: id).count
            spans.append(TokenSpan(id: id, utf16Offset: utf16At[start], utf16Length: utf16At[end] - utf16At[start],
                                   text: String(decoding: bytes[start..<end], as: UTF8.self)))
            start = end
        }
        return spans
    }

    private static func characterSpans(of text: String, vocabulary: Vocabulary) -> [TokenSpan] {
        var spans: [TokenSpan] = []
        var offset = 0
        for scalar in text.unicodeScalars {
            let piece = String(scalar)
            let width = scalar.utf16.count
            if let id = vocabulary.id(forBytes: Array(piece.utf8)) ?? vocabulary.unknownID {
                spans.append(TokenSpan(id: id, utf16Offset: offset, utf16Length: width, text: piece))
            }
            offset += width
        }
        return spans
    }

    private static func wordSpans(of text: String, vocabulary: Vocabulary) -> [TokenSpan] {
        var spans: [TokenSpan] = []
        let eos = vocabulary.eosID ?? vocabulary.unknownID
        var word = "", wordStart = 0, offset = 0
        func closeWord() {
            guard !word.isEmpty else { return }
            if let id = vocabulary.id(forBytes: Array(word.utf8)) ?? vocabulary.unknownID {
                spans.append(TokenSpan(id: id, utf16Offset: wordStart, utf16Length: offset - wordStart, text: word))
            }
            word = ""
        }
        for scalar in text.unicodeScalars {
            let isSpace = scalar.value < 0x80 && ASCII.isWhitespace(UInt8(scalar.value))
            if isSpace {
                closeWord()
                if scalar == "\n", let eos { spans.append(TokenSpan(id: eos, utf16Offset: offset, utf16Length: 1, text: "\n")) }
            } else {
                if word.isEmpty { wordStart = offset }
                word.unicodeScalars.append(scalar)
            }
            offset += scalar.utf16.count
        }
        closeWord()
        // The tokenizer closes a last line without a newline too (but adds no line to a file
        // ending in one).
        if !text.isEmpty, text.unicodeScalars.last != "\n", let eos {
            spans.append(TokenSpan(id: eos, utf16Offset: offset, utf16Length: 0, text: "\n"))
        }
        return spans
    }
}
