import QuillKernels

/// One LSTM layer over T steps of a batch of B rows, forward and backward (BPTT).
///
/// Shapes (time-major rows: row `t·B + b`):
/// - input X: (T·B, In)
/// - weights: W_ih (4H, In), W_hh (4H, H), b_ih and b_hh (4H); gate blocks i, f, g, o
/// - saved for backward: gates (T·B, 4H) activated; cells ((T+1)·B, H) with c0 first;
///   hidden ((T+1)·B, H) with h0 first. Rows B… of `hidden` are the layer's output (T·B, H).
///
/// The input projection of all T steps is one GEMM before the time loop; inside it only the
/// recurrent (B, H)·(H, 4H) product and the fused gate kernel run. Backward collects the gate
/// gradients of all steps and forms dW_ih, dW_hh and dX with one GEMM each.
final class LSTMLayer {
    let inputSize: Int
    let hiddenSize: Int
    let index: Int
    private let parameters: ParameterStore
    private let gradients: ParameterStore

    private let gates = Workspace()      // (T·B, 4H)
    private let cells = Workspace()      // ((T+1)·B, H)
    private let hidden = Workspace()     // ((T+1)·B, H)
    private let gateGrad = Workspace()   // (T·B, 4H)
    private let scratch = Workspace()    // 3 × (B, H): dh, dc, dh + dOut
    private(set) var steps = 0
    private(set) var batch = 0

    init(index: Int, inputSize: Int, hiddenSize: Int, parameters: ParameterStore, gradients: ParameterStore) {
        self.index = index
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.parameters = parameters
        self.gradients = gradients
    }

    private func name(_ kind: String) -> String { "rnn.\(kind)_l\(index)" }

    /// The layer's output after `forward`: (T·B, H).
    var output: UnsafeMutablePointer<Float> { hidden.pointer + batch * hiddenSize }

    /// Runs T steps from (h0, c0) (each (B, H)); writes (hT, cT) back into them.
    func forward(input x: UnsafePointer<Float>, steps t: Int, batch b: Int,
                 h0: UnsafeMutablePointer<Float>, c0: UnsafeMutablePointer<Float>) {
        let h = hiddenSize, g4 = 4 * h
        steps = t
        batch = b
        let gatesP = gates.buffer(t * b * g4)
        let cellsP = cells.buffer((t + 1) * b * h)
        let hiddenP = hidden.buffer((t + 1) * b * h)
        let wih = parameters.pointer(name("weight_ih")), whh = parameters.pointer(name("weight_hh"))
        let bih = parameters.pointer(name("bias_ih")), bhh = parameters.pointer(name("bias_hh"))

        // Every row starts as b_ih + b_hh, then gains X·W_ihᵀ for all steps at once.
        for j in 0..<g4 { gatesP[j] = bih[j] + bhh[j] }
        for r in 1..<(t * b) { (gatesP + r * g4).update(from: gatesP, count: g4) }
        GEMM.multiply(m: t * b, n: g4, k: inputSize, a: x, lda: inputSize, b: wih, ldb: inputSize,
                      transposeB: true, beta: 1, c: gatesP, ldc: g4)
        hiddenP.update(from: h0, count: b * h)
        cellsP.update(from: c0, count: b * h)
        for s in 0..<t {
            let gs = gatesP + s * b * g4
            GEMM.multiply(m: b, n: g4, k: h, a: hiddenP + s * b * h, lda: h, b: whh, ldb: h,
                          transposeB: true, beta: 1, c: gs, ldc: g4)
            LSTMKernels.forward(batch: b, hidden: h, gates: gs, cellIn: cellsP + s * b * h,
                                cellOut: cellsP + (s + 1) * b * h, hiddenOut: hiddenP + (s + 1) * b * h,
                                hiddenStride: h)
        }
        h0.update(from: hiddenP + t * b * h, count: b * h)
        c0.update(from: cellsP + t * b * h, count: b * h)
    }

    /// Backward through the last `forward`.
    /// - Parameters:
    ///   - outputGrad: (T·B, H) gradient of the loss with respect to the layer's outputs.
    ///   - inputGrad: (T·B, In) receives the gradient with respect to X (nil: not needed).
    ///   - stateGrad: (B, H) each, the gradient reaching (hT, cT) on entry (zero for a detached
    ///     state); on exit the gradient with respect to (h0, c0).
    /// Parameter gradients are added to the gradient store.
    func backward(input x: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>,
                  inputGrad: UnsafeMutablePointer<Float>?,
                  hiddenGrad dh: UnsafeMutablePointer<Float>, cellGrad dc: UnsafeMutablePointer<Float>) {
        let t = steps, b = batch, h = hiddenSize, g4 = 4 * h
        let gatesP = gates.pointer, cellsP = cells.pointer, hiddenP = hidden.pointer
        let dGates = gateGrad.buffer(t * b * g4)
        let dhTotal = scratch.buffer(b * h)
        let whh = parameters.pointer(name("weight_hh")), wih = parameters.pointer(name("weight_ih"))

        for s in stride(from: t - 1, through: 0, by: -1) {
            let dOut = outputGrad + s * b * h
            for j in 0..<(b * h) { dhTotal[j] = dOut[j] + dh[j] }
            let dgs = dGates + s * b * g4
            LSTMKernels.backward(batch: b, hidden: h, gates: gatesP + s * b * g4, cellPrev: cellsP + s * b * h,
                                 cell: cellsP + (s + 1) * b * h, hiddenGrad: dhTotal, cellGrad: dc,
                                 gateGrad: dgs)
            // dh_{s-1} = dGates_s · W_hh
            GEMM.multiply(m: b, n: h, k: g4, a: dgs, lda: g4, b: whh, ldb: h, beta: 0, c: dh, ldc: h)
        }
        // Weight gradients over all steps at once: dW_hh += dGatesᵀ·H_prev, dW_ih += dGatesᵀ·X.
        GEMM.multiply(m: g4, n: h, k: t * b, a: dGates, lda: g4, transposeA: true, b: hiddenP, ldb: h,
                      beta: 1, c: gradients.pointer(name("weight_hh")), ldc: h)
        GEMM.multiply(m: g4, n: inputSize, k: t * b, a: dGates, lda: g4, transposeA: true, b: x, ldb: inputSize,
                      beta: 1, c: gradients.pointer(name("weight_ih")), ldc: inputSize)
        ColumnSums.add(dGates, rows: t * b, columns: g4, into: gradients.pointer(name("bias_ih")))
        ColumnSums.add(dGates, rows: t * b, columns: g4, into: gradients.pointer(name("bias_hh")))
        if let inputGrad {
            GEMM.multiply(m: t * b, n: inputSize, k: g4, a: dGates, lda: g4, b: wih, ldb: inputSize,
                          beta: 0, c: inputGrad, ldc: inputSize)
        }
    }
}
