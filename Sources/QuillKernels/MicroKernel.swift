/// The 6×16 register tile at the bottom of GEMM.
///
/// Twelve AVX2 registers hold the accumulators (six `SIMD16<Float>`), one row of the B panel is
/// loaded per k step and each A value is broadcast against it with a fused multiply-add. The
/// accumulation runs in k order for every element, so a given element's value does not depend on
/// where its tile sits.
enum MicroKernel {
    @inline(__always)
    static func run(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                    c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, height: Int, width: Int) {
        var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
        var c3 = SIMD16<Float>(), c4 = SIMD16<Float>(), c5 = SIMD16<Float>()
        let bRaw = UnsafeRawPointer(b)
        var ap = a
        for p in 0..<kc {
            let bv = bRaw.load(fromByteOffset: p &* 64, as: SIMD16<Float>.self)
            c0 = c0.addingProduct(ap[0], bv)
            c1 = c1.addingProduct(ap[1], bv)
            c2 = c2.addingProduct(ap[2], bv)
            c3 = c3.addingProduct(ap[3], bv)
            c4 = c4.addingProduct(ap[4], bv)
            c5 = c5.addingProduct(ap[5], bv)
            ap += 6
        }
        if height == 6 && width == 16 {
            update(c, c0, alpha); update(c + ldc, c1, alpha); update(c + 2 * ldc, c2, alpha)
            update(c + 3 * ldc, c3, alpha); update(c + 4 * ldc, c4, alpha); update(c + 5 * ldc, c5, alpha)
            return
        }
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 6) { rows in
            rows[0] = c0; rows[1] = c1; rows[2] = c2; rows[3] = c3; rows[4] = c4; rows[5] = c5
            for r in 0..<height {
                let row = c + r * ldc
                let acc = rows[r]
                for j in 0..<width { row[j] += alpha * acc[j] }
            }
        }
    }

    @inline(__always)
    static func update(_ c: UnsafeMutablePointer<Float>, _ acc: SIMD16<Float>, _ alpha: Float) {
        let raw = UnsafeMutableRawPointer(c)
        let old = raw.loadUnaligned(as: SIMD16<Float>.self)
        raw.storeBytes(of: old + alpha * acc, as: SIMD16<Float>.self)
    }
}
