import Foundation
import Quill

extension ReferenceModel {
    /// Everything a one-row run from the zero state computes, in Double: per layer the output,
    /// the cell state (LSTM) and the activated gates in PyTorch's block order after each step,
    /// and the log-probabilities of each step's next token.
    struct Trace {
        var outputs: [[[Double]]] = []   // [layer][step][unit]
        var cells: [[[Double]]] = []     // [layer][step][unit], LSTM only
        var gates: [[[Double]]] = []     // [layer][step][G·H]
        var logProbabilities: [[Double]] = [] // [step][V]
    }

    /// Runs `inputs` as one sequence (B = 1) from the zero state, written from PyTorch's equations.
    func trace(_ inputs: [Int]) -> Trace {
        let e = config.embeddingSize, h = config.hiddenSize, v = config.vocabularySize, g = config.cell.gateCount
        func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        var trace = Trace()
        var layerInput = inputs.map { id in Array(weights["encoder.weight"]![(id * e)..<(id * e + e)]) }
        for k in 0..<config.layers {
            let inSize = k == 0 ? e : h
            let wih = weights["rnn.weight_ih_l\(k)"]!, whh = weights["rnn.weight_hh_l\(k)"]!
            let bih = weights["rnn.bias_ih_l\(k)"]!, bhh = weights["rnn.bias_hh_l\(k)"]!
            var hState = [Double](repeating: 0, count: h), cState = hState
            var outs: [[Double]] = [], cellRows: [[Double]] = [], gateRows: [[Double]] = []
            for x in layerInput {
                var gi = [Double](repeating: 0, count: g * h), gh = gi
                for r in 0..<(g * h) {
                    gi[r] = bih[r] + (0..<inSize).reduce(0) { $0 + wih[r * inSize + $1] * x[$1] }
                    gh[r] = bhh[r] + (0..<h).reduce(0) { $0 + whh[r * h + $1] * hState[$1] }
                }
                var activated = [Double](repeating: 0, count: g * h)
                var next = hState
                for j in 0..<h {
                    switch config.cell {
                    case .lstm:
                        let i = sigmoid(gi[j] + gh[j]), f = sigmoid(gi[h + j] + gh[h + j])
                        let c = tanh(gi[2 * h + j] + gh[2 * h + j]), o = sigmoid(gi[3 * h + j] + gh[3 * h + j])
                        cState[j] = f * cState[j] + i * c
                        next[j] = o * tanh(cState[j])
                        (activated[j], activated[h + j], activated[2 * h + j], activated[3 * h + j]) = (i, f, c, o)
                    case .gru:
                        let r = sigmoid(gi[j] + gh[j]), z = sigmoid(gi[h + j] + gh[h + j])
                        let n = tanh(gi[2 * h + j] + r * gh[2 * h + j])
                        next[j] = (1 - z) * n + z * hState[j]
                        (activated[j], activated[h + j], activated[2 * h + j]) = (r, z, n)
                    case .rnnTanh:
                        next[j] = tanh(gi[j] + gh[j])
                    case .rnnRelu:
                        next[j] = max(0, gi[j] + gh[j])
                    }
                }
                hState = next
                outs.append(hState)
                cellRows.append(cState)
                gateRows.append(activated)
            }
            trace.outputs.append(outs)
            if config.cell == .lstm { trace.cells.append(cellRows) }
            trace.gates.append(gateRows)
            layerInput = outs
        }
        let dec = config.tieWeights ? weights["encoder.weight"]! : weights["decoder.weight"]!
        let bias = weights["decoder.bias"]!
        for y in layerInput {
            let logits = (0..<v).map { c in bias[c] + (0..<h).reduce(0) { $0 + dec[c * h + $1] * y[$1] } }
            let m = logits.max()!
            let lse = m + log(logits.reduce(0) { $0 + exp($1 - m) })
            trace.logProbabilities.append(logits.map { $0 - lse })
        }
        return trace
    }
}
