import Foundation
import Quill

/// A naive double-precision recurrent language model (LSTM, GRU or vanilla RNN) written straight
/// from PyTorch's equations, used as the oracle for finite-difference gradient checks. It shares no
/// code with the library's model.
struct ReferenceModel {
    let config: ModelConfig
    /// Parameters by PyTorch name, as Double.
    var weights: [String: [Double]]

    init(model: Network) {
        config = model.config
        var w: [String: [Double]] = [:]
        for entry in model.parameters.entries { w[entry.name] = model.parameters.array(entry.name).map(Double.init) }
        weights = w
    }

    /// Fixed training-time masks and penalties (AWD-LSTM's regularisers), applied as written in the
    /// paper: factors multiply what they mask; penalties are added to the mean cross-entropy.
    struct Regularizers {
        /// Per vocabulary row (embedding dropout).
        var embeddingRows: [Float]
        /// L + 1 dropout masks over (T·B, width) rows: embedding output, then each layer's output.
        var dropout: [[Float]]
        /// Per layer, over W_hh.
        var weightDrop: [[Float]]
        var alpha: Double
        var beta: Double
    }

    /// Mean masked cross-entropy of a (T, B) batch from the zero state, plus the activation
    /// penalties when `regularizers` are given.
    /// - Parameter memory: with attention, each row's carried states (oldest first) that the
    ///   window may attend to besides its own; nil is no memory.
    func loss(inputs: [Int32], targets: [Int32], mask: [Float]?, steps t: Int, batch b: Int,
              regularizers: Regularizers? = nil, memory: [[[Double]]]? = nil) -> Double {
        let e = config.embeddingSize, h = config.hiddenSize, v = config.vocabularySize
        var layerInput: [[Double]] = inputs.map { id in Array(weights["encoder.weight"]![(Int(id) * e)..<(Int(id) * e + e)]) }
        func drop(_ rows: inout [[Double]], _ m: [Float]?) {
            guard let m else { return }
            let w = rows[0].count
            for r in rows.indices { for j in 0..<w { rows[r][j] *= Double(m[r * w + j]) } }
        }
        if let regularizers {
            for r in layerInput.indices { layerInput[r] = layerInput[r].map { $0 * Double(regularizers.embeddingRows[Int(inputs[r])]) } }
        }
        drop(&layerInput, regularizers?.dropout[0])
        var penalty = 0.0
        for k in 0..<config.layers {
            let inSize = k == 0 ? e : h
            var whh = weights["rnn.weight_hh_l\(k)"]!
            if let wd = regularizers?.weightDrop[k] { for i in whh.indices { whh[i] *= Double(wd[i]) } }
            let wih = weights["rnn.weight_ih_l\(k)"]!
            let bih = weights["rnn.bias_ih_l\(k)"]!, bhh = weights["rnn.bias_hh_l\(k)"]!
            var hState = [[Double]](repeating: [Double](repeating: 0, count: h), count: b)
            var cState = hState
            var output: [[Double]] = []
            let g = config.cell.gateCount
            func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
            for s in 0..<t {
                for row in 0..<b {
                    let x = layerInput[s * b + row]
                    // Input side and hidden side kept apart: the GRU needs them separately.
                    var gi = [Double](repeating: 0, count: g * h), gh = gi
                    for k in 0..<(g * h) {
                        gi[k] = bih[k]
                        for j in 0..<inSize { gi[k] += wih[k * inSize + j] * x[j] }
                        gh[k] = bhh[k]
                        for j in 0..<h { gh[k] += whh[k * h + j] * hState[row][j] }
                    }
                    for j in 0..<h {
                        switch config.cell {
                        case .lstm:
                            let i = sigmoid(gi[j] + gh[j]), f = sigmoid(gi[h + j] + gh[h + j])
                            let gg = tanh(gi[2 * h + j] + gh[2 * h + j]), o = sigmoid(gi[3 * h + j] + gh[3 * h + j])
                            cState[row][j] = f * cState[row][j] + i * gg
                            hState[row][j] = o * tanh(cState[row][j])
                        case .gru:
                            let r = sigmoid(gi[j] + gh[j]), z = sigmoid(gi[h + j] + gh[h + j])
                            let n = tanh(gi[2 * h + j] + r * gh[2 * h + j])
                            hState[row][j] = (1 - z) * n + z * hState[row][j]
                        case .rnnTanh:
                            hState[row][j] = tanh(gi[j] + gh[j])
                        case .rnnRelu:
                            hState[row][j] = max(0, gi[j] + gh[j])
                        }
                    }
                    output.append(hState[row])
                }
            }
            if k == config.attentionLayer {
                output = attend(output, steps: t, batch: b, memory: memory ?? Array(repeating: [], count: b))
            }
            let undropped = output
            drop(&output, regularizers?.dropout[k + 1])
            if let regularizers, k == config.layers - 1 {
                penalty += regularizers.alpha * output.joined().reduce(0) { $0 + $1 * $1 } / Double(t * b * h)
                if t > 1 {
                    var sum = 0.0
                    for r in b..<(t * b) { for j in 0..<h { let d = undropped[r][j] - undropped[r - b][j]; sum += d * d } }
                    penalty += regularizers.beta * sum / Double((t - 1) * b * h)
                }
            }
            layerInput = output
        }
        var total = 0.0, counted = 0.0
        for r in 0..<(t * b) {
            let m = Double(mask?[r] ?? 1)
            if m == 0 { continue }
            total -= m * logProbabilities(layerInput[r])[Int(targets[r])]
            counted += m
        }
        return total / counted + penalty
    }

    /// log p(w) for every id given the decoder's input `y`: a log-softmax of the decoder's
    /// logits, or with an adaptive softmax the head's log-softmax for the shortlist and, for a
    /// cluster's word, the head's log-probability of the cluster plus the tail's log-softmax.
    func logProbabilities(_ y: [Double]) -> [Double] {
        let v = config.vocabularySize
        func linear(_ w: [Double], _ bias: [Double]?, _ x: [Double], outputs: Int) -> [Double] {
            var out = [Double](repeating: 0, count: outputs)
            for c in 0..<outputs {
                var sum = bias?[c] ?? 0
                for j in x.indices { sum += w[c * x.count + j] * x[j] }
                out[c] = sum
            }
            return out
        }
        func logSoftmax(_ z: [Double]) -> [Double] {
            let mx = z.max()!
            let lse = mx + log(z.reduce(0) { $0 + exp($1 - mx) })
            return z.map { $0 - lse }
        }
        guard let adaptive = config.adaptiveSoftmax else {
            let dec = config.tieWeights ? weights["encoder.weight"]! : weights["decoder.weight"]!
            return logSoftmax(linear(dec, weights["decoder.bias"]!, y, outputs: v))
        }
        let c0 = adaptive.cutoffs[0]
        let head = logSoftmax(linear(weights["decoder.head.weight"]!, weights["decoder.head.bias"]!, y, outputs: adaptive.headSize))
        var out = Array(head[0..<c0])
        for i in 0..<adaptive.cutoffs.count {
            let end = i + 1 < adaptive.cutoffs.count ? adaptive.cutoffs[i + 1] : v
            let projection = weights["decoder.tail.\(i).0.weight"]!
            let p = projection.count / y.count
            let z = linear(projection, nil, y, outputs: p)
            let tail = logSoftmax(linear(weights["decoder.tail.\(i).1.weight"]!, nil, z, outputs: end - adaptive.cutoffs[i]))
            out += tail.map { $0 + head[c0 + i] }
        }
        return out
    }

    /// The attention head over one layer's (T·B) outputs, written from its definition: for each
    /// row, keys and values are the row's memory then its outputs so far; position t attends to
    /// itself and at most M states before it.
    func attend(_ y: [[Double]], steps t: Int, batch b: Int, memory: [[[Double]]]) -> [[Double]] {
        let h = config.hiddenSize, m = config.attention!.memory
        let wq = weights["attention.query.weight"]!, bq = weights["attention.query.bias"]!
        let gamma = weights["attention.query_norm.weight"]!, beta = weights["attention.query_norm.bias"]!
        func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        let keyGate = weights["attention.key_gate"]!.map(sigmoid), valueGate = weights["attention.value_gate"]!.map(sigmoid)
        var z = y
        for row in 0..<b {
            let states = memory[row] + (0..<t).map { y[$0 * b + row] }
            for s in 0..<t {
                let x = y[s * b + row]
                let u = (0..<h).map { i in bq[i] + (0..<h).reduce(0.0) { $0 + wq[i * h + $1] * x[$1] } }
                let mean = u.reduce(0, +) / Double(h)
                let variance = u.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(h)
                let q = (0..<h).map { (u[$0] - mean) / (variance + 1e-5).squareRoot() * gamma[$0] + beta[$0] }
                let i = memory[row].count + s, first = max(0, i - m)
                let scores = (first...i).map { j in (0..<h).reduce(0.0) { $0 + q[$1] * keyGate[$1] * states[j][$1] } / Double(h).squareRoot() }
                let top = scores.max()!
                let e = scores.map { exp($0 - top) }, total = e.reduce(0, +)
                for d in 0..<h {
                    var c = 0.0
                    for (n, j) in (first...i).enumerated() { c += e[n] / total * valueGate[d] * states[j][d] }
                    z[s * b + row][d] = x[d] + c
                }
            }
        }
        return z
    }

    /// The largest relative error between `analytic` (one parameter's gradient) and central
    /// differences of `loss` over that parameter's entries.
    mutating func worstGradientError(_ name: String, analytic: [Float], epsilon: Double = 1e-6,
                                     loss: (ReferenceModel) -> Double) -> Double {
        var worst = 0.0
        for i in analytic.indices {
            let saved = weights[name]![i]
            weights[name]![i] = saved + epsilon
            let plus = loss(self)
            weights[name]![i] = saved - epsilon
            let minus = loss(self)
            weights[name]![i] = saved
            let numeric = (plus - minus) / (2 * epsilon)
            worst = max(worst, abs(numeric - Double(analytic[i])) / max(1e-3, abs(numeric) + abs(Double(analytic[i]))))
        }
        return worst
    }
}
