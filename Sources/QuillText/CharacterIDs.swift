/// A character vocabulary's ids for UTF-8 text: ASCII bytes from a table, other scalars looked
/// up once and then cached. The whole-text tokenizer and the chunked file reader share it, so
/// the two give the same ids by construction.
struct CharacterIDs {
    /// The id of a character the vocabulary lacks: its `<unk>`, or -1 when it has none.
    let unknownID: Int32
    private let vocabulary: Vocabulary
    private let ascii: [Int32]
    private var others: [UInt32: Int32] = [:]

    init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        let unknown = Int32(vocabulary.unknownID ?? -1)
        unknownID = unknown
        ascii = (0..<128).map { b in vocabulary.id(forBytes: [UInt8(b)]).map(Int32.init) ?? unknown }
    }

    /// The id of ASCII byte `b` (below 0x80).
    @inline(__always)
    func id(ascii b: UInt8) -> Int32 { ascii[Int(b)] }

    /// The id of `scalar`, whose UTF-8 bytes are `p[i ..< i + length]`.
    @inline(__always)
    mutating func id(scalar: UInt32, in p: UnsafeBufferPointer<UInt8>, at i: Int, length: Int) -> Int32 {
        if let known = others[scalar] { return known }
        let id = vocabulary.id(forBytes: Array(p[i..<(i + length)])).map(Int32.init) ?? unknownID
        others[scalar] = id
        return id
    }
}
