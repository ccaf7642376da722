/// Dot products with a fixed summation order (four SIMD16 lanes of partial sums, then a fixed
/// tree: halves added down to four lanes, then adjacent pairs), so a given pair of vectors always
/// gives the same bits. A tree rather than `SIMD.sum()`, which adds the sixteen lanes one after
/// another: on the 256-long rows of a generation step that dependent chain cost as much as the
/// products.
public enum Dot {
    /// The dot product of two `count`-long vectors.
    @inlinable
    public static func product(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        let u = quarter(partials(x, y, count: count))
        let pairs = u.evenHalf + u.oddHalf
        var total = pairs[0] + pairs[1]
        var p = count & ~15
        while p < count {
            total = (x[p] * y[p]) + total
            p += 1
        }
        return total
    }

    /// The products of x with four rows `stride` floats apart, bit for bit what four calls of
    /// `product` give: the same partial sums and the same reduction tree, the last two levels of
    /// the four rows done side by side.
    @inlinable
    public static func product4(_ x: UnsafePointer<Float>, rows y: UnsafePointer<Float>, stride: Int, count: Int) -> SIMD4<Float> {
        // Each row is brought down to four lanes at once, so little stays live across the loops.
        let u0 = quarter(partials(x, y, count: count)), u1 = quarter(partials(x, y + stride, count: count))
        let u2 = quarter(partials(x, y + 2 * stride, count: count)), u3 = quarter(partials(x, y + 3 * stride, count: count))
        let b01 = SIMD8<Float>(lowHalf: u0, highHalf: u1), b23 = SIMD8<Float>(lowHalf: u2, highHalf: u3)
        let pairs = SIMD8<Float>(lowHalf: b01.evenHalf + b01.oddHalf, highHalf: b23.evenHalf + b23.oddHalf)
        var total = pairs.evenHalf + pairs.oddHalf
        var p = count & ~15
        while p < count {
            let products = SIMD4(x[p] * y[p], x[p] * y[stride + p], x[p] * y[2 * stride + p], x[p] * y[3 * stride + p])
            total = products + total
            p += 1
        }
        return total
    }

    /// Sixteen partial sums brought down to four: low half plus high half, twice.
    @inlinable @inline(__always)
    static func quarter(_ v: SIMD16<Float>) -> SIMD4<Float> {
        let w = v.lowHalf + v.highHalf
        return w.lowHalf + w.highHalf
    }

    /// The sixteen partial sums of x·y over the first `count & ~15` elements, reduced to one
    /// vector in a fixed tree: four SIMD16 accumulators over blocks of 64, then blocks of 16.
    @usableFromInline @inline(never)
    static func partials(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> SIMD16<Float> {
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
        return (s0 + s1) + (s2 + s3)
    }
}
