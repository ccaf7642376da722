import QuillCore

extension Vocabulary {
    /// The tokens a vocabulary may hold as specials, by name.
    static let specialNames: Set<String> = [pad, unk, bos, eos]

    /// Checks that this vocabulary can be used at `level` (nil: at any level, what holds at
    /// every level), whatever it came from (a checkpoint's
    /// metadata, a PyTorch `idx2word` file, a JSON array): no token is empty; its leading
    /// `specialCount` tokens are specials (`<pad>`, `<unk>`, `<bos>`, `<eos>`); at character level
    /// every other token is one Unicode scalar, as `CharacterTokenizer` makes them, or a special
    /// by name (PyTorch vocabularies may hold those anywhere). Duplicates cannot reach here: the
    /// initializer refuses them. Throws `QuillError.runtime` naming the token and its id.
    public func validate(level: TokenLevel?) throws {
        func fail(_ id: Int, _ problem: String) -> QuillError {
            .runtime("token \(id) \(problem)")
        }
        if level == .bpe && merges == nil {
            throw QuillError.runtime("a bpe vocabulary needs its merges, and this one has none")
        }
        if let level, level != .bpe, merges != nil {
            throw QuillError.runtime("vocabulary has bpe merges but is used at the \(level.rawValue) level")
        }
        for (id, token) in tokens.enumerated() {
            if token.isEmpty { throw fail(id, "is empty") }
            let special = Self.specialNames.contains(token)
            if id < specialCount && !special {
                throw fail(id, "(\(Display.token(token))) is counted as a special but is none of \(Self.pad), \(Self.unk), \(Self.bos), \(Self.eos)")
            }
            if level == .char && !special && token.unicodeScalars.count != 1 {
                throw fail(id, "(\(Display.token(token))) is \(token.unicodeScalars.count) characters long; a character vocabulary holds one character per token")
            }
        }
    }

    /// How many of `tokens` lead with specials: what a vocabulary file read in id order counts as
    /// its specials.
    static func leadingSpecials(_ tokens: [String]) -> Int {
        tokens.prefix { specialNames.contains($0) }.count
    }
}
