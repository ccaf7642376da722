/// Cuts UTF-8 text into the pieces BPE merges within, by the rule of GPT-2's pre-tokenizer
/// pattern, so that no token spans a word and the punctuation or space around it:
///
/// 1. an apostrophe with `s`, `t`, `re`, `ve`, `m`, `ll` or `d` (English contractions, lower case);
/// 2. else, an optional leading space (U+0020 only) with a run of letters (Unicode category L),
///    or of numbers (category N), or of other characters (neither those nor whitespace);
/// 3. else a run of whitespace (Unicode White_Space), less its last character when a
///    non-whitespace character follows and the run is longer than one: that last space then
///    leads the next word (rule 2).
///
/// Every byte falls in exactly one piece, so the pieces joined are the text.
package enum PieceSplitter {
    /// What a character is, for the rules above.
    enum Kind { case letter, number, space, other }

    @inline(__always)
    static func kind(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> (Kind, Int) {
        let b = p[i]
        if b < 0x80 {
            // ASCII by table: the common case.
            switch b {
            case 0x41...0x5A, 0x61...0x7A: return (.letter, 1)
            case 0x30...0x39: return (.number, 1)
            case 0x09...0x0D, 0x20: return (.space, 1)
            default: return (.other, 1)
            }
        }
        guard let (value, length) = UTF8Scanner.decode(p, at: i), let scalar = Unicode.Scalar(value) else {
            return (.other, 1) // invalid bytes: TextFile refuses them before they reach here
        }
        if scalar.properties.isWhitespace { return (.space, length) }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return (.letter, length)
        case .decimalNumber, .letterNumber, .otherNumber: return (.number, length)
        default: return (.other, length)
        }
    }

    /// Length of the contraction (rule 1) starting at `i`, or 0.
    @inline(__always)
    static func contraction(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        guard p[i] == UInt8(ascii: "'"), i + 1 < p.count else { return 0 }
        switch p[i + 1] {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"): return 2
        default: break
        }
        guard i + 2 < p.count else { return 0 }
        switch (p[i + 1], p[i + 2]) {
        case (UInt8(ascii: "r"), UInt8(ascii: "e")), (UInt8(ascii: "v"), UInt8(ascii: "e")), (UInt8(ascii: "l"), UInt8(ascii: "l")):
            return 3
        default: return 0
        }
    }

    /// Calls `piece(start, end)` for each piece of `p[range]`, in order.
    @inline(__always)
    static func forEachPiece(_ p: UnsafeBufferPointer<UInt8>, in range: Range<Int>, _ piece: (Int, Int) -> Void) {
        var i = range.lowerBound
        let n = range.upperBound
        while i < n {
            let c = contraction(p, at: i)
            if c > 0 && i + c <= n { piece(i, i + c); i += c; continue }
            var (k, length) = kind(p, at: i)
            var j = i + length
            if p[i] == 0x20 && j < n {
                // A space leads a run of any class but space.
                let (next, nextLength) = kind(p, at: j)
                if next != .space { k = next; j += nextLength }
            }
            if k != .space {
                while j < n {
                    let (next, nextLength) = kind(p, at: j)
                    guard next == k else { break }
                    j += nextLength
                }
                piece(i, j)
                i = j
                continue
            }
            // A run of whitespace; `last` is where its last character starts.
            var last = i
            while j < n {
                let (next, nextLength) = kind(p, at: j)
                guard next == .space else { break }
                last = j
                j += nextLength
            }
            if j < n && last > i { j = last }
            piece(i, j)
            i = j
        }
    }

    /// The pieces of `bytes` as ranges: for tests and small texts.
    package static func pieces(_ bytes: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        bytes.withUnsafeBufferPointer { p in forEachPiece(p, in: 0..<p.count) { out.append($0..<$1) } }
        return out
    }
}
