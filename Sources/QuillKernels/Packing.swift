/// Copies blocks of the GEMM operands into the panel layouts the micro-kernel reads.
///
/// A block of op(A) becomes panels of at most `mr` rows (see `RowPanels`) stored k-major
/// (`[kc][mr]`); a block of op(B) becomes panels of `nr` columns stored k-major (`[kc][nr]`). Edge
/// panels are zero-padded, so the micro-kernel always runs a full tile and the padding contributes
/// exact zeros.
enum Packing {
    static func packA(_ op: GEMM.Operands, rows i0: Int, height: Int, columns p0: Int, count kc: Int,
                      into dst: UnsafeMutablePointer<Float>) {
        let mr = GEMM.mr
        let panels = RowPanels(height: height)
        if op.transposeA {
            packTransposedA(op, rows: i0, panels: panels, columns: p0, count: kc, into: dst)
            return
        }
        for panel in 0..<panels.count {
            let first = i0 + panels.start(panel), rowsHere = panels.height(panel)
            let out = dst + panel * mr * kc
            for r in 0..<mr {
                if r < rowsHere {
                    let src = op.a + (first + r) * op.lda + p0
                    for p in 0..<kc { out[p * mr + r] = src[p] }
                } else {
                    for p in 0..<kc { out[p * mr + r] = 0 }
                }
            }
        }
    }

    /// op(A)[i, p] = A[p, i]: row p of the source holds the block's whole height contiguously.
    /// Reading it once, front to back, and scattering it over the panels touches each cache line
    /// once; walking panel by panel instead read 6 floats from each of `kc` rows 4 KB apart, and
    /// fetched every line about three times when A came cold from memory (a weight gradient's
    /// dGᵀ, just written by the time loop).
    static func packTransposedA(_ op: GEMM.Operands, rows i0: Int, panels: RowPanels, columns p0: Int, count kc: Int,
                                into dst: UnsafeMutablePointer<Float>) {
        let mr = GEMM.mr
        for p in 0..<kc {
            let src = op.a + (p0 + p) * op.lda + i0
            var out = dst + p * mr
            for panel in 0..<panels.sixes {
                let s = src + panel * mr
                out[0] = s[0]; out[1] = s[1]; out[2] = s[2]; out[3] = s[3]; out[4] = s[4]; out[5] = s[5]
                out += mr * kc
            }
            for panel in panels.sixes..<panels.count {
                let s = src + panels.start(panel), rowsHere = panels.height(panel)
                for r in 0..<mr { out[r] = r < rowsHere ? s[r] : 0 }
                out += mr * kc
            }
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
                    copyPanelRow(from: op.b + (p0 + p) * op.ldb + j0 + panel, to: out + p * nr)
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

    /// Copies `GEMM.nr` floats (one row of a full B panel) in 16-float vectors.
    @inline(__always)
    static func copyPanelRow(from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>) {
        for v in stride(from: 0, to: GEMM.nr, by: 16) {
            UnsafeMutableRawPointer(destination + v)
                .storeBytes(of: UnsafeRawPointer(source + v).loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
        }
    }
}
