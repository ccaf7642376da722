import QuillKernels

/// What every recurrent layer shares: its weights under PyTorch's names, the buffers kept for
/// backward, and the three big products that do not depend on the cell's equations.
///
/// Shapes (time-major rows: row `t·B + b`; G gate blocks per cell: LSTM 4, GRU 3, RNN 1):
/// - input X: (T·B, In); weights W_ih (G·H, In), W_hh (G·H, H), biases b_ih, b_hh (G·H)
/// - `gates`: (T·B, G·H), what the cell keeps of each step for backward; backward overwrites each
///   step's row with the gradient of its pre-activations once the step is done with it
/// - `hidden`: ((T+1)·B, H), h0 first; rows B… are the layer's output
///
/// A cell subclass implements `forward` and `backward`; the input projection of all T steps and
/// the weight gradients over all steps are single GEMMs here.
class RecurrentLayer {
    let index: Int
    let inputSize: Int
    let hiddenSize: Int
    /// G: gate blocks along the first axis of the weights.
    let gateCount: Int
    let parameters: ParameterStore
    let gradients: ParameterStore

    let gates = Workspace()
    let hidden = Workspace()
    /// W_hh packed for the time loop's GEMMs (W_hhᵀ in forward, W_hh in backward), when the loop
    /// has more than one step of more than one row.
    private let packedRecurrent = PackedMatrix()
    private var usePacked = false
    private(set) var steps = 0
    private(set) var batch = 0

    init(index: Int, inputSize: Int, hiddenSize: Int, gateCount: Int, parameters: ParameterStore, gradients: ParameterStore) {
        self.index = index
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.gateCount = gateCount
        self.parameters = parameters
        self.gradients = gradients
    }

    var gateWidth: Int { gateCount * hiddenSize }
    var weightIH: UnsafeMutablePointer<Float> { parameters.pointer("rnn.weight_ih_l\(index)") }
    var weightHH: UnsafeMutablePointer<Float> { parameters.pointer("rnn.weight_hh_l\(index)") }
    var biasIH: UnsafeMutablePointer<Float> { parameters.pointer("rnn.bias_ih_l\(index)") }
    var biasHH: UnsafeMutablePointer<Float> { parameters.pointer("rnn.bias_hh_l\(index)") }

    /// The layer's output after `forward`: (T·B, H).
    var output: UnsafeMutablePointer<Float> { hidden.pointer + batch * hiddenSize }

    /// Sizes the buffers for T steps of B rows and copies h0 in; returns (gates, hidden).
    func begin(steps t: Int, batch b: Int, h0: UnsafePointer<Float>) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
        steps = t
        batch = b
        usePacked = t > 1 && b > 1
        if usePacked {
            packedRecurrent.pack(k: hiddenSize, n: gateWidth, b: weightHH, ldb: hiddenSize, transposeB: true)
        }
        let g = gates.buffer(t * b * gateWidth)
        let h = hidden.buffer((t + 1) * b * hiddenSize)
        h.update(from: h0, count: b * hiddenSize)
        return (g, h)
    }

    /// `out` ← X·W_ihᵀ + b_ih (+ b_hh when `addHiddenBias`), all T·B rows in one GEMM.
    func projectInputs(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, addHiddenBias: Bool) {
        let rows = steps * batch, width = gateWidth
        let bih = biasIH, bhh = biasHH
        for j in 0..<width { out[j] = addHiddenBias ? bih[j] + bhh[j] : bih[j] }
        for r in 1..<max(1, rows) { (out + r * width).update(from: out, count: width) }
        GEMM.multiply(m: rows, n: width, k: inputSize, a: x, lda: inputSize, b: weightIH, ldb: inputSize,
                      transposeB: true, beta: 1, c: out, ldc: width)
    }

    /// `out` (B, G·H) += h·W_hhᵀ for one step's hidden rows.
    func addRecurrent(_ h: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        if usePacked {
            GEMM.multiply(m: batch, a: h, lda: hiddenSize, packedB: packedRecurrent, beta: 1, c: out, ldc: gateWidth)
        } else {
            GEMM.multiply(m: batch, n: gateWidth, k: hiddenSize, a: h, lda: hiddenSize, b: weightHH, ldb: hiddenSize,
                          transposeB: true, beta: 1, c: out, ldc: gateWidth)
        }
    }

    /// Call at the start of backward: packs W_hh for `recurrentGradient`.
    func beginBackward() {
        if usePacked {
            packedRecurrent.pack(k: gateWidth, n: hiddenSize, b: weightHH, ldb: hiddenSize, transposeB: false)
        }
    }

    /// `dh` (B, H) ← dGates (B, G·H) · W_hh (added to `dh` when `accumulate`): the gradient flowing
    /// to the previous step.
    func recurrentGradient(_ dGates: UnsafePointer<Float>, into dh: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        if usePacked {
            GEMM.multiply(m: batch, a: dGates, lda: gateWidth, packedB: packedRecurrent, beta: accumulate ? 1 : 0,
                          c: dh, ldc: hiddenSize)
        } else {
            GEMM.multiply(m: batch, n: hiddenSize, k: gateWidth, a: dGates, lda: gateWidth, b: weightHH, ldb: hiddenSize,
                          beta: accumulate ? 1 : 0, c: dh, ldc: hiddenSize)
        }
    }

    /// Weight and bias gradients over all steps, and the input gradient:
    /// dW_ih += dInputᵀ·X, dW_hh += dHiddenᵀ·H_prev, db_ih += Σ dInput, db_hh += Σ dHidden,
    /// dX = dInput·W_ih. For LSTM and RNN cells both pre-activation gradients are the same buffer.
    func finishBackward(input x: UnsafePointer<Float>, inputSideGrad dIn: UnsafePointer<Float>,
                        hiddenSideGrad dHid: UnsafePointer<Float>, inputGrad: UnsafeMutablePointer<Float>?) {
        let rows = steps * batch, width = gateWidth, h = hiddenSize
        let name = { (kind: String) in "rnn.\(kind)_l\(self.index)" }
        GEMM.multiply(m: width, n: h, k: rows, a: dHid, lda: width, transposeA: true, b: hidden.pointer, ldb: h,
                      beta: 1, c: gradients.pointer(name("weight_hh")), ldc: h)
        GEMM.multiply(m: width, n: inputSize, k: rows, a: dIn, lda: width, transposeA: true, b: x, ldb: inputSize,
                      beta: 1, c: gradients.pointer(name("weight_ih")), ldc: inputSize)
        ColumnSums.add(dIn, rows: rows, columns: width, into: gradients.pointer(name("bias_ih")))
        ColumnSums.add(dHid, rows: rows, columns: width, into: gradients.pointer(name("bias_hh")))
        if let inputGrad {
            GEMM.multiply(m: rows, n: inputSize, k: width, a: dIn, lda: width, b: weightIH, ldb: inputSize,
                          beta: 0, c: inputGrad, ldc: inputSize)
        }
    }

    /// Runs T steps from h0 (and c0 for cells with a cell state), each (B, H); writes the final
    /// states back into them.
    func forward(input x: UnsafePointer<Float>, steps t: Int, batch b: Int,
                 h0: UnsafeMutablePointer<Float>, c0: UnsafeMutablePointer<Float>?) {
        fatalError("\(type(of: self)) must implement forward")
    }

    /// Backward through the last `forward`.
    /// - Parameters:
    ///   - outputGrad: (T·B, H) gradient with respect to the layer's outputs.
    ///   - inputGrad: (T·B, In) receives the gradient with respect to X (nil: not needed).
    ///   - hiddenGrad, cellGrad: (B, H) gradient reaching (hT, cT) on entry; on exit the gradient
    ///     with respect to (h0, c0). `cellGrad` is nil for cells without a cell state.
    func backward(input x: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>, inputGrad: UnsafeMutablePointer<Float>?,
                  hiddenGrad: UnsafeMutablePointer<Float>, cellGrad: UnsafeMutablePointer<Float>?) {
        fatalError("\(type(of: self)) must implement backward")
    }
}
