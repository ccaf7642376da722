import QuillCore

/// The token ↔ id map of a model.
///
/// Specials come first (`<pad>` = 0, `<unk>` = 1, then `<bos>` and/or `<eos>` where the mode uses
/// them), then tokens by count descending with ties broken by their UTF-8 bytes, so the same text
/// always gives the same ids. Lookups compare bytes, never `String`s (see `ByteSliceTable`).
///
/// A vocabulary read from elsewhere (PyTorch's `idx2word`) may hold the specials anywhere, or not
/// at all: their ids are looked up by name.
public struct Vocabulary: Sendable, Equatable {
    /// The padding token (lines mode).
    public static let pad = "<pad>"
    /// The token that stands for any token the vocabulary lacks.
    public static let unk = "<unk>"
    /// Beginning of a line (lines mode).
    public static let bos = "<bos>"
    /// End of a line (word level and lines mode).
    public static let eos = "<eos>"

    /// `tokens[id]` is the token with that id.
    public let tokens: [String]
    /// How many of the first tokens are specials.
    public let specialCount: Int
    private let table: ByteSliceTable

    /// Tokens, specials included.
    public var count: Int { tokens.count }
    /// Id of `<pad>`, when this vocabulary has it.
    public let padID: Int?
    /// Id of `<unk>`, when this vocabulary has it (tokens it lacks cannot be encoded otherwise).
    public let unknownID: Int?
    /// Id of `<bos>`, when this vocabulary has it.
    public let bosID: Int?
    /// Id of `<eos>`, when this vocabulary has it.
    public let eosID: Int?
    /// A byte-level BPE's merges (the bpe level). Every symbol of them is a token of the
    /// vocabulary (Quill's own put them after the specials in symbol order; a tokenizer.json may
    /// order them otherwise).
    public let merges: BytePairMerges?
    /// With merges: the id of each symbol (`symbolIDs[s]`), and the symbol of each id (-1 for
    /// tokens that are no symbol: specials, a tokenizer.json's added tokens).
    let symbolIDs: [UInt32], idSymbols: [Int32]

    /// A vocabulary from tokens in id order (a saved vocabulary, or PyTorch's `idx2word`).
    /// - Parameters:
    ///   - specialCount: how many leading tokens are specials.
    ///   - merges: a bpe vocabulary's merges; every symbol of them must then be one of the tokens,
    ///     written in `ByteAlphabet` characters (`init(merges:specials:)` writes them in order).
    public init(tokens: [String], specialCount: Int, merges: BytePairMerges? = nil) throws {
        var table = ByteSliceTable(expectedCount: tokens.count)
        for (id, token) in tokens.enumerated() {
            let entry = table.insert(Array(token.utf8))
            guard entry == id else {
                throw QuillError.runtime("vocabulary lists '\(token)' twice (ids \(entry) and \(id))")
            }
        }
        guard specialCount >= 0 && specialCount <= tokens.count else {
            throw QuillError.runtime("vocabulary has \(tokens.count) tokens but claims \(specialCount) specials")
        }
        var symbolIDs: [UInt32] = [], idSymbols: [Int32] = []
        if let merges {
            idSymbols = [Int32](repeating: -1, count: tokens.count)
            for (symbol, token) in merges.tokenStrings.enumerated() {
                guard let id = table.find(Array(token.utf8)) else {
                    throw QuillError.runtime("vocabulary lacks \(Display.token(token)), symbol \(symbol) of its merges")
                }
                symbolIDs.append(UInt32(id))
                idSymbols[id] = Int32(symbol)
            }
        }
        self.symbolIDs = symbolIDs
        self.idSymbols = idSymbols
        self.tokens = tokens
        self.specialCount = specialCount
        self.table = table
        self.merges = merges
        padID = table.find(Array(Self.pad.utf8))
        unknownID = table.find(Array(Self.unk.utf8))
        bosID = table.find(Array(Self.bos.utf8))
        eosID = table.find(Array(Self.eos.utf8))
    }

    /// Builds a vocabulary from counted tokens.
    /// - Parameters:
    ///   - counts: the text's distinct tokens and their counts.
    ///   - specials: special tokens after `<pad>` and `<unk>` (`<bos>`, `<eos>`), in order.
    ///   - minimumCount: tokens seen fewer times become `<unk>`.
    ///   - maximumSize: the largest vocabulary, specials included; the rarest tokens go first.
    public init(counts: TokenCounts, specials extra: [String] = [], minimumCount: Int = 1,
                maximumSize: Int? = nil) throws {
        let specials = [Self.pad, Self.unk] + extra
        if let maximumSize, maximumSize <= specials.count {
            throw QuillError.invalidSetting(.init(.maximumVocabulary, maximumSize, "maximumVocabulary must be more than the \(specials.count) special tokens (\(specials.joined(separator: " "))), got \(maximumSize)"))
        }
        guard minimumCount >= 1 else { throw QuillError.invalidSetting(.positive(.minimumCount, minimumCount)) }
        let specialBytes = Set(specials.map { Array($0.utf8) })
        var ranked = zip(counts.tokens, counts.counts)
            .filter { !specialBytes.contains($0.0) && $0.1 >= minimumCount }
        ranked.sort { a, b in a.1 != b.1 ? a.1 > b.1 : a.0.lexicographicallyPrecedes(b.0) }
        if let maximumSize { ranked = Array(ranked.prefix(maximumSize - specials.count)) }
        let words = ranked.map { String(decoding: $0.0, as: UTF8.self) }
        try self.init(tokens: specials + words, specialCount: specials.count)
    }

    /// Id of a token given as UTF-8 bytes, or nil.
    public func id(forBytes bytes: [UInt8]) -> Int? { table.find(bytes) }

    /// Id of the token whose UTF-8 bytes are `p[0..<length]`, or nil.
    @inlinable
    public func id(forBytes p: UnsafePointer<UInt8>, _ length: Int) -> Int? { tableFind(p, length) }

    @usableFromInline
    func tableFind(_ p: UnsafePointer<UInt8>, _ length: Int) -> Int? { table.find(p, length) }

    /// Id of a token, or nil.
    public func id(for token: String) -> Int? { table.find(Array(token.utf8)) }

    /// How a token is shown in generated text: `<pad>`, `<bos>` and `<eos>` print as nothing (the
    /// word tokenizer turns `<eos>` into a newline itself).
    public func displayText(_ id: Int, level: TokenLevel) -> String {
        guard id >= 0 && id < tokens.count else { return "" }
        if id == padID || id == bosID || id == eosID { return "" }
        return tokens[id]
    }

    /// Reads a vocabulary file of one token per line in id order; leading specials count as
    /// specials, as in `init(file:level:)`.
    public init(lineFile path: String) throws {
        let tokens = try Self.lines(of: try TextFile(path: path), path: path)
        do {
            try self.init(tokens: tokens, specialCount: Self.leadingSpecials(tokens))
            try validate(level: nil)
        } catch let error as QuillError {
            throw QuillError.badText(path: path, problem: error.description)
        }
    }

    /// The tokens of a vocabulary file of one token per line in id order (PyTorch
    /// word_language_model's `Dictionary.idx2word`, or what `quill export-vocab` writes).
    static func lines(of text: TextFile, path: String) throws -> [String] {
        var lines = text.bytes.split(separator: ASCII.newline, omittingEmptySubsequences: false)
            .map { line -> ArraySlice<UInt8> in line.last == 0x0D ? line.dropLast() : line }
        if lines.last?.isEmpty == true { lines.removeLast() }
        if let empty = lines.firstIndex(where: \.isEmpty) {
            throw QuillError.badText(path: path, problem: "line \(empty + 1) is empty; a vocabulary file has one token per line")
        }
        return lines.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The vocabulary as a file of one token per line, in id order.
    public func lineFileText() -> String {
        tokens.map { $0 + "\n" }.joined()
    }

    /// The token that ends a line of text at this level: the newline character, or `<eos>`.
    public func lineEndID(level: TokenLevel) -> Int? {
        switch level {
        case .char: id(for: "\n")
        case .word: eosID
        case .bpe: eosID ?? (merges == nil ? nil : Int(symbolIDs[Int(ASCII.newline)]))
        }
    }

    /// The specials a mode needs beyond `<pad>` and `<unk>`.
    public static func extraSpecials(level: TokenLevel, sequenceMode: Bool) -> [String] {
        if sequenceMode { return [bos, eos] }
        return level == .word ? [eos] : []
    }

    /// Same tokens in the same order, byte for byte, the same number of specials, and the same
    /// merges. `String`'s own == would call "café" written with a combining accent equal to the
    /// precomposed one, while lookups (and so the ids of a text) tell them apart.
    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool {
        lhs.specialCount == rhs.specialCount && lhs.tokens.elementsEqual(rhs.tokens) { $0.utf8.elementsEqual($1.utf8) }
            && lhs.merges == rhs.merges
    }
}
