import QuillKernels

/// LSTM cell (PyTorch's definition, gates i, f, g, o):
/// gates = W_ih·x + b_ih + W_hh·h + b_hh; i, f, o = σ(·), g = tanh(·); c' = f⊙c + i⊙g; h' = o⊙tanh(c').
///
/// Kept for backward: activated gates (T·B, 4H), cells ((T+1)·B, H) with c0 first, and the hidden
/// states. The time loop runs only the recurrent (B, H)·(H, 4H) product and the fused gate kernel.
final class LSTMLayer: RecurrentLayer {
    private let cells = Workspace()   // ((T+1)·B, H)
    private let scratch = Workspace() // (B, H): dh + dOut of one step

    init(index: Int, inputSize: Int, hiddenSize: Int, parameters: ParameterStore, gradients: ParameterStore) {
        super.init(index: index, inputSize: inputSize, hiddenSize: hiddenSize, gateCount: 4,
                   parameters: parameters, gradients: gradients)
    }

    override func forward(input x: UnsafePointer<Float>, steps t: Int, batch b: Int,
                          h0: UnsafeMutablePointer<Float>, c0: UnsafeMutablePointer<Float>?) {
        let h = hiddenSize, width = gateWidth
        let (g, hs) = begin(steps: t, batch: b, h0: h0)
        let cs = cells.buffer((t + 1) * b * h)
        cs.update(from: c0!, count: b * h)
        projectInputs(x, into: g, addHiddenBias: true)
        for s in 0..<t {
            let gs = g + s * b * width
            addRecurrent(hs + s * b * h, into: gs)
            LSTMKernels.forward(batch: b, hidden: h, gates: gs, cellIn: cs + s * b * h, cellOut: cs + (s + 1) * b * h,
                                hiddenOut: hs + (s + 1) * b * h, hiddenStride: h)
        }
        h0.update(from: hs + t * b * h, count: b * h)
        c0!.update(from: cs + t * b * h, count: b * h)
    }

    override func backward(input x: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>,
                           inputGrad: UnsafeMutablePointer<Float>?, hiddenGrad dh: UnsafeMutablePointer<Float>,
                           cellGrad dc: UnsafeMutablePointer<Float>?) {
        beginBackward()
        let t = steps, b = batch, h = hiddenSize, width = gateWidth
        let g = gates.pointer, cs = cells.pointer
        let dhTotal = scratch.buffer(b * h)
        for s in stride(from: t - 1, through: 0, by: -1) {
            let dOut = outputGrad + s * b * h
            for j in 0..<(b * h) { dhTotal[j] = dOut[j] + dh[j] }
            // In place: step s's gates become the gradient of its pre-activations.
            let gs = g + s * b * width
            LSTMKernels.backward(batch: b, hidden: h, gates: gs, cellPrev: cs + s * b * h, cell: cs + (s + 1) * b * h,
                                 hiddenGrad: dhTotal, cellGrad: dc!, gateGrad: gs)
            recurrentGradient(gs, into: dh)
        }
        finishBackward(input: x, inputSideGrad: g, hiddenSideGrad: g, inputGrad: inputGrad)
    }
}
