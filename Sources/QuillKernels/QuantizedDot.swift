/// Dot products of a float vector with a row stored in bfloat16 or int8, the stored values widened
/// to float in registers. They keep `Dot.product`'s summation order (four SIMD16 partial sums, then
/// a fixed tree), so the same inputs always give the same bits.
public enum QuantizedDot {
    /// Σ x[p]·row[p], the row in bfloat16 (the upper half of a float's bits).
    @inlinable
    public static func product(_ x: UnsafePointer<Float>, bf16 row: UnsafePointer<UInt16>, count: Int) -> Float {
        let rx = UnsafeRawPointer(x), rw = UnsafeRawPointer(row)
        @inline(__always) func widen(_ offset: Int) -> SIMD16<Float> {
            let half = rw.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt16>.self)
            return unsafeBitCast(SIMD16<UInt32>(truncatingIfNeeded: half) &<< 16, to: SIMD16<Float>.self)
        }
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var p = 0
        while p + 64 <= count {
            let o = p &* 4, w = p &* 2
            s0 = s0.addingProduct(rx.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self), widen(w))
            s1 = s1.addingProduct(rx.loadUnaligned(fromByteOffset: o + 64, as: SIMD16<Float>.self), widen(w + 32))
            s2 = s2.addingProduct(rx.loadUnaligned(fromByteOffset: o + 128, as: SIMD16<Float>.self), widen(w + 64))
            s3 = s3.addingProduct(rx.loadUnaligned(fromByteOffset: o + 192, as: SIMD16<Float>.self), widen(w + 96))
            p += 64
        }
        while p + 16 <= count {
            s0 = s0.addingProduct(rx.loadUnaligned(fromByteOffset: p &* 4, as: SIMD16<Float>.self), widen(p &* 2))
            p += 16
        }
        var total = ((s0 + s1) + (s2 + s3)).sum()
        while p < count {
            total = (x[p] * Float(bitPattern: UInt32(row[p]) << 16)) + total
            p += 1
        }
        return total
    }

    /// Σ x[p]·row[p], the row in int8 (the caller applies the row's scale).
    @inlinable
    public static func product(_ x: UnsafePointer<Float>, int8 row: UnsafePointer<Int8>, count: Int) -> Float {
        let rx = UnsafeRawPointer(x), rw = UnsafeRawPointer(row)
        @inline(__always) func widen(_ offset: Int) -> SIMD16<Float> {
            SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: rw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Int8>.self)))
        }
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var p = 0
        while p + 64 <= count {
            let o = p &* 4
            s0 = s0.addingProduct(rx.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self), widen(p))
            s1 = s1.addingProduct(rx.loadUnaligned(fromByteOffset: o + 64, as: SIMD16<Float>.self), widen(p + 16))
            s2 = s2.addingProduct(rx.loadUnaligned(fromByteOffset: o + 128, as: SIMD16<Float>.self), widen(p + 32))
            s3 = s3.addingProduct(rx.loadUnaligned(fromByteOffset: o + 192, as: SIMD16<Float>.self), widen(p + 48))
            p += 64
        }
        while p + 16 <= count {
            s0 = s0.addingProduct(rx.loadUnaligned(fromByteOffset: p &* 4, as: SIMD16<Float>.self), widen(p))
            p += 16
        }
        var total = ((s0 + s1) + (s2 + s3)).sum()
        while p < count {
            total = (x[p] * Float(row[p])) + total
            p += 1
        }
        return total
    }
}
