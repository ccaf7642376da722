/// A binary min-heap of (rank, position) pairs, ordered by rank and then by position: the next
/// merge of a long piece is the lowest-ranked pair, and of one rank the leftmost.
struct RankHeap {
    private var items: [(rank: Int32, at: Int)] = []

    private static func before(_ a: (rank: Int32, at: Int), _ b: (rank: Int32, at: Int)) -> Bool {
        a.rank != b.rank ? a.rank < b.rank : a.at < b.at
    }

    mutating func push(rank: Int32, at: Int) {
        items.append((rank, at))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// The first item, removed; nil when empty.
    mutating func pop() -> (rank: Int32, at: Int)? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count && Self.before(items[left], items[smallest]) { smallest = left }
                if right < items.count && Self.before(items[right], items[smallest]) { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
