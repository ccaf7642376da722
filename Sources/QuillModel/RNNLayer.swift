import QuillKernels

/// Vanilla (Elman) RNN cell: h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh), or relu of the same.
/// Kept for backward: the hidden states only (the derivative is read off h').
final class RNNLayer: RecurrentLayer {
    let core: RecurrentCore
    let activation: RNNKernels.Activation

    init(core: RecurrentCore, activation: RNNKernels.Activation) {
        self.activation = activation
        self.core = core
    }

    func forward(input x: UnsafePointer<Float>, steps t: Int, batch b: Int,
                 h0: UnsafeMutablePointer<Float>, c0: UnsafeMutablePointer<Float>?) {
        let h = core.hiddenSize
        let (a, hs) = core.begin(steps: t, batch: b, h0: h0)
        core.projectInputs(x, into: a, addHiddenBias: true)
        core.timeLoop { rows in
            let r0 = rows.lowerBound
            for s in 0..<t {
                core.addRecurrent(hs + s * b * h, into: a + s * b * h, rows: rows)
                Profiler.measure(.gates) {
                    RNNKernels.forward(count: rows.count * h, activation: activation, preactivation: a + (s * b + r0) * h,
                                       hiddenOut: hs + ((s + 1) * b + r0) * h)
                }
            }
        }
        h0.update(from: hs + t * b * h, count: b * h)
    }

    func backward(input x: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>,
                  inputGrad: UnsafeMutablePointer<Float>?, hiddenGrad dh: UnsafeMutablePointer<Float>,
                  cellGrad: UnsafeMutablePointer<Float>?) {
        core.beginBackward()
        let t = core.steps, b = core.batch, h = core.hiddenSize
        let da = core.gates.pointer, hs = core.hidden.pointer
        core.timeLoop { rows in
            let r0 = rows.lowerBound, count = rows.count * h
            for s in stride(from: t - 1, through: 0, by: -1) {
                let dOut = outputGrad + (s * b + r0) * h, dhRows = dh + r0 * h
                Profiler.measure(.gatesBackward) {
                    for j in 0..<count { dhRows[j] += dOut[j] }
                    RNNKernels.backward(count: count, activation: activation, output: hs + ((s + 1) * b + r0) * h,
                                        hiddenGrad: dhRows, preactivationGrad: da + (s * b + r0) * h)
                }
                core.recurrentGradient(da + s * b * h, into: dh, rows: rows)
            }
        }
        core.finishBackward(input: x, inputSideGrad: da, hiddenSideGrad: da, inputGrad: inputGrad)
    }
}

extension RNNLayer {
    var cellStates: UnsafePointer<Float>? { nil }
    var activatedGates: UnsafePointer<Float>? { nil }
}
