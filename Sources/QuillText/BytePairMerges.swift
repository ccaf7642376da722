import QuillCore

/// The merges of a byte-level BPE, in the order they were learned (their rank).
///
/// Symbols are numbered in the BPE's own space: bytes are 0–255, and each merge whose bytes are
/// not yet a symbol makes the next number (so without repeats, merge k makes 256 + k). A merge
/// whose bytes already are a symbol (`a`+`bc` after `ab`+`c`) makes that symbol again, as Hugging
/// Face's trainer and tokenizer do, so a token has one id whichever way it is reached. Quill's
/// own bpe vocabulary holds its specials, then the symbols in order.
public struct BytePairMerges: Sendable, Equatable {
    /// `pairs[k]` is the pair (left, right) that merge k joins into `results[k]`.
    public let pairs: [Pair]
    /// The symbol each merge makes.
    public let results: [Int32]
    /// Rank of each pair, keyed by `key(left, right)`.
    let ranks: [UInt64: Int32]
    /// The bytes of each symbol.
    public let symbolBytes: [[UInt8]]

    /// Two adjacent symbols.
    public struct Pair: Sendable, Equatable, Hashable {
        public var left: Int32
        public var right: Int32
        /// The pair (left, right).
        public init(_ left: Int32, _ right: Int32) { self.left = left; self.right = right }
    }

    /// The merges `pairs` in rank order. Throws when a pair names a symbol not made by then, or
    /// repeats an earlier pair.
    public init(pairs: [Pair]) throws {
        var ranks: [UInt64: Int32] = [:]
        ranks.reserveCapacity(pairs.count)
        var table = SymbolTable()
        var results: [Int32] = []
        results.reserveCapacity(pairs.count)
        for (k, pair) in pairs.enumerated() {
            let count = Int32(table.bytes.count)
            guard pair.left >= 0, pair.right >= 0, pair.left < count, pair.right < count else {
                throw QuillError.runtime("merge \(k) joins \(pair.left) and \(pair.right), but only symbols 0 to \(count - 1) exist by then")
            }
            guard ranks.updateValue(Int32(k), forKey: Self.key(pair.left, pair.right)) == nil else {
                throw QuillError.runtime("merge \(k) repeats the pair \(pair.left) \(pair.right)")
            }
            results.append(table.symbol(joining: pair.left, pair.right))
        }
        self.pairs = pairs
        self.results = results
        self.ranks = ranks
        self.symbolBytes = table.bytes
    }

    /// Number of symbols: the 256 bytes and one per merge that made new bytes.
    public var symbolCount: Int { symbolBytes.count }

    /// The pair's hash key.
    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// The rank of merging `left` with `right`, or nil when no merge joins them.
    @inline(__always)
    func rank(_ left: Int32, _ right: Int32) -> Int32? { ranks[Self.key(left, right)] }

    /// Each symbol's token as written in a vocabulary: its bytes in `ByteAlphabet` characters.
    public var tokenStrings: [String] { symbolBytes.map { ByteAlphabet.string($0) } }

    public static func == (lhs: BytePairMerges, rhs: BytePairMerges) -> Bool { lhs.pairs == rhs.pairs }
}

/// The symbols made so far and their bytes: how the learner and `BytePairMerges` number what a
/// merge makes, identically.
struct SymbolTable {
    private(set) var bytes: [[UInt8]] = (0..<256).map { [UInt8($0)] }
    private var byBytes: [[UInt8]: Int32] = Dictionary(uniqueKeysWithValues: (0..<256).map { ([UInt8($0)], Int32($0)) })

    /// The symbol of `left`'s bytes then `right`'s: an existing one, or a new one.
    mutating func symbol(joining left: Int32, _ right: Int32) -> Int32 {
        let joined = bytes[Int(left)] + bytes[Int(right)]
        if let existing = byBytes[joined] { return existing }
        let made = Int32(bytes.count)
        bytes.append(joined)
        byBytes[joined] = made
        return made
    }
}
