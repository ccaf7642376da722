/// A pair and its count for the BPE learner: the most frequent first, ties going to the smaller
/// pair (left symbol, then right), so learning is deterministic. Entries may go stale as counts
/// fall; the learner checks each one it pops.
struct PairCount: HeapOrdered {
    var count: Int
    var key: UInt64

    @inline(__always)
    func precedes(_ other: PairCount) -> Bool { count != other.count ? count > other.count : key < other.key }
}
