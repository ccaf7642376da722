import QuillCore

/// Token ids of a text file read a chunk at a time from any token boundary, exactly as the
/// level's tokenizer encodes the whole text (`TextFile`'s bytes, CR LF read as LF): a chunk's
/// end never cuts a token, because a token that might go on past it (a word, a scalar, a CR, at
/// the bpe level a pre-split piece: `BytePairChunkEncoder`) is kept for the next chunk.
///
/// ```
///   file   …the keeper lit th|e lamp…       chunk ends inside "the"
///   chunk 1 → ids of "the", "keeper", "lit"; "th" carried
///   chunk 2 → "th" + "e lamp…"  → ids of "the", "lamp", …
/// ```
package struct FileTokenReader {
    private let file: TextFileReader
    private let level: TokenLevel
    private let vocabulary: Vocabulary
    private let chunkSize: Int
    /// Unread bytes: what the last chunk left undecoded, then the next chunk.
    private var buffer: [UInt8] = []
    /// File offset of `buffer[0]`.
    private var bufferStart: Int
    private var finished = false
    private var ids: [UInt32] = []
    /// Char level: the ids of characters (-1: unknown, dropped).
    private var characters: CharacterIDs?
    private let unknownID: Int32
    private let eosID: Int32
    /// Bytes of the vocabulary's longest token: a longer word is unknown before its end is read.
    private let longestToken: Int
    /// In the rest of a word already counted as unknown (word level).
    private var skippingWord = false
    /// Bpe level: the encoder, with its cache of pieces.
    private var bytePairs: BytePairChunkEncoder?

    /// Tokens the vocabulary lacks, so far (as `EncodedText.unknown`).
    public private(set) var unknown = 0
    /// Unknown tokens left out because the vocabulary has no `<unk>`, so far.
    public private(set) var dropped = 0

    /// File offset from which a new reader gives the same ids as this one's next chunks: where
    /// its undecoded bytes start; nil inside a word too long to be known, which is not a boundary.
    public var position: Int? { skippingWord ? nil : bufferStart }

    /// - Parameters:
    ///   - offset: a token boundary: the text's start, or a `position` of an earlier reader.
    ///   - chunkSize: bytes read at a time (a longer word is read whole all the same).
    public init(file: TextFileReader, level: TokenLevel, vocabulary: Vocabulary, from offset: Int? = nil,
                chunkSize: Int) {
        self.file = file
        self.level = level
        self.vocabulary = vocabulary
        self.chunkSize = max(1, chunkSize)
        bufferStart = offset ?? file.textStart
        unknownID = Int32(vocabulary.unknownID ?? -1)
        eosID = Int32(vocabulary.eosID ?? vocabulary.unknownID ?? -1)
        longestToken = vocabulary.tokens.lazy.map(\.utf8.count).max() ?? 0
        switch level {
        case .char: characters = CharacterIDs(vocabulary: vocabulary)
        case .word: break
        case .bpe: bytePairs = BytePairChunkEncoder(vocabulary: vocabulary)
        }
    }

    /// The ids of the next chunk (never empty), or nil at the end of the text.
    public mutating func nextChunk() throws -> [UInt32]? {
        ids.removeAll(keepingCapacity: true)
        while ids.isEmpty && !finished {
            let readFrom = bufferStart + buffer.count
            // A bpe piece longer than a chunk doubles what is read, so its bytes are scanned a
            // few times, not once per chunk.
            let want = min(level == .bpe ? max(chunkSize, buffer.count) : chunkSize, file.size - readFrom)
            if want > 0 {
                let carried = buffer.count
                buffer.append(contentsOf: repeatElement(0, count: want))
                guard try file.read(at: readFrom, into: &buffer[carried...]) == want else { throw file.changedWhileReading() }
            }
            let final = readFrom + want == file.size
            let consumed = buffer.withUnsafeBufferPointer { p in
                switch level {
                case .char: encodeCharacters(p, final: final)
                case .word: encodeWords(p, final: final)
                case .bpe: bytePairs!.encode(p, final: final, into: &ids)
                }
            }
            buffer.removeFirst(consumed)
            bufferStart += consumed
            finished = final
        }
        return ids.isEmpty ? nil : ids
    }

    /// `CharacterTokenizer.encode` over `p`; returns the bytes consumed.
    private mutating func encodeCharacters(_ p: UnsafeBufferPointer<UInt8>, final: Bool) -> Int {
        // Taken out while it is used, so its cache is not copied when it grows.
        var lookup = characters!
        characters = nil
        defer { characters = lookup }
        var i = 0
        let n = p.count
        while i < n {
            let b = p[i]
            let id: Int32
            if b < 0x80 {
                // CR LF is one LF, as TextFile reads it; a CR at the chunk's end waits for the next byte.
                if b == 0x0D {
                    if i + 1 == n && !final { break }
                    if i + 1 < n && p[i + 1] == ASCII.newline { i += 1; continue }
                }
                id = lookup.id(ascii: b)
                i += 1
            } else if let (scalar, length) = UTF8Scanner.decode(p, at: i) {
                id = lookup.id(scalar: scalar, in: p, at: i, length: length)
                i += length
            } else if !final && i + 4 > n {
                break // a scalar cut by the chunk's end
            } else {
                id = unknownID // invalid bytes: TextFileReader refuses them before
                i += 1
            }
            if id == unknownID {
                unknown += 1
                if id < 0 { dropped += 1; continue }
            }
            ids.append(UInt32(id))
        }
        return i
    }

    /// `WordTokenizer.encode` over `p`; returns the bytes consumed.
    private mutating func encodeWords(_ p: UnsafeBufferPointer<UInt8>, final: Bool) -> Int {
        var i = 0
        let n = p.count
        if skippingWord {
            while i < n && !ASCII.isWhitespace(p[i]) { i += 1 }
            skippingWord = i == n && !final
        }
        while i < n {
            let b = p[i]
            if b == ASCII.newline {
                endOfLine()
                i += 1
                continue
            }
            if ASCII.isWhitespace(b) { i += 1; continue }
            let start = i
            while i < n && !ASCII.isWhitespace(p[i]) { i += 1 }
            if i == n && !final {
                // The word may go on in the next chunk. Past the longest token it is unknown
                // whatever follows, so it is counted now and its rest skipped: a file without
                // whitespace is never held whole.
                guard i - start > longestToken else { return start }
                skippingWord = true
            }
            let id = vocabulary.id(forBytes: p.baseAddress! + start, i - start).map(Int32.init) ?? unknownID
            if id == unknownID { unknown += 1 }
            if id >= 0 { ids.append(UInt32(id)) } else { dropped += 1 }
        }
        // A last line without a newline still ends with <eos>, as WordTokenizer reads it.
        if final && file.lastByte != ASCII.newline { endOfLine() }
        return i
    }

    private mutating func endOfLine() {
        if eosID == unknownID { unknown += 1 }
        if eosID >= 0 { ids.append(UInt32(eosID)) } else { dropped += 1 }
    }
}
