/// Fused element-wise work of one LSTM time step, forward and backward.
///
/// Gate blocks follow PyTorch: along the 4H axis of a row come i, f, g, o.
/// Shapes: `gates` (B, 4H), cell and hidden states (B, H), with row strides given.
public enum LSTMKernels {
    /// Turns pre-activations into gates in place and advances the cell:
    /// i, f, o = σ(·), g = tanh(·); c' = f⊙c + i⊙g; h' = o⊙tanh(c').
    /// - Parameters:
    ///   - gates: (B, 4H) pre-activations on entry, activated gates on exit (kept for backward).
    ///   - cellIn: (B, H) previous cell state.
    ///   - cellOut: (B, H) new cell state.
    ///   - hiddenOut: (B, H) new hidden state, rows `hiddenStride` apart.
    public static func forward(batch: Int, hidden h: Int, gates: UnsafeMutablePointer<Float>,
                               cellIn: UnsafePointer<Float>, cellOut: UnsafeMutablePointer<Float>,
                               hiddenOut: UnsafeMutablePointer<Float>, hiddenStride: Int) {
        Parallel.forRanges(batch, minimumPerWorker: max(1, 8192 / max(1, h))) { rows in
            for b in rows {
                let g = gates + b * 4 * h
                VectorMath.apply(g, count: 2 * h, VectorMath.sigmoid)
                VectorMath.apply(g + 2 * h, count: h, VectorMath.tanh)
                VectorMath.apply(g + 3 * h, count: h, VectorMath.sigmoid)
                let cPrev = cellIn + b * h, cNext = cellOut + b * h, hNext = hiddenOut + b * hiddenStride
                for j in 0..<h {
                    cNext[j] = g[h + j] * cPrev[j] + g[j] * g[2 * h + j]
                }
                // tanh(c') goes through the vector path so its bits match the backward recomputation.
                for j in 0..<h { hNext[j] = cNext[j] }
                VectorMath.apply(hNext, count: h, VectorMath.tanh)
                for j in 0..<h { hNext[j] *= g[3 * h + j] }
            }
        }
    }

    /// Backward through one step.
    /// - Parameters:
    ///   - gates: (B, 4H) activated gates saved by `forward`.
    ///   - cellPrev: (B, H) cell state entering the step; `cell`: (B, H) the state it produced.
    ///   - hiddenGrad: (B, H) gradient reaching h' (from above and from the next step).
    ///   - cellGrad: (B, H) gradient reaching c' on entry; the gradient for the previous cell on exit.
    ///   - gateGrad: (B, 4H) receives the gradient of the pre-activations. It may be `gates` itself:
    ///     each element is read before it is written.
    public static func backward(batch: Int, hidden h: Int, gates: UnsafePointer<Float>,
                                cellPrev: UnsafePointer<Float>, cell: UnsafePointer<Float>,
                                hiddenGrad: UnsafePointer<Float>, cellGrad: UnsafeMutablePointer<Float>,
                                gateGrad: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(batch, minimumPerWorker: max(1, 8192 / max(1, h))) { rows in
            for b in rows {
                let g = gates + b * 4 * h, dg = gateGrad + b * 4 * h
                let cp = cellPrev + b * h, c = cell + b * h
                let dh = hiddenGrad + b * h, dc = cellGrad + b * h
                // tanh(c') eight lanes at a time, through the same vector code as the forward pass
                // (so the bits agree), in registers rather than a scratch buffer.
                var j0 = 0
                while j0 < h {
                    let lanes = min(8, h - j0)
                    var v = VectorMath.Vector()
                    for l in 0..<lanes { v[l] = c[j0 + l] }
                    let tc = VectorMath.tanh(v)
                    for l in 0..<lanes {
                        let j = j0 + l
                        let i = g[j], f = g[h + j], gg = g[2 * h + j], o = g[3 * h + j]
                        let t = tc[l]
                        let dcTotal = dc[j] + dh[j] * o * (1 - t * t)
                        dg[j] = dcTotal * gg * i * (1 - i)
                        dg[h + j] = dcTotal * cp[j] * f * (1 - f)
                        dg[2 * h + j] = dcTotal * i * (1 - gg * gg)
                        dg[3 * h + j] = dh[j] * t * o * (1 - o)
                        dc[j] = dcTotal * f
                    }
                    j0 += 8
                }
            }
        }
    }
}
