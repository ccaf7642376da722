import QuillText

/// A simple property of a text, measured at every token, that a cell of a model may track: the
/// features Karpathy, Johnson and Fei-Fei (2015) found cells for (quotes, line position, bracket
/// depth) and a few more. Each value is the feature's state once the token has been read.
public enum TextFeature: String, CaseIterable, Sendable, Codable {
    /// 1 inside a double-quoted passage (the opening quote counts as inside, the closing one
    /// not), else 0. At word level a word that opens or closes a quote counts as inside.
    case insideQuotes = "inside quotes"
    /// Characters (words, at word level) since the line began; a newline or `<eos>` is 0.
    case positionInLine = "position in line"
    /// How many of ( [ { are open, never below 0.
    case bracketDepth = "bracket depth"
    /// 1 on the first letter or digit of a word, else 0 (char level only).
    case startOfWord = "start of word"
    /// 1 when the character (at word level, the word's first character) is upper case.
    case upperCase = "upper case"
    /// Words since the sentence began (word level only): a word ending in . ! or ? and a line
    /// end close a sentence; the next word is at 0.
    case positionInSentence = "position in sentence"

    /// The features measured for texts of `level`.
    public static func features(for level: TokenLevel) -> [TextFeature] {
        switch level {
        case .char, .bpe: return [.insideQuotes, .positionInLine, .bracketDepth, .startOfWord, .upperCase]
        case .word: return [.insideQuotes, .positionInLine, .bracketDepth, .upperCase, .positionInSentence]
        }
    }

    /// The feature at each of `tokens` (each token's text; a line end is `"\n"`), read in order.
    /// - Parameter level: how the tokens were cut (characters or words).
    public func values(of tokens: [String], level: TokenLevel) -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(tokens.count)
        var quoted = false, depth = 0, position = 0
        var previousWasWordCharacter = false
        for token in tokens {
            let scalars = token.unicodeScalars
            let isLineEnd = token == "\n"
            switch self {
            case .insideQuotes:
                let before = quoted
                for s in scalars where Self.quotes.contains(s) { quoted.toggle() }
                values.append(level == .word ? ((before || quoted) ? 1 : 0) : (quoted ? 1 : 0))
            case .positionInLine:
                position = isLineEnd ? 0 : position + 1
                values.append(Double(position))
            case .bracketDepth:
                for s in scalars {
                    if Self.openers.contains(s) { depth += 1 } else if Self.closers.contains(s) { depth = max(0, depth - 1) }
                }
                values.append(Double(depth))
            case .startOfWord:
                let isWordCharacter = scalars.first.map(Self.isWordCharacter) ?? false
                values.append(isWordCharacter && !previousWasWordCharacter ? 1 : 0)
                previousWasWordCharacter = isWordCharacter
            case .upperCase:
                values.append(scalars.first?.properties.isUppercase == true ? 1 : 0)
            case .positionInSentence:
                values.append(Double(position))
                let last = scalars.last
                position = isLineEnd || last == "." || last == "!" || last == "?" ? 0 : position + 1
            }
        }
        return values
    }

    private static let quotes: Set<Unicode.Scalar> = ["\"", "\u{201C}", "\u{201D}"]
    private static let openers: Set<Unicode.Scalar> = ["(", "[", "{"]
    private static let closers: Set<Unicode.Scalar> = [")", "]", "}"]

    private static func isWordCharacter(_ s: Unicode.Scalar) -> Bool {
        s.properties.isAlphabetic || s.properties.numericType != nil
    }
}
