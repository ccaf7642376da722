/// Turns a stream of bytes (a byte-level BPE model's tokens, one at a time) into text that is
/// always valid UTF-8: bytes are held until they complete a character, and bytes that cannot
/// begin or continue one come out as U+FFFD, one per maximal bad sequence as Swift's decoder
/// counts them.
public struct UTF8Assembler: Sendable {
    private var held: [UInt8] = []

    /// An assembler holding nothing.
    public init() {}

    /// The text that `bytes` complete; bytes of an unfinished character stay held.
    public mutating func append<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        held.append(contentsOf: bytes)
        // The longest prefix that does not end inside a character that could still be finished.
        let keep = Self.unfinishedTail(held)
        let ready = held[..<(held.count - keep)]
        let text = String(decoding: ready, as: UTF8.self)
        held.removeFirst(held.count - keep)
        return text
    }

    /// What is still held, as text (an unfinished character as U+FFFD); the assembler is emptied.
    public mutating func finish() -> String {
        defer { held = [] }
        return String(decoding: held, as: UTF8.self)
    }

    /// How many trailing bytes of `bytes` are the start of a character that more bytes could
    /// complete: a lead byte followed by fewer continuation bytes than it announces, each valid
    /// so far.
    static func unfinishedTail(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var k = 0
        while k < min(3, n) && bytes[n - 1 - k] & 0xC0 == 0x80 { k += 1 }
        guard k < n else { return 0 }
        let lead = bytes[n - 1 - k]
        let needs: Int
        switch lead {
        case 0xC2...0xDF: needs = 1
        case 0xE0...0xEF: needs = 2
        case 0xF0...0xF4: needs = 3
        default: return 0
        }
        guard k < needs else { return 0 }
        // The second byte's range depends on the lead (no overlongs, surrogates or values past
        // U+10FFFF); a tail already bad will never decode, so it is released now.
        if k >= 1 {
            let second = bytes[n - k]
            switch lead {
            case 0xE0: if second < 0xA0 { return 0 }
            case 0xED: if second > 0x9F { return 0 }
            case 0xF0: if second < 0x90 { return 0 }
            case 0xF4: if second > 0x8F { return 0 }
            default: break
            }
        }
        return k + 1
    }
}
