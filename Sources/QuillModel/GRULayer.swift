import QuillKernels

/// GRU cell (PyTorch's definition, gate blocks r, z, n):
/// r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
/// n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)), h' = (1 − z)⊙n + z⊙h.
///
/// The hidden-side pre-activations cannot be summed into the input side (r multiplies h_n alone),
/// so each step's (B, 3H) hidden-side block is kept too. Kept for backward: activated r, z, n
/// (T·B, 3H), hidden-side pre-activations (T·B, 3H), hidden states.
final class GRULayer: RecurrentLayer {
    let core: RecurrentCore
    private let hiddenGates = Workspace() // (T·B, 3H)
    private let scratch = Workspace()     // (B, H)

    init(core: RecurrentCore) {
        self.core = core
    }

    func forward(input x: UnsafePointer<Float>, steps t: Int, batch b: Int,
                 h0: UnsafeMutablePointer<Float>, c0: UnsafeMutablePointer<Float>?) {
        let h = core.hiddenSize, width = core.gateWidth
        let (gi, hs) = core.begin(steps: t, batch: b, h0: h0)
        let gh = hiddenGates.buffer(t * b * width)
        core.projectInputs(x, into: gi, addHiddenBias: false)
        let bhh = core.biasHH
        core.timeLoop { rows in
            let r0 = rows.lowerBound
            for s in 0..<t {
                let ghs = gh + s * b * width
                for r in rows { (ghs + r * width).update(from: bhh, count: width) }
                core.addRecurrent(hs + s * b * h, into: ghs, rows: rows)
                Profiler.measure(.gates) {
                    GRUKernels.forward(batch: rows.count, hidden: h, inputGates: gi + (s * b + r0) * width,
                                       hiddenGates: ghs + r0 * width, hiddenIn: hs + (s * b + r0) * h,
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
        let t = core.steps, b = core.batch, h = core.hiddenSize, width = core.gateWidth
        let gi = core.gates.pointer, gh = hiddenGates.pointer, hs = core.hidden.pointer
        let total = scratch.buffer(b * h)
        core.timeLoop { rows in
            let r0 = rows.lowerBound, count = rows.count * h
            for s in stride(from: t - 1, through: 0, by: -1) {
                let dOut = outputGrad + (s * b + r0) * h, dhRows = dh + r0 * h, totalRows = total + r0 * h
                Profiler.measure(.gatesBackward) {
                    for j in 0..<count { totalRows[j] = dOut[j] + dhRows[j] }
                    GRUKernels.backward(batch: rows.count, hidden: h, inputGates: gi + (s * b + r0) * width,
                                        hiddenGates: gh + (s * b + r0) * width, hiddenIn: hs + (s * b + r0) * h,
                                        hiddenGrad: totalRows)
                    // dh_prev = dh'⊙z + dGH·W_hh
                    dhRows.update(from: totalRows, count: count)
                }
                core.recurrentGradient(gh + s * b * width, into: dh, rows: rows, accumulate: true)
            }
        }
        core.finishBackward(input: x, inputSideGrad: gi, hiddenSideGrad: gh, inputGrad: inputGrad)
    }
}

extension GRULayer {
    var cellStates: UnsafePointer<Float>? { nil }
    /// r, z, n after their activations: the gate kernel overwrites the input-side pre-activations.
    var activatedGates: UnsafePointer<Float>? { UnsafePointer(core.gates.pointer) }
}
