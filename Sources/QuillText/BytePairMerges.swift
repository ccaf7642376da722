import QuillCore

/// The merges of a byte-level BPE, in the order they were learned (their rank).
///
/// Symbols are numbered in the BPE's own space: bytes are 0–255 and merge k makes symbol 256 + k
/// from the pair it names. A vocabulary at the bpe level holds its specials first, then these
/// symbols in order, so a symbol's id is `specialCount + symbol`.
public struct BytePairMerges: Sendable, Equatable {
    /// `pairs[k]` is the pair (left, right) that merge k joins into symbol 256 + k.
    public let pairs: [Pair]
    /// Rank of each pair, keyed by `key(left, right)`.
    let ranks: [UInt64: Int32]
    /// The bytes of each symbol (`256 + pairs.count` of them).
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
        var symbolBytes = (0..<256).map { [UInt8($0)] }
        symbolBytes.reserveCapacity(256 + pairs.count)
        for (k, pair) in pairs.enumerated() {
            let made = Int32(256 + k)
            guard pair.left >= 0, pair.right >= 0, pair.left < made, pair.right < made else {
                throw QuillError.runtime("merge \(k) joins \(pair.left) and \(pair.right), but only symbols 0 to \(made - 1) exist by then")
            }
            guard ranks.updateValue(Int32(k), forKey: Self.key(pair.left, pair.right)) == nil else {
                throw QuillError.runtime("merge \(k) repeats the pair \(pair.left) \(pair.right)")
            }
            symbolBytes.append(symbolBytes[Int(pair.left)] + symbolBytes[Int(pair.right)])
        }
        self.pairs = pairs
        self.ranks = ranks
        self.symbolBytes = symbolBytes
    }

    /// Number of symbols: the 256 bytes and one per merge.
    public var symbolCount: Int { 256 + pairs.count }

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
