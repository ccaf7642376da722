/// The one-row case of GEMM (`m = 1`), which packing would only slow down: at batch 1 every
/// recurrent step and the decoder are a vector times a weight matrix, bound by memory bandwidth.
enum GEMV {
    static func rowTimesMatrix(n: Int, _ op: GEMM.Operands) {
        let k = op.k
        withUnsafeTemporaryAllocation(of: Float.self, capacity: k) { rowBuffer in
            let x: UnsafePointer<Float>
            if op.transposeA {
                for p in 0..<k { rowBuffer[p] = op.a[p * op.lda] }
                x = UnsafePointer(rowBuffer.baseAddress!)
            } else {
                x = op.a
            }
            let minimum = max(16, (1 << 15) / max(1, k))
            if op.transposeB {
                Parallel.forRanges(n, granule: 16, minimumPerWorker: minimum) { columns in
                    for j in columns {
                        let dot = Dot.product(x, op.b + j * op.ldb, count: k)
                        op.c[j] = combine(op.c[j], dot, op, j)
                    }
                }
            } else {
                Parallel.forRanges(n, granule: 64, minimumPerWorker: minimum) { columns in
                    axpyColumns(x: x, columns: columns, op)
                }
            }
        }
    }

    @inline(__always)
    static func combine(_ old: Float, _ sum: Float, _ op: GEMM.Operands, _ j: Int) -> Float {
        if op.beta == 0 { return op.bias.map { $0[j] + op.alpha * sum } ?? op.alpha * sum }
        return op.beta * old + op.alpha * sum
    }

    @inline(__always)
    static func store(_ sums: SIMD16<Float>, at j: Int, _ op: GEMM.Operands) {
        for l in 0..<16 { op.c[j + l] = combine(op.c[j + l], sums[l], op, j + l) }
    }

    /// `c[j] = Σ_p x[p]·B[p, j]` for the given columns, 64 columns at a time in registers.
    static func axpyColumns(x: UnsafePointer<Float>, columns: Range<Int>, _ op: GEMM.Operands) {
        var j = columns.lowerBound
        while j + 64 <= columns.upperBound {
            var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
            for p in 0..<op.k {
                let row = UnsafeRawPointer(op.b + p * op.ldb + j)
                let xp = x[p]
                s0 = s0.addingProduct(xp, row.loadUnaligned(as: SIMD16<Float>.self))
                s1 = s1.addingProduct(xp, row.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self))
                s2 = s2.addingProduct(xp, row.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self))
                s3 = s3.addingProduct(xp, row.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self))
            }
            store(s0, at: j, op); store(s1, at: j + 16, op); store(s2, at: j + 32, op); store(s3, at: j + 48, op)
            j += 64
        }
        while j < columns.upperBound {
            var sum: Float = 0
            for p in 0..<op.k { sum = (x[p] * op.b[p * op.ldb + j]) + sum }
            op.c[j] = combine(op.c[j], sum, op, j)
            j += 1
        }
    }
}
