import QuillKernels

/// Vanilla (Elman) RNN cell: h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh), or relu of the same.
/// Kept for backward: the hidden states only (the derivative is read off h').
final class RNNLayer: RecurrentLayer {
    let activation: RNNKernels.Activation

    init(index: Int, inputSize: Int, hiddenSize: Int, activation: RNNKernels.Activation,
         parameters: ParameterStore, gradients: ParameterStore) {
        self.activation = activation
        super.init(index: index, inputSize: inputSize, hiddenSize: hiddenSize, gateCount: 1,
                   parameters: parameters, gradients: gradients)
    }

    override func forward(input x: UnsafePointer<Float>, steps t: Int, batch b: Int,
                          h0: UnsafeMutablePointer<Float>, c0: UnsafeMutablePointer<Float>?) {
        let h = hiddenSize
        let (a, hs) = begin(steps: t, batch: b, h0: h0)
        projectInputs(x, into: a, addHiddenBias: true)
        for s in 0..<t {
            let as_ = a + s * b * h
            addRecurrent(hs + s * b * h, into: as_)
            RNNKernels.forward(count: b * h, activation: activation, preactivation: as_, hiddenOut: hs + (s + 1) * b * h)
        }
        h0.update(from: hs + t * b * h, count: b * h)
    }

    override func backward(input x: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>,
                           inputGrad: UnsafeMutablePointer<Float>?, hiddenGrad dh: UnsafeMutablePointer<Float>,
                           cellGrad: UnsafeMutablePointer<Float>?) {
        beginBackward()
        let t = steps, b = batch, h = hiddenSize
        let da = gates.pointer, hs = hidden.pointer
        for s in stride(from: t - 1, through: 0, by: -1) {
            let dOut = outputGrad + s * b * h
            for j in 0..<(b * h) { dh[j] += dOut[j] }
            RNNKernels.backward(count: b * h, activation: activation, output: hs + (s + 1) * b * h, hiddenGrad: dh,
                                preactivationGrad: da + s * b * h)
            recurrentGradient(da + s * b * h, into: dh)
        }
        finishBackward(input: x, inputSideGrad: da, hiddenSideGrad: da, inputGrad: inputGrad)
    }
}
