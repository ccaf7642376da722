
/// Strict UTF-8 decoding over byte buffers, without building Strings: the character tokenizer's
/// hot loop and the validity check of `TextFile`.
package enum UTF8Scanner {
    /// Whether `byte` starts a scalar (is not a continuation byte): in valid UTF-8, counting these
    /// counts the characters bits per character divides by.
    @inlinable
    public static func startsScalar(_ byte: UInt8) -> Bool { byte & 0xC0 != 0x80 }

    /// The scalars of valid UTF-8 `bytes`.
    public static func scalarCount<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Int {
        bytes.reduce(0) { $0 + (startsScalar($1) ? 1 : 0) }
    }

    /// Decodes the scalar starting at `i`, returning it and its length in bytes, or nil when the
    /// bytes there are not valid UTF-8 (overlong forms, surrogates and values past U+10FFFF
    /// included).
    @inlinable
    public static func decode(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> (scalar: UInt32, length: Int)? {
        let b0 = p[i]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        let n = p.count
        @inline(__always) func continuation(_ j: Int) -> UInt32? {
            guard j < n, p[j] & 0xC0 == 0x80 else { return nil }
            return UInt32(p[j] & 0x3F)
        }
        if b0 >= 0xC2 && b0 <= 0xDF {
            guard let c1 = continuation(i + 1) else { return nil }
            return ((UInt32(b0 & 0x1F) << 6) | c1, 2)
        }
        if b0 >= 0xE0 && b0 <= 0xEF {
            guard let c1 = continuation(i + 1), let c2 = continuation(i + 2) else { return nil }
            let v = (UInt32(b0 & 0x0F) << 12) | (c1 << 6) | c2
            if v < 0x800 || (v >= 0xD800 && v <= 0xDFFF) { return nil }
            return (v, 3)
        }
        if b0 >= 0xF0 && b0 <= 0xF4 {
            guard let c1 = continuation(i + 1), let c2 = continuation(i + 2), let c3 = continuation(i + 3) else {
                return nil
            }
            let v = (UInt32(b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3
            if v < 0x10000 || v > 0x10FFFF { return nil }
            return (v, 4)
        }
        return nil
    }

    /// Byte offset of the first invalid sequence, or nil when the whole buffer is valid UTF-8.
    public static func firstInvalidOffset(in bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { firstInvalidOffset(in: $0, final: true).invalid }
    }

    /// The same over one piece of a longer text: unless `final`, the last three bytes are left
    /// undecoded (a scalar there may go on in the next piece). `decoded` is where decoding stopped:
    /// at the invalid sequence, or where the next piece should resume.
    public static func firstInvalidOffset(in p: UnsafeBufferPointer<UInt8>, final: Bool) -> (invalid: Int?, decoded: Int) {
        var i = 0
        let n = p.count
        let end = final ? n : max(0, n - 3)
        while i < end {
            // Runs of ASCII are the common case: skip them eight bytes at a time.
            while i + 8 <= end,
                  UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
            }
            if i >= end { break }
            guard let (_, length) = decode(p, at: i) else { return (i, i) }
            i += length
        }
        return (nil, i)
    }

    /// UTF-8 bytes of one scalar value.
    public static func encode(_ scalar: UInt32) -> [UInt8] {
        Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
    }
}
