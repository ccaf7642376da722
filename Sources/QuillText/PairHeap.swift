/// A binary max-heap of (count, pair) entries for the BPE learner: the most frequent pair on top,
/// ties going to the smaller pair (left symbol, then right), so learning is deterministic.
/// Entries may go stale as counts fall; the learner checks each one it pops.
struct PairHeap {
    struct Entry {
        var count: Int
        var key: UInt64

        /// Whether `self` comes out before `other`.
        @inline(__always)
        func precedes(_ other: Entry) -> Bool {
            count != other.count ? count > other.count : key < other.key
        }
    }

    private var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var i = entries.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard entries[i].precedes(entries[parent]) else { break }
            entries.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let top = entries.first else { return nil }
        let last = entries.removeLast()
        if entries.isEmpty { return top }
        entries[0] = last
        var i = 0
        let n = entries.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var best = i
            if l < n && entries[l].precedes(entries[best]) { best = l }
            if r < n && entries[r].precedes(entries[best]) { best = r }
            if best == i { break }
            entries.swapAt(i, best)
            i = best
        }
        return top
    }
}
