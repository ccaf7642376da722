/// The ids of the pieces a `BytePairEncoder` has met, so that a piece that recurs (most of a
/// text's words) is encoded once. Cleared when it holds `limit` distinct pieces, so that memory
/// stays bounded on any text.
struct BytePairPieceCache {
    private let encoder: BytePairEncoder
    /// The id written for each symbol.
    private let symbolIDs: [UInt32]
    private let limit: Int
    private var table = ByteSliceTable(expectedCount: 4096)
    /// Entry e's ids are `ids[starts[e]..<starts[e + 1]]`.
    private var starts: [Int] = [0]
    private var ids: [UInt32] = []
    private var scratch: [Int32] = []

    /// Distinct pieces kept at most by a cache over a text read in chunks.
    static let defaultLimit = 1 << 14

    init(encoder: BytePairEncoder, symbolIDs: [UInt32], limit: Int = defaultLimit) {
        self.encoder = encoder
        self.symbolIDs = symbolIDs
        self.limit = limit
    }

    /// Distinct pieces held now (at most `limit`).
    var count: Int { table.count }

    /// Appends the ids of the piece `p[0..<length]` to `out`, from the cache or encoded now.
    mutating func append(_ p: UnsafePointer<UInt8>, _ length: Int, to out: inout [UInt32]) {
        if table.count == limit && table.find(p, length) == nil {
            table = ByteSliceTable(expectedCount: 4096)
            starts = [0]
            ids.removeAll(keepingCapacity: true)
        }
        let entry = table.insert(p, length)
        if entry == starts.count - 1 {
            scratch.removeAll(keepingCapacity: true)
            encoder.encodePiece(p, length, into: &scratch)
            for symbol in scratch { ids.append(symbolIDs[Int(symbol)]) }
            starts.append(ids.count)
        }
        out.append(contentsOf: ids[starts[entry]..<starts[entry + 1]])
    }
}
