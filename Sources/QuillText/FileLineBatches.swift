/// `SequenceBatcher`'s evaluation batches (lines in file order) of a text file, read as they are
/// needed: one reader, and only the B lines of the batch being made in memory, each cut to
/// `maxLength` ids as it is read.
package final class FileLineBatches {
    /// Lines per batch.
    public let batchSize: Int
    /// Longest line in predicted positions; longer lines are truncated.
    public let maxLength: Int
    private var reader: FileTokenReader
    private let separatorID: UInt32?
    private let padID: Int32, bosID: Int32, eosID: Int32
    private var chunk: [UInt32] = []
    private var cursor = 0
    private var atEnd = false

    /// - Parameters:
    ///   - separatorID: the id that ends a line (`Vocabulary.lineEndID(level:)`; nil: one line).
    ///   - vocabulary: supplies `<pad>`, `<bos>` and `<eos>` (required, as `SequenceBatcher` needs them).
    public init(file: TextFileReader, level: TokenLevel, vocabulary: Vocabulary, separatorID: Int?,
                batchSize: Int, maxLength: Int, chunkSize: Int) throws {
        precondition(batchSize > 0 && maxLength > 0)
        (padID, bosID, eosID) = try SequenceBatcher.specials(of: vocabulary)
        reader = FileTokenReader(file: file, level: level, vocabulary: vocabulary, chunkSize: chunkSize)
        self.separatorID = separatorID.map(UInt32.init)
        self.batchSize = batchSize
        self.maxLength = maxLength
    }

    /// The next batch, or nil after the last line.
    public func next() throws -> Batch? {
        var rows: [[Int32]] = []
        while rows.count < batchSize, let line = try nextLine() { rows.append(line) }
        return rows.isEmpty ? nil : SequenceBatcher.batch(framed: rows, padID: padID)
    }

    /// The next non-empty line framed as `SequenceBatcher` frames it, or nil at the end.
    private func nextLine() throws -> [Int32]? {
        var row: [Int32] = [bosID]
        var length = 0
        var ended = false
        let separator = separatorID ?? UInt32.max // no id is UInt32.max: without a separator, one line
        while !ended {
            if cursor == chunk.count {
                if atEnd { break }
                guard let ids = try reader.nextChunk() else { atEnd = true; break }
                chunk = ids
                cursor = 0
            }
            // The chunk is scanned in locals: a class's properties are checked for exclusive
            // access at every use, which costs more than the rest of this loop.
            var i = cursor
            chunk.withUnsafeBufferPointer { ids in
                while i < ids.count {
                    let id = ids[i]
                    i += 1
                    if id == separator {
                        if length > 0 { ended = true; break }
                        continue
                    }
                    if length < maxLength { row.append(Int32(id)) }
                    length += 1
                }
            }
            cursor = i
        }
        if length == 0 { return nil }
        if length < maxLength { row.append(eosID) }
        return row
    }
}
