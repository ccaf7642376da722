/// A merge candidate in a long piece: the lowest rank comes out first, and of one rank the
/// leftmost, the order the merges were learned in.
struct RankedPosition: HeapOrdered {
    var rank: Int32
    var at: Int

    @inline(__always)
    func precedes(_ other: RankedPosition) -> Bool { rank != other.rank ? rank < other.rank : at < other.at }
}
