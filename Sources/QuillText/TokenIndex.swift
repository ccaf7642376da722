/// What one pass over a text file learns about its token ids without keeping them: how many there
/// are, the counts the whole-text encoding reports, and a small table of file offsets from which a
/// `FileTokenReader` can start reading ids at a known index.
///
/// ```
///   ids      0 ………… 812 ………… 1650 ………… 2493 …   one entry per chunk of the pass
///   table   (offset 0, id 0) (offset 4096, id 812) (offset 8192, id 1650) …
///   reading from id 2000: start at (8192, 1650), skip 350 ids
/// ```
package struct TokenIndex: Sendable {
    /// Where a chunk of the pass started: the file offset, and the index of its first id.
    public struct Entry: Sendable, Equatable {
        public let offset: Int
        public let idIndex: Int
    }

    /// Ids in the text (`EncodedText.ids.count`).
    public private(set) var idCount = 0
    /// Tokens the vocabulary lacks (`EncodedText.unknown`).
    public private(set) var unknown = 0
    /// Unknown tokens left out for want of `<unk>` (`EncodedText.dropped`).
    public private(set) var dropped = 0
    /// Ids equal to `countedID`.
    public private(set) var countedIDs = 0
    /// Maximal non-empty runs of ids between `separatorID`s: the lines of sequence mode.
    public private(set) var nonEmptyLines = 0
    /// The table, in id order.
    public private(set) var entries: [Entry] = []

    /// Tokens in the text, kept or dropped (`EncodedText.tokenCount`).
    public var tokenCount: Int { idCount + dropped }

    /// One pass over `file`.
    /// - Parameters:
    ///   - countedID: an id to count (`<eos>`, whose count the evaluator needs).
    ///   - separatorID: the id that ends a line (nil: the text is one line).
    ///   - chunkSize: bytes per chunk, so also about the bytes between two entries of the table.
    public init(file: TextFileReader, level: TokenLevel, vocabulary: Vocabulary, countedID: Int?, separatorID: Int?,
                chunkSize: Int) throws {
        var reader = FileTokenReader(file: file, level: level, vocabulary: vocabulary, chunkSize: chunkSize)
        let counted = countedID.map(UInt32.init) ?? UInt32.max, separator = separatorID.map(UInt32.init) ?? UInt32.max
        var lineOpen = false
        var offset = reader.position
        while let ids = try reader.nextChunk() {
            if let offset { entries.append(Entry(offset: offset, idIndex: idCount)) }
            idCount += ids.count
            for id in ids {
                if id == counted { countedIDs += 1 }
                if id == separator {
                    if lineOpen { nonEmptyLines += 1 }
                    lineOpen = false
                } else {
                    lineOpen = true
                }
            }
            offset = reader.position
        }
        if lineOpen { nonEmptyLines += 1 }
        unknown = reader.unknown
        dropped = reader.dropped
    }

    /// The last entry at or before id `index`.
    public func entry(before index: Int) -> Entry {
        var low = 0, high = entries.count - 1 // entries[0] is id 0
        while low < high {
            let mid = (low + high + 1) / 2
            if entries[mid].idIndex <= index { low = mid } else { high = mid - 1 }
        }
        return entries[low]
    }
}
