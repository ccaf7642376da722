#if QUILL_AVX512
extension MicroKernel {
    /// The 6×32 tile of an AVX-512 build: each row of the tile is two `SIMD16<Float>` (two AVX-512
    /// registers), so twelve accumulators are in flight, as in the 6×16 tile of an AVX2 build. A
    /// 6×16 tile in AVX-512 registers would hold only six, too few to cover the fused multiply-add's
    /// latency on both pipes. Each element accumulates in k order, as in the narrow tiles, so a
    /// product has the same bits in either build.
    @inline(__always)
    static func runSixWide(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                           c: UnsafeMutablePointer<Float>, _ out: Output, height: Int, width: Int) {
        let ldc = out.ldc
        var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
        var c3 = SIMD16<Float>(), c4 = SIMD16<Float>(), c5 = SIMD16<Float>()
        var d0 = SIMD16<Float>(), d1 = SIMD16<Float>(), d2 = SIMD16<Float>()
        var d3 = SIMD16<Float>(), d4 = SIMD16<Float>(), d5 = SIMD16<Float>()
        let bRaw = UnsafeRawPointer(b)
        var ap = a
        for p in 0..<kc {
            let left = bRaw.load(fromByteOffset: p &* 128, as: SIMD16<Float>.self)
            let right = bRaw.load(fromByteOffset: p &* 128 &+ 64, as: SIMD16<Float>.self)
            let a0 = ap[0], a1 = ap[1], a2 = ap[2], a3 = ap[3], a4 = ap[4], a5 = ap[5]
            c0 = c0.addingProduct(a0, left); d0 = d0.addingProduct(a0, right)
            c1 = c1.addingProduct(a1, left); d1 = d1.addingProduct(a1, right)
            c2 = c2.addingProduct(a2, left); d2 = d2.addingProduct(a2, right)
            c3 = c3.addingProduct(a3, left); d3 = d3.addingProduct(a3, right)
            c4 = c4.addingProduct(a4, left); d4 = d4.addingProduct(a4, right)
            c5 = c5.addingProduct(a5, left); d5 = d5.addingProduct(a5, right)
            ap += 6
        }
        if width == 32 {
            out.store(c, c0); out.store(c, d0, column: 16)
            out.store(c + ldc, c1); out.store(c + ldc, d1, column: 16)
            out.store(c + 2 * ldc, c2); out.store(c + 2 * ldc, d2, column: 16)
            out.store(c + 3 * ldc, c3); out.store(c + 3 * ldc, d3, column: 16)
            out.store(c + 4 * ldc, c4); out.store(c + 4 * ldc, d4, column: 16)
            if height == 6 { out.store(c + 5 * ldc, c5); out.store(c + 5 * ldc, d5, column: 16) }
            return
        }
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 12) { rows in
            rows[0] = c0; rows[1] = d0; rows[2] = c1; rows[3] = d1; rows[4] = c2; rows[5] = d2
            rows[6] = c3; rows[7] = d3; rows[8] = c4; rows[9] = d4; rows[10] = c5; rows[11] = d5
            rows.baseAddress!.withMemoryRebound(to: Float.self, capacity: rows.count * 16) {
                out.store(partial: $0, rowWidth: 32, c: c, height: height, width: width)
            }
        }
    }

    /// The 4×32 tile, for panels of at most four rows (see `runFour`).
    @inline(__always)
    static func runFourWide(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                            c: UnsafeMutablePointer<Float>, _ out: Output, height: Int, width: Int) {
        let ldc = out.ldc
        var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
        var d0 = SIMD16<Float>(), d1 = SIMD16<Float>(), d2 = SIMD16<Float>(), d3 = SIMD16<Float>()
        let bRaw = UnsafeRawPointer(b)
        var ap = a
        for p in 0..<kc {
            let left = bRaw.load(fromByteOffset: p &* 128, as: SIMD16<Float>.self)
            let right = bRaw.load(fromByteOffset: p &* 128 &+ 64, as: SIMD16<Float>.self)
            let a0 = ap[0], a1 = ap[1], a2 = ap[2], a3 = ap[3]
            c0 = c0.addingProduct(a0, left); d0 = d0.addingProduct(a0, right)
            c1 = c1.addingProduct(a1, left); d1 = d1.addingProduct(a1, right)
            c2 = c2.addingProduct(a2, left); d2 = d2.addingProduct(a2, right)
            c3 = c3.addingProduct(a3, left); d3 = d3.addingProduct(a3, right)
            ap += 6
        }
        if width == 32 {
            out.store(c, c0); out.store(c, d0, column: 16)
            if height > 1 { out.store(c + ldc, c1); out.store(c + ldc, d1, column: 16) }
            if height > 2 { out.store(c + 2 * ldc, c2); out.store(c + 2 * ldc, d2, column: 16) }
            if height > 3 { out.store(c + 3 * ldc, c3); out.store(c + 3 * ldc, d3, column: 16) }
            return
        }
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 8) { rows in
            rows[0] = c0; rows[1] = d0; rows[2] = c1; rows[3] = d1; rows[4] = c2; rows[5] = d2; rows[6] = c3; rows[7] = d3
            rows.baseAddress!.withMemoryRebound(to: Float.self, capacity: rows.count * 16) {
                out.store(partial: $0, rowWidth: 32, c: c, height: height, width: width)
            }
        }
    }
}
#endif
