import Foundation
import Quill

/// A naive double-precision LSTM language model written straight from the equations, used as the
/// oracle for finite-difference gradient checks. It shares no code with the library's model.
struct ReferenceLSTM {
    let config: ModelConfig
    /// Parameters by PyTorch name, as Double.
    var weights: [String: [Double]]

    init(model: LanguageModel) {
        config = model.config
        var w: [String: [Double]] = [:]
        for entry in model.parameters.entries { w[entry.name] = model.parameters.array(entry.name).map(Double.init) }
        weights = w
    }

    /// Mean masked cross-entropy of a (T, B) batch from the zero state.
    func loss(inputs: [Int32], targets: [Int32], mask: [Float]?, steps t: Int, batch b: Int) -> Double {
        let e = config.embeddingSize, h = config.hiddenSize, v = config.vocabularySize
        var layerInput: [[Double]] = inputs.map { id in Array(weights["encoder.weight"]![(Int(id) * e)..<(Int(id) * e + e)]) }
        for k in 0..<config.layers {
            let inSize = k == 0 ? e : h
            let wih = weights["rnn.weight_ih_l\(k)"]!, whh = weights["rnn.weight_hh_l\(k)"]!
            let bih = weights["rnn.bias_ih_l\(k)"]!, bhh = weights["rnn.bias_hh_l\(k)"]!
            var hState = [[Double]](repeating: [Double](repeating: 0, count: h), count: b)
            var cState = hState
            var output: [[Double]] = []
            for s in 0..<t {
                for row in 0..<b {
                    let x = layerInput[s * b + row]
                    var gates = [Double](repeating: 0, count: 4 * h)
                    for g in 0..<(4 * h) {
                        var sum = bih[g] + bhh[g]
                        for j in 0..<inSize { sum += wih[g * inSize + j] * x[j] }
                        for j in 0..<h { sum += whh[g * h + j] * hState[row][j] }
                        gates[g] = sum
                    }
                    for j in 0..<h {
                        let i = 1 / (1 + exp(-gates[j])), f = 1 / (1 + exp(-gates[h + j]))
                        let g = tanh(gates[2 * h + j]), o = 1 / (1 + exp(-gates[3 * h + j]))
                        cState[row][j] = f * cState[row][j] + i * g
                        hState[row][j] = o * tanh(cState[row][j])
                    }
                    output.append(hState[row])
                }
            }
            layerInput = output
        }
        let dec = config.tieWeights ? weights["encoder.weight"]! : weights["decoder.weight"]!
        let bias = weights["decoder.bias"]!
        var total = 0.0, counted = 0.0
        for r in 0..<(t * b) {
            let m = Double(mask?[r] ?? 1)
            if m == 0 { continue }
            var logits = [Double](repeating: 0, count: v)
            for c in 0..<v {
                var sum = bias[c]
                for j in 0..<h { sum += dec[c * h + j] * layerInput[r][j] }
                logits[c] = sum
            }
            let mx = logits.max()!
            let lse = mx + log(logits.reduce(0) { $0 + exp($1 - mx) })
            total += m * (lse - logits[Int(targets[r])])
            counted += m
        }
        return total / counted
    }
}
