import QuillKernels

/// LSTM cell (PyTorch's definition, gates i, f, g, o):
/// gates = W_ih·x + b_ih + W_hh·h + b_hh; i, f, o = σ(·), g = tanh(·); c' = f⊙c + i⊙g; h' = o⊙tanh(c').
///
/// Kept for backward: activated gates (T·B, 4H), cells ((T+1)·B, H) with c0 first, and the hidden
/// states. The time loop runs only the recurrent (B, H)·(H, 4H) product and the fused gate kernel.
final class LSTMLayer: RecurrentLayer {
    let core: RecurrentCore
    private let cells = Workspace()   // ((T+1)·B, H)

    init(core: RecurrentCore) {
        self.core = core
    }

    func forward(input x: UnsafePointer<Float>, steps t: Int, batch b: Int,
                 h0: UnsafeMutablePointer<Float>, c0: UnsafeMutablePointer<Float>?) {
        let h = core.hiddenSize, width = core.gateWidth
        let (g, hs) = core.begin(steps: t, batch: b, h0: h0)
        let cs = cells.buffer((t + 1) * b * h)
        cs.update(from: c0!, count: b * h)
        core.projectInputs(x, into: g, addHiddenBias: true)
        core.timeLoop { rows in
            let r0 = rows.lowerBound
            for s in 0..<t {
                let gs = g + s * b * width
                core.addRecurrent(hs + s * b * h, into: gs, rows: rows)
                Profiler.measure(.gates) {
                    LSTMKernels.forward(batch: rows.count, hidden: h, gates: gs + r0 * width,
                                        cellIn: cs + (s * b + r0) * h, cellOut: cs + ((s + 1) * b + r0) * h,
                                        hiddenOut: hs + ((s + 1) * b + r0) * h, hiddenStride: h)
                }
            }
        }
        h0.update(from: hs + t * b * h, count: b * h)
        c0!.update(from: cs + t * b * h, count: b * h)
    }

    func backward(input x: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>,
                  inputGrad: UnsafeMutablePointer<Float>?, hiddenGrad dh: UnsafeMutablePointer<Float>,
                  cellGrad dc: UnsafeMutablePointer<Float>?) {
        core.beginBackward()
        let t = core.steps, b = core.batch, h = core.hiddenSize, width = core.gateWidth
        let g = core.gates.pointer, cs = cells.pointer, dc = dc!
        core.timeLoop { rows in
            let r0 = rows.lowerBound
            for s in stride(from: t - 1, through: 0, by: -1) {
                // In place: step s's gates become the gradient of its pre-activations.
                let gs = g + s * b * width
                Profiler.measure(.gatesBackward) {
                    LSTMKernels.backward(batch: rows.count, hidden: h, gates: gs + r0 * width,
                                         cellPrev: cs + (s * b + r0) * h, cell: cs + ((s + 1) * b + r0) * h,
                                         outputGrad: outputGrad + (s * b + r0) * h, hiddenGrad: dh + r0 * h,
                                         cellGrad: dc + r0 * h, gateGrad: gs + r0 * width)
                }
                core.recurrentGradient(gs, into: dh, rows: rows)
            }
        }
        core.finishBackward(input: x, inputSideGrad: g, hiddenSideGrad: g, inputGrad: inputGrad)
    }
}

extension LSTMLayer {
    var cellStates: UnsafePointer<Float>? { UnsafePointer(cells.pointer + core.batch * core.hiddenSize) }
    /// i, f, g, o after their activations: the gate kernel overwrites the pre-activations in place.
    var activatedGates: UnsafePointer<Float>? { UnsafePointer(core.gates.pointer) }
}
