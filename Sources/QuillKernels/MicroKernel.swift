/// The register tiles at the bottom of GEMM: 6×16 and, for the tail of a block, 4×16.
///
/// Twelve AVX2 registers hold the 6×16 tile's accumulators (six `SIMD16<Float>`), one row of the B
/// panel is loaded per k step and each A value is broadcast against it with a fused multiply-add.
/// The 4×16 tile has eight accumulators, still enough to keep both FMA pipes busy, and serves
/// panels of at most four rows: a batch of 32 rows splits into 6·4 + 4 + 4 rather than 6·5 + 2,
/// so no padding rows are computed. Either way each element accumulates in k order, so its value
/// does not depend on which tile computed it. A panels are stored `[kc][6]` whatever their height.
/// An AVX-512 build runs the 6×32 and 4×32 tiles of `MicroKernel+AVX512.swift` instead.
enum MicroKernel {
    @inline(__always)
    static func run(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                    c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, height: Int, width: Int,
                    first: Bool, bias: UnsafePointer<Float>?) {
        let out = Output(ldc: ldc, alpha: alpha, first: first, bias: bias)
        #if QUILL_AVX512
        if height <= 4 {
            runFourWide(kc: kc, a: a, b: b, c: c, out, height: height, width: width)
        } else {
            runSixWide(kc: kc, a: a, b: b, c: c, out, height: height, width: width)
        }
        #else
        if height <= 4 {
            runFour(kc: kc, a: a, b: b, c: c, out, height: height, width: width)
        } else {
            runSix(kc: kc, a: a, b: b, c: c, out, height: height, width: width)
        }
        #endif
    }

    @inline(__always)
    static func runSix(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                       c: UnsafeMutablePointer<Float>, _ out: Output, height: Int, width: Int) {
        let ldc = out.ldc
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
        if width == 16 {
            out.store(c, c0); out.store(c + ldc, c1); out.store(c + 2 * ldc, c2)
            out.store(c + 3 * ldc, c3); out.store(c + 4 * ldc, c4)
            if height == 6 { out.store(c + 5 * ldc, c5) }
            return
        }
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 6) { rows in
            rows[0] = c0; rows[1] = c1; rows[2] = c2; rows[3] = c3; rows[4] = c4; rows[5] = c5
            rows.baseAddress!.withMemoryRebound(to: Float.self, capacity: rows.count * 16) {
                out.store(partial: $0, rowWidth: 16, c: c, height: height, width: width)
            }
        }
    }

    @inline(__always)
    static func runFour(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                        c: UnsafeMutablePointer<Float>, _ out: Output, height: Int, width: Int) {
        let ldc = out.ldc
        var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
        let bRaw = UnsafeRawPointer(b)
        var ap = a
        for p in 0..<kc {
            let bv = bRaw.load(fromByteOffset: p &* 64, as: SIMD16<Float>.self)
            c0 = c0.addingProduct(ap[0], bv)
            c1 = c1.addingProduct(ap[1], bv)
            c2 = c2.addingProduct(ap[2], bv)
            c3 = c3.addingProduct(ap[3], bv)
            ap += 6
        }
        if width == 16 {
            out.store(c, c0)
            if height > 1 { out.store(c + ldc, c1) }
            if height > 2 { out.store(c + 2 * ldc, c2) }
            if height > 3 { out.store(c + 3 * ldc, c3) }
            return
        }
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 4) { rows in
            rows[0] = c0; rows[1] = c1; rows[2] = c2; rows[3] = c3
            rows.baseAddress!.withMemoryRebound(to: Float.self, capacity: rows.count * 16) {
                out.store(partial: $0, rowWidth: 16, c: c, height: height, width: width)
            }
        }
    }

    /// How a finished tile reaches C: added to it (`C + α·acc`), or, in the first k block of a
    /// β = 0 product, written over it without reading it (`α·acc`, or `bias + α·acc`).
    struct Output {
        let ldc: Int, alpha: Float, first: Bool
        let bias: UnsafePointer<Float>?

        /// Stores 16 sums at `c + column`, a row of the tile starting at `c` (and the bias at `column`).
        @inline(__always)
        func store(_ c: UnsafeMutablePointer<Float>, _ acc: SIMD16<Float>, column: Int = 0) {
            let raw = UnsafeMutableRawPointer(c + column)
            if !first {
                raw.storeBytes(of: raw.loadUnaligned(as: SIMD16<Float>.self) + alpha * acc, as: SIMD16<Float>.self)
            } else if let bias {
                raw.storeBytes(of: UnsafeRawPointer(bias + column).loadUnaligned(as: SIMD16<Float>.self) + alpha * acc,
                               as: SIMD16<Float>.self)
            } else {
                raw.storeBytes(of: alpha * acc, as: SIMD16<Float>.self)
            }
        }

        /// A tile at the right edge of C (fewer columns than the tile has), its sums in `rows`,
        /// `rowWidth` floats a row (the tile's width): element by element, the same arithmetic as
        /// `store`.
        @inline(never)
        func store(partial rows: UnsafePointer<Float>, rowWidth: Int, c: UnsafeMutablePointer<Float>, height: Int,
                   width: Int) {
            for r in 0..<height {
                let row = c + r * ldc
                let acc = rows + r * rowWidth
                for j in 0..<width {
                    let product = alpha * acc[j]
                    row[j] = !first ? row[j] + product : (bias.map { $0[j] + product } ?? product)
                }
            }
        }
    }
}
