import QuillCore

/// Learns byte-level BPE merges from a text.
///
/// The text is cut into pieces (`PieceSplitter`) and each distinct piece is kept once with its
/// count, as a list of symbols (its bytes at first). Pair counts are kept for the whole text and
/// updated as merges are made: a merge visits only the pieces that hold its pair (an index from
/// pair to pieces, added to as new pairs appear), takes their old pairs out of the counts and puts
/// their new ones in. The next merge is the most frequent pair, ties to the smaller (left, right),
/// taken from a heap whose stale entries are checked and re-queued as they come out. A merge
/// whose bytes are already a token makes that token again (`BytePairMerges`). Learning stops when
/// the requested number of tokens beyond the 256 bytes exist, or when no pair occurs twice.
public enum BytePairLearner {
    /// The merges learned from UTF-8 `bytes`, until they make `newTokens` tokens beyond the bytes.
    public static func learn(_ bytes: [UInt8], newTokens: Int) -> BytePairMerges {
        var pieces = distinctPieces(bytes)
        var pairCounts: [UInt64: Int] = [:]
        var holders: [UInt64: [Int32]] = [:]
        for (w, piece) in pieces.enumerated() {
            let bytes = piece.symbols
            guard bytes.count > 1 else { continue }
            for i in 0..<(bytes.count - 1) {
                let key = BytePairMerges.key(bytes[i], bytes[i + 1])
                pairCounts[key, default: 0] += piece.count
                // A piece is listed once per pair it holds, not once per occurrence.
                if holders[key]?.last != Int32(w) { holders[key, default: []].append(Int32(w)) }
            }
        }
        var heap = BinaryHeap<PairCount>()
        for (key, count) in pairCounts { heap.push(PairCount(count: count, key: key)) }

        var pairs: [BytePairMerges.Pair] = []
        var symbols = SymbolTable()
        // A text of n bytes can give at most n - 1 merges, however many are asked for.
        pairs.reserveCapacity(max(0, min(newTokens, bytes.count)))
        while symbols.bytes.count < 256 + newTokens, let top = heap.pop() {
            let current = pairCounts[top.key] ?? 0
            if current != top.count {
                if current > 0 { heap.push(PairCount(count: current, key: top.key)) }
                continue
            }
            if current < 2 { break }
            let left = Int32(truncatingIfNeeded: top.key >> 32), right = Int32(truncatingIfNeeded: top.key & 0xFFFF_FFFF)
            let made = symbols.symbol(joining: left, right)
            pairs.append(.init(left, right))
            var grown: Set<UInt64> = []
            for w in holders.removeValue(forKey: top.key) ?? [] {
                let piece = Int(w)
                let old = pieces[piece].symbols
                let merged = merging(old, left, right, into: made)
                if merged.count == old.count { continue } // the index is never pruned: a stale holder
                let count = pieces[piece].count
                for i in 0..<(old.count - 1) {
                    let key = BytePairMerges.key(old[i], old[i + 1])
                    pairCounts[key]! -= count
                }
                var last: UInt64 = .max
                for i in 0..<max(0, merged.count - 1) {
                    let key = BytePairMerges.key(merged[i], merged[i + 1])
                    pairCounts[key, default: 0] += count
                    if merged[i] == made || merged[i + 1] == made {
                        grown.insert(key)
                        if key != last && holders[key]?.last != w { holders[key, default: []].append(w) }
                        last = key
                    }
                }
                pieces[piece].symbols = merged
            }
            pairCounts[top.key] = nil
            // Only pairs with the symbol made gained counts; the others only lost some, and their
            // heap entries are corrected as they come out.
            for key in grown.sorted() { heap.push(PairCount(count: pairCounts[key]!, key: key)) }
        }
        return try! BytePairMerges(pairs: pairs) // each pair joins symbols made before it, once, numbered alike
    }

    /// One distinct piece of the text: its symbols and how often it occurs.
    struct Piece {
        var symbols: [Int32]
        var count: Int
    }

    /// The distinct pieces of `bytes` with their counts, in order of first appearance.
    static func distinctPieces(_ bytes: [UInt8]) -> [Piece] {
        var table = ByteSliceTable(expectedCount: 4096)
        var counts: [Int] = []
        bytes.withUnsafeBufferPointer { p in
            PieceSplitter.forEachPiece(p, in: 0..<p.count) { start, end in
                let entry = table.insert(p.baseAddress! + start, end - start)
                if entry == counts.count { counts.append(0) }
                counts[entry] += 1
            }
        }
        return (0..<table.count).map { Piece(symbols: table.key($0).map { Int32($0) }, count: counts[$0]) }
    }

    /// `symbols` with each (left, right), taken left to right without overlap, made one `made`.
    @inline(__always)
    static func merging(_ symbols: [Int32], _ left: Int32, _ right: Int32, into made: Int32) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(symbols.count)
        var i = 0
        while i < symbols.count {
            if i + 1 < symbols.count && symbols[i] == left && symbols[i + 1] == right {
                out.append(made)
                i += 2
            } else {
                out.append(symbols[i])
                i += 1
            }
        }
        return out
    }
}
