/// Copies blocks of the GEMM operands into the panel layouts the micro-kernel reads.
///
/// A block of op(A) becomes panels of `mr` rows stored k-major (`[kc][mr]`); a block of op(B)
/// becomes panels of `nr` columns stored k-major (`[kc][nr]`). Edge panels are zero-padded, so the
/// micro-kernel always runs a full tile and the padding contributes exact zeros.
enum Packing {
    static func packA(_ op: GEMM.Operands, rows i0: Int, height: Int, columns p0: Int, count kc: Int,
                      into dst: UnsafeMutablePointer<Float>) {
        let mr = GEMM.mr
        var panel = 0
        while panel < height {
            let rowsHere = min(mr, height - panel)
            let out = dst + panel * kc
            if op.transposeA {
                // op(A)[i, p] = A[p, i]: each p gives mr contiguous values.
                for p in 0..<kc {
                    let src = op.a + (p0 + p) * op.lda + i0 + panel
                    let o = out + p * mr
                    for r in 0..<rowsHere { o[r] = src[r] }
                    for r in rowsHere..<mr { o[r] = 0 }
                }
            } else {
                for r in 0..<mr {
                    if r < rowsHere {
                        let src = op.a + (i0 + panel + r) * op.lda + p0
                        for p in 0..<kc { out[p * mr + r] = src[p] }
                    } else {
                        for p in 0..<kc { out[p * mr + r] = 0 }
                    }
                }
            }
            panel += mr
        }
    }

    static func packB(_ op: GEMM.Operands, rows p0: Int, count kc: Int, columns j0: Int, width: Int,
                      into dst: UnsafeMutablePointer<Float>) {
        let nr = GEMM.nr
        var panel = 0
        while panel < width {
            let columnsHere = min(nr, width - panel)
            let out = dst + panel * kc
            if op.transposeB {
                // op(B)[p, j] = B[j, p]: read each source row contiguously, write with stride nr.
                for c in 0..<nr {
                    if c < columnsHere {
                        let src = op.b + (j0 + panel + c) * op.ldb + p0
                        for p in 0..<kc { out[p * nr + c] = src[p] }
                    } else {
                        for p in 0..<kc { out[p * nr + c] = 0 }
                    }
                }
            } else if columnsHere == nr {
                for p in 0..<kc {
                    let src = UnsafeRawPointer(op.b + (p0 + p) * op.ldb + j0 + panel)
                    UnsafeMutableRawPointer(out + p * nr)
                        .storeBytes(of: src.loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
                }
            } else {
                for p in 0..<kc {
                    let src = op.b + (p0 + p) * op.ldb + j0 + panel
                    let o = out + p * nr
                    for c in 0..<columnsHere { o[c] = src[c] }
                    for c in columnsHere..<nr { o[c] = 0 }
                }
            }
            panel += nr
        }
    }
}
