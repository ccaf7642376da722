/// Vectorised exp, sigmoid and tanh on eight float32 lanes.
///
/// libm's `expf` and `tanhf` are scalar calls that block vectorisation of the gate and softmax
/// loops. These use Cody–Waite range reduction with the Cephes single-precision polynomials,
/// accurate to about 2 ulp over the float range, which is well inside the PyTorch parity tolerance.
public enum VectorMath {
    /// The lane width the kernels compute in.
    public typealias Vector = SIMD8<Float>

    // The three functions are `@_transparent` rather than `@inline(__always)`: the optimizer left
    // `tanh` an out-of-line call in the gate loops (its eight lanes passed as two halves). Their
    // selects are lane loops (`clamp`, the end of `tanh`) rather than `replacing(with:where:)`,
    // which compiled, for an AVX-512 target, into mask registers filled lane by lane through
    // general registers; the loops become vminps, compares and masked moves. Together they made the
    // LSTM gate kernel ~1.6 times as fast in an AVX-512 build (docs/performance.md), and neither
    // changes a lane's bits (VectorMathTests compares the kernel with the masked selects).

    /// eˣ per lane, within about 2 ulp; inputs are clamped to the range where it is finite.
    @_transparent
    public static func exp(_ x: Vector) -> Vector {
        let clamped = clamp(x, -87.3, 88.3)
        let n = (clamped * 1.442_695_04).rounded(.toNearestOrEven)
        var r = clamped.addingProduct(n, Vector(repeating: -0.693_359_375))
        r = r.addingProduct(n, Vector(repeating: 2.121_944_4e-4))
        let r2 = r * r
        // Horner steps as fused multiply-adds: half the instructions and half the dependent
        // latency of a multiply then an add, and one rounding instead of two.
        var p = Vector(repeating: 1.987_569_15e-4)
        p = Vector(repeating: 1.398_199_95e-3).addingProduct(p, r)
        p = Vector(repeating: 8.333_451_9e-3).addingProduct(p, r)
        p = Vector(repeating: 4.166_579_59e-2).addingProduct(p, r)
        p = Vector(repeating: 1.666_666_55e-1).addingProduct(p, r)
        p = Vector(repeating: 5.000_000_12e-1).addingProduct(p, r)
        let poly = r.addingProduct(p, r2) + 1
        // 2^n built from its bits. n is a whole number in [-126, 127]; adding 1.5·2^23 puts it in
        // the low mantissa bits, which avoids the scalar float-to-int conversion the SIMD
        // initialiser compiles to.
        let magic = unsafeBitCast(n + 12_582_912, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((magic &+ 127) &<< 23, to: Vector.self)
        return poly * scale
    }

    /// 1 / (1 + e⁻ˣ) per lane.
    @_transparent
    public static func sigmoid(_ x: Vector) -> Vector {
        1 / (1 + exp(-x))
    }

    /// tanh per lane.
    @_transparent
    public static func tanh(_ x: Vector) -> Vector {
        // Small |x|: odd polynomial (no cancellation). Large |x|: 1 − 2/(e^{2|x|} + 1).
        let ax = abs(x)
        let z = x * x
        var small = Vector(repeating: -5.704_988_727_45e-3)
        small = Vector(repeating: 2.063_908_879_54e-2).addingProduct(small, z)
        small = Vector(repeating: -5.373_971_555_31e-2).addingProduct(small, z)
        small = Vector(repeating: 1.333_144_220_36e-1).addingProduct(small, z)
        small = Vector(repeating: -3.333_328_194_22e-1).addingProduct(small, z)
        small = x.addingProduct(small * z, x)
        let largeMagnitude = 1 - 2 / (exp(2 * ax) + 1)
        var result = small
        for l in 0..<Vector.scalarCount {
            let large = x[l] < 0 ? -largeMagnitude[l] : largeMagnitude[l]
            result[l] = ax[l] >= 0.625 ? large : small[l]
        }
        return result
    }

    /// `x` limited to [low, high] per lane; NaN fails both comparisons and passes through. (Not
    /// `clamped(lowerBound:upperBound:)`: its generic pointwise min and max stay out-of-line calls.)
    @inlinable @inline(__always)
    static func clamp(_ x: Vector, _ low: Float, _ high: Float) -> Vector {
        var result = x
        for l in 0..<Vector.scalarCount { result[l] = x[l] < low ? low : (x[l] > high ? high : x[l]) }
        return result
    }

    @inlinable @inline(__always)
    static func abs(_ x: Vector) -> Vector {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: Vector.self)
    }

    /// Scalar versions through the same code, so scalar tails give the same bits as vector lanes.
    @inlinable public static func exp(_ x: Float) -> Float { exp(Vector(repeating: x))[0] }
    @inlinable public static func sigmoid(_ x: Float) -> Float { sigmoid(Vector(repeating: x))[0] }
    @inlinable public static func tanh(_ x: Float) -> Float { tanh(Vector(repeating: x))[0] }

    /// Applies `f` to `count` elements in place, eight at a time; the tail goes through a padded
    /// vector so every element is computed by the same lane arithmetic.
    @inlinable @inline(__always)
    public static func apply(_ x: UnsafeMutablePointer<Float>, count: Int, _ f: (Vector) -> Vector) {
        let raw = UnsafeMutableRawPointer(x)
        var i = 0
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: Vector.self)
            raw.storeBytes(of: f(v), toByteOffset: i &* 4, as: Vector.self)
            i += 8
        }
        if i < count {
            var v = Vector()
            for l in 0..<(count - i) { v[l] = x[i + l] }
            let r = f(v)
            for l in 0..<(count - i) { x[i + l] = r[l] }
        }
    }
}
