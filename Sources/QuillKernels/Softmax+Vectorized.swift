extension Softmax {
    /// Softmax of one vector in place, every pass eight lanes wide: the maximum, the exponentials,
    /// their sum (eight partial sums, then a fixed tree) and the scaling. Returns the sum of the
    /// exponentials. `softmax` keeps its scalar maximum and sum, whose bits the sampler and the
    /// fixtures already depend on; this one serves the attention head, where a row is hundreds of
    /// positions long and the scalar chains (each add waiting for the last) cost as much as the
    /// products that made the scores. A given vector gives the same bits wherever it sits.
    @inlinable
    public static func softmaxVectorized(_ row: UnsafeMutablePointer<Float>, count: Int) {
        let raw = UnsafeMutableRawPointer(row)
        var top = VectorMath.Vector(repeating: -.infinity)
        var i = 0
        while i + 8 <= count {
            top = pointwiseMax(top, raw.loadUnaligned(fromByteOffset: i &* 4, as: VectorMath.Vector.self))
            i += 8
        }
        var m = top.max()
        while i < count { m = Swift.max(m, row[i]); i += 1 }
        VectorMath.apply(row, count: count) { VectorMath.exp($0 - m) }
        var sums = VectorMath.Vector()
        i = 0
        while i + 8 <= count {
            sums += raw.loadUnaligned(fromByteOffset: i &* 4, as: VectorMath.Vector.self)
            i += 8
        }
        let quarter = sums.lowHalf + sums.highHalf, pair = quarter.lowHalf + quarter.highHalf
        var total = pair[0] + pair[1]
        while i < count { total += row[i]; i += 1 }
        let inverse = 1 / total
        i = 0
        while i + 8 <= count {
            raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: i &* 4, as: VectorMath.Vector.self) * inverse,
                           toByteOffset: i &* 4, as: VectorMath.Vector.self)
            i += 8
        }
        while i < count { row[i] *= inverse; i += 1 }
    }
}
