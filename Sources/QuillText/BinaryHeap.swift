/// Something a `BinaryHeap` orders: `precedes` is a strict order, and the heap gives back the
/// element that precedes all others first.
protocol HeapOrdered {
    func precedes(_ other: Self) -> Bool
}

/// A binary heap: `pop` returns the element that precedes every other (`HeapOrdered`). The BPE
/// learner keeps its pair counts in one, the encoder its merge candidates of a long piece.
struct BinaryHeap<Element: HeapOrdered> {
    private var items: [Element] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// The first element, removed; nil when empty.
    mutating func pop() -> Element? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return first }
        items[0] = last
        var parent = 0
        let n = items.count
        while true {
            let left = 2 * parent + 1, right = left + 1
            var best = parent
            if left < n && items[left].precedes(items[best]) { best = left }
            if right < n && items[right].precedes(items[best]) { best = right }
            if best == parent { break }
            items.swapAt(parent, best)
            parent = best
        }
        return first
    }
}

/// A merge candidate in a long piece: the lowest rank comes out first, and of one rank the
/// leftmost, the order the merges were learned in.
struct RankedPosition: HeapOrdered {
    var rank: Int32
    var at: Int

    @inline(__always)
    func precedes(_ other: RankedPosition) -> Bool { rank != other.rank ? rank < other.rank : at < other.at }
}

/// A pair and its count for the BPE learner: the most frequent first, ties going to the smaller
/// pair (left symbol, then right), so learning is deterministic. Entries may go stale as counts
/// fall; the learner checks each one it pops.
struct PairCount: HeapOrdered {
    var count: Int
    var key: UInt64

    @inline(__always)
    func precedes(_ other: PairCount) -> Bool { count != other.count ? count > other.count : key < other.key }
}
