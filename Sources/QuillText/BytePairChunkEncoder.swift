/// `BytePairEncoder` over a text that arrives in chunks (a file read a piece at a time): each call
/// encodes the pieces of its bytes that cannot change with what follows, and says how many bytes
/// that was, so the caller carries the rest into the next call. The ids equal those of the whole
/// text encoded at once.
///
/// Where a piece can end: `PieceSplitter` decides a piece by looking at most one character past
/// it (the character that ends a run, or that a run of spaces leaves its last space to), and a
/// contraction three bytes into it. A character is at most 4 bytes and a whitespace one at most
/// 3, so a piece that ends 8 or more bytes before the chunk's end is cut exactly as in the whole
/// text; later pieces wait for more bytes.
///
/// ```
///   chunk   …the keeper lit t|he lamp…       chunk ends inside "the"
///   pieces  "the" " keeper" " lit" · " t" is within 8 bytes of the end: carried
/// ```
///
/// CR LF is read as LF, as `TextFile` reads it; the bytes consumed count the CRs dropped, so they
/// are offsets in the file.
package struct BytePairChunkEncoder {
    private var cache: BytePairPieceCache
    /// The chunk with CR LF read as LF, and the offsets (in it) of the LFs whose CR was dropped.
    private var normalized: [UInt8] = []
    private var droppedCRs: [Int] = []

    /// A piece ending this many bytes or more before a chunk's end is final (see above).
    static let margin = 8

    /// An encoder of `vocabulary`'s merges, which it must have (a bpe vocabulary).
    package init(vocabulary: Vocabulary) {
        precondition(vocabulary.merges != nil, "a bpe vocabulary")
        cache = BytePairPieceCache(encoder: BytePairEncoder(merges: vocabulary.merges!), symbolIDs: vocabulary.symbolIDs)
    }

    /// Appends to `ids` the ids of the pieces of `p` that are final (all of them when `final`, the
    /// text's last bytes), and returns the bytes of `p` they take.
    package mutating func encode(_ p: UnsafeBufferPointer<UInt8>, final: Bool, into ids: inout [UInt32]) -> Int {
        normalize(p)
        let limit = final ? normalized.count : normalized.count - Self.margin
        guard limit > 0 else { return 0 }
        var end = 0, stopped = false
        normalized.withUnsafeBufferPointer { q in
            PieceSplitter.forEachPiece(q, in: 0..<q.count) { start, pieceEnd in
                guard !stopped else { return }
                guard pieceEnd <= limit else { stopped = true; return }
                cache.append(q.baseAddress! + start, pieceEnd - start, to: &ids)
                end = pieceEnd
            }
        }
        // Offsets in `p`: each dropped CR before `end` was a byte there.
        var consumed = end
        for lf in droppedCRs where lf < end { consumed += 1 }
        return consumed
    }

    /// `p` with CR LF read as LF into `normalized`.
    private mutating func normalize(_ p: UnsafeBufferPointer<UInt8>) {
        normalized.removeAll(keepingCapacity: true)
        droppedCRs.removeAll(keepingCapacity: true)
        normalized.reserveCapacity(p.count)
        var i = 0
        while i < p.count {
            if p[i] == 0x0D && i + 1 < p.count && p[i + 1] == ASCII.newline {
                droppedCRs.append(normalized.count)
                i += 1
            }
            normalized.append(p[i])
            i += 1
        }
    }
}
