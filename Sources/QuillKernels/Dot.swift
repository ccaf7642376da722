/// Dot products with a fixed summation order (four SIMD16 lanes of partial sums, then a fixed
/// tree), so a given pair of vectors always gives the same bits.
public enum Dot {
    /// The dot product of two `count`-long vectors.
    @inlinable
    public static func product(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var p = 0
        while p + 64 <= count {
            let o = p &* 4
            s0 = s0.addingProduct(rx.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self),
                                  ry.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self))
            s1 = s1.addingProduct(rx.loadUnaligned(fromByteOffset: o + 64, as: SIMD16<Float>.self),
                                  ry.loadUnaligned(fromByteOffset: o + 64, as: SIMD16<Float>.self))
            s2 = s2.addingProduct(rx.loadUnaligned(fromByteOffset: o + 128, as: SIMD16<Float>.self),
                                  ry.loadUnaligned(fromByteOffset: o + 128, as: SIMD16<Float>.self))
            s3 = s3.addingProduct(rx.loadUnaligned(fromByteOffset: o + 192, as: SIMD16<Float>.self),
                                  ry.loadUnaligned(fromByteOffset: o + 192, as: SIMD16<Float>.self))
            p += 64
        }
        while p + 16 <= count {
            let o = p &* 4
            s0 = s0.addingProduct(rx.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self),
                                  ry.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self))
            p += 16
        }
        var total = ((s0 + s1) + (s2 + s3)).sum()
        while p < count {
            total = (x[p] * y[p]) + total
            p += 1
        }
        return total
    }
}
