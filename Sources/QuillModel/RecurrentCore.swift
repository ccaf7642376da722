import QuillCore
import QuillKernels

/// What every recurrent cell shares: its weights under PyTorch's names, the buffers kept for
/// backward, and the three big products that do not depend on the cell's equations. Each cell
/// (`LSTMLayer`, `GRULayer`, `RNNLayer`) owns one and writes only its own equations around it.
///
/// Shapes (time-major rows: row `t·B + b`; G gate blocks per cell: LSTM 4, GRU 3, RNN 1):
/// - input X: (T·B, In); weights W_ih (G·H, In), W_hh (G·H, H), biases b_ih, b_hh (G·H)
/// - `gates`: (T·B, G·H), what the cell keeps of each step for backward; backward overwrites each
///   step's row with the gradient of its pre-activations once the step is done with it
/// - `hidden`: ((T+1)·B, H), h0 first; rows B… are the layer's output
///
/// The input projection of all T steps and the weight gradients over all steps are single GEMMs
/// here; the time loop's products and its split over the cores are here too.
final class RecurrentCore {
    let index: Int
    let inputSize: Int
    let hiddenSize: Int
    /// G: gate blocks along the first axis of the weights.
    let gateCount: Int
    let parameters: ParameterStore
    let gradients: ParameterStore

    let gates = Workspace()
    let hidden = Workspace()
    /// (G·H) the bias the input projection adds: b_ih, plus b_hh when the cell allows.
    private let biasSum = Workspace()
    /// W_hh packed for the time loop's GEMMs (W_hhᵀ in forward, W_hh in backward) when the batch
    /// has more than one row; then every row goes through the same tiled kernel, whichever worker
    /// computes it and with whichever other rows, so the split never changes a bit.
    private let packedRecurrent = PackedMatrix()
    /// More than one row: every product of the time loop uses `packedRecurrent`.
    private var packsRecurrent = false
    /// The time loop runs each worker's rows separately (see `timeLoop`).
    private var splitsRows = false
    private(set) var steps = 0
    private(set) var batch = 0
    /// Weight-drop: the mask on W_hh (0 or 1/(1−p)), W_hh ⊙ mask, and the unmasked gradient.
    private let recurrentMask = Workspace(), droppedRecurrent = Workspace(), maskedGradient = Workspace()
    /// The time loop multiplies by `droppedRecurrent` rather than W_hh (set by `dropRecurrentWeights`).
    private(set) var dropsWeights = false

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

    /// The hidden-to-hidden matrix the time loop uses: W_hh, or its weight-dropped copy.
    private var recurrentWeight: UnsafeMutablePointer<Float> { dropsWeights ? droppedRecurrent.pointer : weightHH }

    /// Weight-drop (DropConnect) for the next forward and backward: draws a mask over W_hh from
    /// `rng` (element order) and multiplies by W_hh ⊙ mask instead of W_hh. A probability of 0
    /// turns it off. `given` supplies the mask (0 or 1/(1−p) per element) instead of drawing it.
    func dropRecurrentWeights(probability p: Float, rng: inout SeededGenerator, given: [Float]? = nil) {
        dropsWeights = p > 0 || given != nil
        guard dropsWeights else { return }
        let n = gateWidth * hiddenSize, w = weightHH
        let m = recurrentMask.buffer(n), dropped = droppedRecurrent.buffer(n)
        if let given {
            precondition(given.count == n, "a weight-drop mask of \(given.count) values for \(n) weights")
            given.withUnsafeBufferPointer { m.update(from: $0.baseAddress!, count: n) }
        } else {
            let scale = 1 / (1 - p)
            for i in 0..<n { m[i] = rng.nextUniform() < p ? 0 : scale }
        }
        for i in 0..<n { dropped[i] = w[i] * m[i] }
    }

    /// Forward and backward use W_hh itself again (evaluation).
    func keepRecurrentWeights() { dropsWeights = false }

    /// The layer's output after `forward`: (T·B, H).
    var output: UnsafeMutablePointer<Float> { hidden.pointer + batch * hiddenSize }

    /// Sizes the buffers for T steps of B rows and copies h0 in; returns (gates, hidden).
    func begin(steps t: Int, batch b: Int, h0: UnsafePointer<Float>) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
        steps = t
        batch = b
        packsRecurrent = b > 1
        splitsRows = packsRecurrent && Self.splitsRows(batch: b, weightBytes: gateWidth * hiddenSize * 4)
        if packsRecurrent {
            packedRecurrent.pack(k: hiddenSize, n: gateWidth, b: recurrentWeight, ldb: hiddenSize, transposeB: true)
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
        let bias = biasSum.buffer(width)
        Profiler.measure(.inputGEMM) {
            for j in 0..<width { bias[j] = addHiddenBias ? bih[j] + bhh[j] : bih[j] }
            GEMM.multiply(m: rows, n: width, k: inputSize, a: x, lda: inputSize, b: weightIH, ldb: inputSize,
                          transposeB: true, beta: 0, c: out, ldc: width, bias: bias)
        }
    }

    /// Runs the time loop's body over the batch rows. When `splitsRows`, each worker takes its own
    /// rows through every step: a row's state depends only on its own previous state, so the
    /// workers never wait for each other between steps (two small parallel products a step cost
    /// more in hand-offs than they saved), and each keeps its rows' gates hot in its own cache.
    /// Otherwise (one row, or a W_hh too large to stream per worker) the body runs on the caller
    /// over all rows and each step's products split their columns.
    func timeLoop(_ body: (Range<Int>) -> Void) {
        if splitsRows {
            Parallel.forRanges(batch, minimumPerWorker: 1, body)
        } else {
            body(0..<batch)
        }
    }

    /// Whether the time loop splits rows rather than each product's columns. Split by rows, every
    /// worker streams all of W_hh once a step for its own rows; split by columns, half of it, but
    /// with two hand-offs a step. Measured on two cores (`quill-bench train`, alternating): rows
    /// win by 3–10% while a worker's W_hh bytes per row stay small (2×256 char 64 KiB, 2×512 char
    /// 128 KiB, 2×200 word 64 KiB) and lose 8% at 680 KiB (2×650 word, 10 rows a worker).
    static func splitsRows(batch: Int, weightBytes: Int) -> Bool {
        let workers = min(Parallel.threadCount, batch)
        guard workers > 1 else { return false }
        return weightBytes / max(1, batch / workers) <= 256 << 10
    }

    /// `out` (B, G·H) += h·W_hhᵀ for one step, on the given rows of h and out.
    func addRecurrent(_ h: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        Profiler.measure(.recurrentGEMM) {
            if packsRecurrent {
                GEMM.multiply(m: rows.count, a: h + rows.lowerBound * hiddenSize, lda: hiddenSize, packedB: packedRecurrent,
                              beta: 1, c: out + rows.lowerBound * gateWidth, ldc: gateWidth, parallel: !splitsRows)
            } else {
                GEMM.multiply(m: batch, n: gateWidth, k: hiddenSize, a: h, lda: hiddenSize, b: recurrentWeight, ldb: hiddenSize,
                              transposeB: true, beta: 1, c: out, ldc: gateWidth)
            }
        }
    }

    /// Call at the start of backward: packs W_hh for `recurrentGradient`.
    func beginBackward() {
        if packsRecurrent {
            Profiler.measure(.recurrentBackwardGEMM) {
                packedRecurrent.pack(k: gateWidth, n: hiddenSize, b: recurrentWeight, ldb: hiddenSize, transposeB: false)
            }
        }
    }

    /// `dh` (B, H) ← dGates (B, G·H) · W_hh (added to `dh` when `accumulate`) on the given rows: the
    /// gradient flowing to the previous step.
    func recurrentGradient(_ dGates: UnsafePointer<Float>, into dh: UnsafeMutablePointer<Float>, rows: Range<Int>,
                           accumulate: Bool = false) {
        Profiler.measure(.recurrentBackwardGEMM) {
            if packsRecurrent {
                GEMM.multiply(m: rows.count, a: dGates + rows.lowerBound * gateWidth, lda: gateWidth, packedB: packedRecurrent,
                              beta: accumulate ? 1 : 0, c: dh + rows.lowerBound * hiddenSize, ldc: hiddenSize, parallel: !splitsRows)
            } else {
                GEMM.multiply(m: batch, n: hiddenSize, k: gateWidth, a: dGates, lda: gateWidth, b: recurrentWeight, ldb: hiddenSize,
                              beta: accumulate ? 1 : 0, c: dh, ldc: hiddenSize)
            }
        }
    }

    /// Weight and bias gradients over all steps, and the input gradient:
    /// dW_ih += dInputᵀ·X, dW_hh += dHiddenᵀ·H_prev, db_ih += Σ dInput, db_hh += Σ dHidden,
    /// dX = dInput·W_ih. For LSTM and RNN cells both pre-activation gradients are the same buffer.
    func finishBackward(input x: UnsafePointer<Float>, inputSideGrad dIn: UnsafePointer<Float>,
                        hiddenSideGrad dHid: UnsafePointer<Float>, inputGrad: UnsafeMutablePointer<Float>?) {
        let rows = steps * batch, width = gateWidth, h = hiddenSize
        let name = { (kind: String) in "rnn.\(kind)_l\(self.index)" }
        Profiler.measure(.weightGradients) {
            let dW = gradients.pointer(name("weight_hh"))
            if dropsWeights {
                // The loss saw W_hh ⊙ mask: its gradient reaches W_hh through the mask.
                let n = width * h, scratch = maskedGradient.buffer(n), m = recurrentMask.pointer
                GEMM.multiply(m: width, n: h, k: rows, a: dHid, lda: width, transposeA: true, b: hidden.pointer, ldb: h,
                              beta: 0, c: scratch, ldc: h)
                for i in 0..<n { dW[i] += scratch[i] * m[i] }
            } else {
                GEMM.multiply(m: width, n: h, k: rows, a: dHid, lda: width, transposeA: true, b: hidden.pointer, ldb: h,
                              beta: 1, c: dW, ldc: h)
            }
            GEMM.multiply(m: width, n: inputSize, k: rows, a: dIn, lda: width, transposeA: true, b: x, ldb: inputSize,
                          beta: 1, c: gradients.pointer(name("weight_ih")), ldc: inputSize)
            let dbIH = gradients.pointer(name("bias_ih")), dbHH = gradients.pointer(name("bias_hh"))
            if dIn == dHid {
                ColumnSums.add(dIn, rows: rows, columns: width, into: dbIH, and: dbHH)
            } else {
                ColumnSums.add(dIn, rows: rows, columns: width, into: dbIH)
                ColumnSums.add(dHid, rows: rows, columns: width, into: dbHH)
            }
        }
        if let inputGrad {
            Profiler.measure(.inputGradients) {
                GEMM.multiply(m: rows, n: inputSize, k: width, a: dIn, lda: width, b: weightIH, ldb: inputSize,
                              beta: 0, c: inputGrad, ldc: inputSize)
            }
        }
    }
}
