/// The printable stand-in character of each byte that GPT-2's byte-level BPE (and Hugging Face's
/// `ByteLevel` pre-tokenizer) writes tokens with, so that a token of any bytes, even half a UTF-8
/// character, is a string of visible characters.
///
/// Bytes that are printable Latin-1 (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68
/// (controls, space, DEL, NBSP, soft hyphen) take U+0100, U+0101, … in byte order. So a space is
/// `Ġ` (U+0120) and a newline `Ċ` (U+010A).
package enum ByteAlphabet {
    /// `scalars[b]` is byte b's stand-in.
    package static let scalars: [Unicode.Scalar] = {
        func keepsItself(_ b: Int) -> Bool { (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) }
        var next: UInt32 = 0x100
        return (0..<256).map { b in
            if keepsItself(b) { return Unicode.Scalar(UInt8(b)) }
            defer { next += 1 }
            return Unicode.Scalar(next)!
        }
    }()

    /// The byte each stand-in scalar stands for, by scalar value (all are below U+0144).
    private static let bytesByScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (b, scalar) in scalars.enumerated() { table[Int(scalar.value)] = Int16(b) }
        return table
    }()

    /// `bytes` written in stand-in characters.
    package static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = String.UnicodeScalarView()
        for b in bytes { out.append(scalars[Int(b)]) }
        return String(out)
    }

    /// The bytes a string of stand-in characters spells, or nil when it holds another character.
    package static func bytes(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            let v = Int(scalar.value)
            guard v < bytesByScalar.count, bytesByScalar[v] >= 0 else { return nil }
            out.append(UInt8(bytesByScalar[v]))
        }
        return out
    }
}
