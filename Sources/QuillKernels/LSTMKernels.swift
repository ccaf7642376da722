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
        Parallel.forRanges(batch, minimumPerWorker: rowsPerWorker(hidden: h)) { rows in
            for b in rows {
                forward(units: 0..<h, hidden: h, gates: gates + b * 4 * h, cellIn: cellIn + b * h,
                        cellOut: cellOut + b * h, hiddenOut: hiddenOut + b * hiddenStride)
            }
        }
    }

    /// `forward` for one row, on the hidden units in `units` only (its lower bound a multiple of
    /// eight): how a generation step splits one row's cell update over the cores. Each unit goes
    /// through the same lane arithmetic as in the whole-row call, so the bits are the same.
    public static func forward(units: Range<Int>, hidden h: Int, gates g: UnsafeMutablePointer<Float>,
                               cellIn cPrev: UnsafePointer<Float>, cellOut cNext: UnsafeMutablePointer<Float>,
                               hiddenOut hNext: UnsafeMutablePointer<Float>) {
        var j = units.lowerBound
        while j < units.upperBound {
            let n = min(8, units.upperBound - j)
            let i = VectorMath.sigmoid(Lanes.load(g + j, n)), f = VectorMath.sigmoid(Lanes.load(g + h + j, n))
            let gg = VectorMath.tanh(Lanes.load(g + 2 * h + j, n)), o = VectorMath.sigmoid(Lanes.load(g + 3 * h + j, n))
            Lanes.store(i, g + j, n); Lanes.store(f, g + h + j, n)
            Lanes.store(gg, g + 2 * h + j, n); Lanes.store(o, g + 3 * h + j, n)
            let c = f * Lanes.load(cPrev + j, n) + i * gg
            Lanes.store(c, cNext + j, n)
            // tanh(c') through the same vector code as backward's recomputation, so the bits agree.
            Lanes.store(VectorMath.tanh(c) * o, hNext + j, n)
            j += 8
        }
    }

    /// Backward through one step.
    /// - Parameters:
    ///   - gates: (B, 4H) activated gates saved by `forward`.
    ///   - cellPrev: (B, H) cell state entering the step; `cell`: (B, H) the state it produced.
    ///   - outputGrad: (B, H) gradient reaching h' from above (the layer's output), or nil.
    ///   - hiddenGrad: (B, H) gradient reaching h' from the next step; the two are summed.
    ///   - cellGrad: (B, H) gradient reaching c' on entry; the gradient for the previous cell on exit.
    ///   - gateGrad: (B, 4H) receives the gradient of the pre-activations. It may be `gates` itself:
    ///     each element is read before it is written.
    public static func backward(batch: Int, hidden h: Int, gates: UnsafePointer<Float>,
                                cellPrev: UnsafePointer<Float>, cell: UnsafePointer<Float>,
                                outputGrad: UnsafePointer<Float>? = nil, hiddenGrad: UnsafePointer<Float>,
                                cellGrad: UnsafeMutablePointer<Float>, gateGrad: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(batch, minimumPerWorker: rowsPerWorker(hidden: h)) { rows in
            for b in rows {
                let g = gates + b * 4 * h, dg = gateGrad + b * 4 * h
                let cp = cellPrev + b * h, c = cell + b * h
                let dh = hiddenGrad + b * h, dc = cellGrad + b * h
                let dOut = outputGrad.map { $0 + b * h }
                var j = 0
                while j < h {
                    let n = min(8, h - j)
                    let i = Lanes.load(g + j, n), f = Lanes.load(g + h + j, n)
                    let gg = Lanes.load(g + 2 * h + j, n), o = Lanes.load(g + 3 * h + j, n)
                    let t = VectorMath.tanh(Lanes.load(c + j, n))
                    let dhTotal = dOut.map { Lanes.load($0 + j, n) + Lanes.load(dh + j, n) } ?? Lanes.load(dh + j, n)
                    let dcTotal = Lanes.load(dc + j, n) + dhTotal * o * (1 - t * t)
                    Lanes.store(dcTotal * gg * i * (1 - i), dg + j, n)
                    Lanes.store(dcTotal * Lanes.load(cp + j, n) * f * (1 - f), dg + h + j, n)
                    Lanes.store(dcTotal * i * (1 - gg * gg), dg + 2 * h + j, n)
                    Lanes.store(dhTotal * t * o * (1 - o), dg + 3 * h + j, n)
                    Lanes.store(dcTotal * f, dc + j, n)
                    j += 8
                }
            }
        }
    }

    /// Rows a worker takes at least: about 2,048 cells, so a split pays for its hand-off.
    static func rowsPerWorker(hidden h: Int) -> Int { max(1, 2048 / max(1, h)) }
}
