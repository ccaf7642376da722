import QuillKernels

/// Encodes UTF-8 text with learned merges: the text is cut into pieces (`PieceSplitter`), and in
/// each piece the adjacent pair of lowest rank is merged, again and again, until no pair of it
/// has a merge. This gives the same symbols as applying every merge in rank order (a merge's
/// symbol only enters pairs ranked after it), which is how the tests check it. Each distinct
/// piece is encoded once per call (a cache keyed by its bytes), and long texts are cut at line
/// starts into one part per core.
public struct BytePairEncoder: Sendable {
    /// The merges applied.
    public let merges: BytePairMerges

    /// An encoder of `merges`.
    public init(merges: BytePairMerges) { self.merges = merges }

    /// The symbols of one piece. A short piece (most are words) rescans its pairs after each
    /// merge; a long one (a run of CJK letters, digits or one character can be megabytes) keeps
    /// its pairs in a heap, so it costs L log L rather than L².
    func encodePiece(_ p: UnsafePointer<UInt8>, _ length: Int, into out: inout [Int32]) {
        guard length > Self.shortPiece else { return encodeLongPiece(p, length, into: &out) }
        var symbols = (0..<length).map { Int32(p[$0]) }
        while symbols.count > 1 {
            var best: Int32 = .max, at = -1
            for i in 0..<(symbols.count - 1) {
                if let rank = merges.rank(symbols[i], symbols[i + 1]), rank < best { best = rank; at = i }
            }
            if at < 0 { break }
            let pair = merges.pairs[Int(best)]
            symbols = BytePairLearner.merging(symbols, pair.left, pair.right, into: merges.results[Int(best)])
        }
        out.append(contentsOf: symbols)
    }

    /// Pieces up to this many bytes are merged by rescanning.
    static let shortPiece = 64

    /// `encodePiece` for a long piece: the same merges in the same order (the lowest rank first,
    /// and of one rank the leftmost), found through a heap of (rank, position) over a linked list
    /// of symbols. An entry whose pair has since changed is skipped when it comes up.
    func encodeLongPiece(_ p: UnsafePointer<UInt8>, _ length: Int, into out: inout [Int32]) {
        var symbols = (0..<length).map { Int32(p[$0]) }
        var next = (0..<length).map { $0 + 1 }, previous = (0..<length).map { $0 - 1 }
        next[length - 1] = -1
        var heap = BinaryHeap<RankedPosition>()
        for i in 0..<(length - 1) {
            if let rank = merges.rank(symbols[i], symbols[i + 1]) { heap.push(RankedPosition(rank: rank, at: i)) }
        }
        while let candidate = heap.pop() {
            let rank = candidate.rank, at = candidate.at
            // Removed symbols have symbols[at] == -1; a changed pair has another rank.
            guard symbols[at] >= 0, next[at] >= 0, merges.rank(symbols[at], symbols[next[at]]) == rank else { continue }
            let gone = next[at]
            symbols[at] = merges.results[Int(rank)]
            symbols[gone] = -1
            next[at] = next[gone]
            if next[at] >= 0 { previous[next[at]] = at }
            if previous[at] >= 0, let left = merges.rank(symbols[previous[at]], symbols[at]) { heap.push(RankedPosition(rank: left, at: previous[at])) }
            if next[at] >= 0, let right = merges.rank(symbols[at], symbols[next[at]]) { heap.push(RankedPosition(rank: right, at: at)) }
        }
        var i = 0
        while i >= 0 {
            out.append(symbols[i])
            i = next[i]
        }
    }

    /// The symbols of `p[range]`, each written as `ids[symbol]`.
    func encode(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, ids: [UInt32]) -> [UInt32] {
        // The ids of the whole range are held anyway, so its cache is not bounded.
        var cache = BytePairPieceCache(encoder: self, symbolIDs: ids, limit: .max)
        var out: [UInt32] = []
        out.reserveCapacity(range.count / 3 + 1)
        PieceSplitter.forEachPiece(p, in: range) { start, end in
            cache.append(p.baseAddress! + start, end - start, to: &out)
        }
        return out
    }

    /// The symbols of UTF-8 `bytes`, each plus `offset`.
    public func encode(_ bytes: [UInt8], offset: Int = 0) -> [UInt32] {
        encode(bytes, ids: (0..<merges.symbolCount).map { UInt32($0 + offset) })
    }

    /// The symbols of UTF-8 `bytes`, each written as `ids[symbol]` (a vocabulary's id of it).
    public func encode(_ bytes: [UInt8], ids: [UInt32]) -> [UInt32] {
        precondition(ids.count == merges.symbolCount, "one id per symbol")
        return bytes.withUnsafeBufferPointer { p in
            let parts = Self.parts(p, count: Parallel.threadCount)
            if parts.count == 1 { return encode(p, parts[0], ids: ids) }
            return Array(Parallel.map(parts.count) { i in encode(p, parts[i], ids: ids) }.joined())
        }
    }

    /// `0..<p.count` cut into up to `count` parts at piece boundaries: just after a newline that
    /// follows an ASCII non-space and precedes one. That newline is a whitespace run of one, which
    /// is a piece of its own; after a longer run (`"\n\n"`) a part's end would keep the run whole
    /// where the whole text gives up its last character, so the ids would depend on the thread
    /// count. Texts under 64 KiB stay whole.
    static func parts(_ p: UnsafeBufferPointer<UInt8>, count: Int) -> [Range<Int>] {
        let n = p.count
        guard count > 1, n >= 1 << 16 else { return [0..<n] }
        var cuts = [0]
        for k in 1..<count {
            var i = max(n * k / count, cuts.last! + 1)
            while i < n && !(p[i - 1] == ASCII.newline && isASCIINonSpace(p[i]) && isASCIINonSpace(p[i - 2])) { i += 1 }
            if i < n { cuts.append(i) }
        }
        cuts.append(n)
        return (0..<(cuts.count - 1)).map { cuts[$0]..<cuts[$0 + 1] }.filter { !$0.isEmpty }
    }

    private static func isASCIINonSpace(_ byte: UInt8) -> Bool { byte < 0x80 && !ASCII.isWhitespace(byte) }
}
