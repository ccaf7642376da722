/// A max-heap of token ids ordered by weight (ties: lower id first), the order `Sampler.cut` keeps
/// tokens in.
struct TokenHeap {
    let weights: UnsafePointer<Double>
    private var items: [Int32]

    init(weights: UnsafePointer<Double>, count: Int) {
        self.weights = weights
        items = (0..<count).map { Int32($0) }
        var i = count / 2 - 1
        while i >= 0 {
            siftDown(i)
            i -= 1
        }
    }

    @inline(__always)
    private func before(_ a: Int32, _ b: Int32) -> Bool {
        let wa = weights[Int(a)], wb = weights[Int(b)]
        return wa != wb ? wa > wb : a < b
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        let n = items.count
        while true {
            let left = 2 * i + 1, right = left + 1
            var best = i
            if left < n && before(items[left], items[best]) { best = left }
            if right < n && before(items[right], items[best]) { best = right }
            if best == i { return }
            items.swapAt(i, best)
            i = best
        }
    }

    /// The most likely remaining token.
    mutating func pop() -> Int {
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            siftDown(0)
        }
        return Int(top)
    }
}
