/// Dot products of a float vector with a row stored in bfloat16 or int8, the stored values widened
/// to float in registers with plain lane arithmetic (shifts, masks and a bit cast: generic SIMD
/// conversions would not compile to vector instructions).
///
/// The rows are stored in an interleaved order so that widening needs no shuffles. `Layout` gives
/// the order and converts to and from it; a row's tail beyond the last whole block stays in order.
public enum QuantizedDot {
    /// Where each element of a row goes in the stored order.
    public enum Layout {
        /// bfloat16: blocks of 16 elements as eight 32-bit words; word i holds element i in its
        /// low half and element 8 + i in its high half.
        public static let bf16Block = 16
        /// int8: blocks of 32 elements as eight 32-bit words; byte k of word i holds element
        /// 8k + i, biased by +128 so that it reads as an unsigned byte.
        public static let int8Block = 32

        /// Stored position of element `c` of a `count`-long bfloat16 row.
        @inlinable
        public static func bf16Position(_ c: Int, count: Int) -> Int {
            let whole = count / bf16Block * bf16Block
            guard c < whole else { return c }
            let base = c / bf16Block * bf16Block, e = c - base
            return base + (e < 8 ? 2 * e : 2 * (e - 8) + 1)
        }

        /// Stored position of element `c` of a `count`-long int8 row.
        @inlinable
        public static func int8Position(_ c: Int, count: Int) -> Int {
            let whole = count / int8Block * int8Block
            guard c < whole else { return c }
            let base = c / int8Block * int8Block, e = c - base
            return base + 4 * (e % 8) + e / 8
        }
    }

    /// The bfloat16 elements in the low halves of eight words, as floats.
    @inlinable @inline(__always)
    static func low(_ words: SIMD8<UInt32>) -> SIMD8<Float> { unsafeBitCast(words &<< 16, to: SIMD8<Float>.self) }

    /// The bfloat16 elements in the high halves of eight words, as floats.
    @inlinable @inline(__always)
    static func high(_ words: SIMD8<UInt32>) -> SIMD8<Float> {
        unsafeBitCast(words & SIMD8<UInt32>(repeating: 0xFFFF_0000), to: SIMD8<Float>.self)
    }

    /// Byte `shift / 8` of eight words (biased int8 codes) as the floats q = u − 128.
    @inlinable @inline(__always)
    static func widen(_ words: SIMD8<UInt32>, _ shift: UInt32) -> SIMD8<Float> {
        let bits = ((words &>> shift) & SIMD8<UInt32>(repeating: 0xFF)) | SIMD8<UInt32>(repeating: 0x4B00_0000)
        return unsafeBitCast(bits, to: SIMD8<Float>.self) - SIMD8<Float>(repeating: 8_388_736)
    }

    /// Σ x[p]·row[p], the row in bfloat16 in `Layout`'s order.
    @inlinable
    public static func product(_ x: UnsafePointer<Float>, bf16 row: UnsafePointer<UInt16>, count: Int) -> Float {
        let rx = UnsafeRawPointer(x), rw = UnsafeRawPointer(row)
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var p = 0
        while p + 32 <= count {
            let a = rw.loadUnaligned(fromByteOffset: p &* 2, as: SIMD8<UInt32>.self)
            let b = rw.loadUnaligned(fromByteOffset: p &* 2 + 32, as: SIMD8<UInt32>.self)
            s0 = s0.addingProduct(rx.loadUnaligned(fromByteOffset: p &* 4, as: SIMD8<Float>.self),
                                  low(a))
            s1 = s1.addingProduct(rx.loadUnaligned(fromByteOffset: p &* 4 + 32, as: SIMD8<Float>.self),
                                  high(a))
            s2 = s2.addingProduct(rx.loadUnaligned(fromByteOffset: p &* 4 + 64, as: SIMD8<Float>.self),
                                  low(b))
            s3 = s3.addingProduct(rx.loadUnaligned(fromByteOffset: p &* 4 + 96, as: SIMD8<Float>.self),
                                  high(b))
            p += 32
        }
        if p + 16 <= count {
            let a = rw.loadUnaligned(fromByteOffset: p &* 2, as: SIMD8<UInt32>.self)
            s0 = s0.addingProduct(rx.loadUnaligned(fromByteOffset: p &* 4, as: SIMD8<Float>.self),
                                  low(a))
            s1 = s1.addingProduct(rx.loadUnaligned(fromByteOffset: p &* 4 + 32, as: SIMD8<Float>.self),
                                  high(a))
            p += 16
        }
        var total = ((s0 + s1) + (s2 + s3)).sum()
        while p < count {
            total = (x[p] * Float(bitPattern: UInt32(row[p]) << 16)) + total
            p += 1
        }
        return total
    }

    /// Σ x[p]·q[p], the row's int8 codes biased by +128 in `Layout`'s order (the caller applies
    /// the row's scale). A biased byte u becomes the float q = u − 128 exactly: 2²³ + u has u in
    /// its low mantissa bits, and 2²³ + 128 is then subtracted.
    @inlinable
    public static func product(_ x: UnsafePointer<Float>, int8 row: UnsafePointer<UInt8>, count: Int) -> Float {
        let rx = UnsafeRawPointer(x), rw = UnsafeRawPointer(row)
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var p = 0
        while p + 32 <= count {
            let w = rw.loadUnaligned(fromByteOffset: p, as: SIMD8<UInt32>.self)
            let o = p &* 4
            s0 = s0.addingProduct(rx.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self), widen(w, 0))
            s1 = s1.addingProduct(rx.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self), widen(w, 8))
            s2 = s2.addingProduct(rx.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self), widen(w, 16))
            s3 = s3.addingProduct(rx.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self), widen(w, 24))
            p += 32
        }
        var total = ((s0 + s1) + (s2 + s3)).sum()
        while p < count {
            total = (x[p] * Float(Int(row[p]) - 128)) + total
            p += 1
        }
        return total
    }

    /// Four row sums reduced at once: [Σ r0, Σ r1, Σ r2, Σ r3] with one shuffle tree instead of
    /// four horizontal sums (which cost as much as the products of a short row).
    @inlinable @inline(__always)
    static func reduce(_ r0: SIMD8<Float>, _ r1: SIMD8<Float>, _ r2: SIMD8<Float>, _ r3: SIMD8<Float>) -> SIMD4<Float> {
        let a0 = r0.lowHalf + r0.highHalf, a1 = r1.lowHalf + r1.highHalf
        let a2 = r2.lowHalf + r2.highHalf, a3 = r3.lowHalf + r3.highHalf
        let b01 = SIMD8<Float>(lowHalf: a0, highHalf: a1), b23 = SIMD8<Float>(lowHalf: a2, highHalf: a3)
        let c01 = b01.evenHalf + b01.oddHalf, c23 = b23.evenHalf + b23.oddHalf
        let d = SIMD8<Float>(lowHalf: c01, highHalf: c23)
        return d.evenHalf + d.oddHalf
    }

    /// `product(_:int8:count:)` for four rows `stride` codes apart, sharing the loads of x.
    @inlinable
    public static func product4(_ x: UnsafePointer<Float>, int8 rows: UnsafePointer<UInt8>, stride: Int, count: Int) -> SIMD4<Float> {
        let rx = UnsafeRawPointer(x)
        let w0 = UnsafeRawPointer(rows), w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        @inline(__always) func block(_ acc: inout SIMD8<Float>, _ w: UnsafeRawPointer, _ p: Int,
                                     _ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>, _ x3: SIMD8<Float>) {
            let words = w.loadUnaligned(fromByteOffset: p, as: SIMD8<UInt32>.self)
            acc = acc.addingProduct(x0, widen(words, 0))
            acc = acc.addingProduct(x1, widen(words, 8))
            acc = acc.addingProduct(x2, widen(words, 16))
            acc = acc.addingProduct(x3, widen(words, 24))
        }
        var p = 0
        while p + 32 <= count {
            let o = p &* 4
            let x0 = rx.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            let x1 = rx.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
            let x2 = rx.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self)
            let x3 = rx.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self)
            block(&a0, w0, p, x0, x1, x2, x3)
            block(&a1, w1, p, x0, x1, x2, x3)
            block(&a2, w2, p, x0, x1, x2, x3)
            block(&a3, w3, p, x0, x1, x2, x3)
            p += 32
        }
        var sums = reduce(a0, a1, a2, a3)
        while p < count {
            let xp = x[p]
            sums[0] = (xp * Float(Int(w0.load(fromByteOffset: p, as: UInt8.self)) - 128)) + sums[0]
            sums[1] = (xp * Float(Int(w1.load(fromByteOffset: p, as: UInt8.self)) - 128)) + sums[1]
            sums[2] = (xp * Float(Int(w2.load(fromByteOffset: p, as: UInt8.self)) - 128)) + sums[2]
            sums[3] = (xp * Float(Int(w3.load(fromByteOffset: p, as: UInt8.self)) - 128)) + sums[3]
            p += 1
        }
        return sums
    }

    /// `product(_:bf16:count:)` for four rows `stride` halves apart, sharing the loads of x.
    @inlinable
    public static func product4(_ x: UnsafePointer<Float>, bf16 rows: UnsafePointer<UInt16>, stride: Int, count: Int) -> SIMD4<Float> {
        let rx = UnsafeRawPointer(x)
        let w0 = UnsafeRawPointer(rows), w1 = w0 + 2 * stride, w2 = w1 + 2 * stride, w3 = w2 + 2 * stride
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        @inline(__always) func block(_ acc: inout SIMD8<Float>, _ w: UnsafeRawPointer, _ p: Int, _ x0: SIMD8<Float>, _ x1: SIMD8<Float>) {
            let words = w.loadUnaligned(fromByteOffset: p &* 2, as: SIMD8<UInt32>.self)
            acc = acc.addingProduct(x0, low(words))
            acc = acc.addingProduct(x1, high(words))
        }
        var p = 0
        while p + 16 <= count {
            let o = p &* 4
            let x0 = rx.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            let x1 = rx.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
            block(&a0, w0, p, x0, x1)
            block(&a1, w1, p, x0, x1)
            block(&a2, w2, p, x0, x1)
            block(&a3, w3, p, x0, x1)
            p += 16
        }
        var sums = reduce(a0, a1, a2, a3)
        while p < count {
            let xp = x[p]
            for r in 0..<4 {
                let bits = UInt32((w0 + r * 2 * stride).load(fromByteOffset: p &* 2, as: UInt16.self)) << 16
                sums[r] = (xp * Float(bitPattern: bits)) + sums[r]
            }
            p += 1
        }
        return sums
    }
}
