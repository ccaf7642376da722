import Foundation
import QuillCore
import QuillKernels
import QuillModel
import QuillText

/// Runs a model over a text as `PerplexityEvaluator` does with one stream (evaluation mode, the
/// state carried from window to window from a zero start) and keeps, for every token, what
/// `Inspection` holds. Each call runs in a context of its own, so calls may run at once.
public struct ModelInspector: Sendable {
    /// The model inspected.
    public let loaded: LoadedModel
    /// K: guesses kept per position.
    public let topK: Int
    /// T: window length (the state is carried, so it changes no result beyond rounding).
    public let steps: Int
    /// Whether the inspection keeps every gate activation (`Inspection.gates`); saturation is
    /// measured either way.
    public let keepsGates: Bool
    /// Attended tokens kept per token for a model with an attention head (`Inspection.attention`).
    public let attentionTopK: Int

    /// - Parameters:
    ///   - topK: K guesses kept per position, 1 …  vocabulary size.
    ///   - steps: T, window length.
    ///   - keepsGates: keep the activated gates of every token (G·H floats per token and layer).
    ///   - attentionTopK: with an attention head, the most-attended tokens kept per token (≥ 1;
    ///     M + 1 or more keeps every weight).
    public init(loaded: LoadedModel, topK: Int = 5, steps: Int = 64, keepsGates: Bool = false,
                attentionTopK: Int = 8) throws {
        guard topK > 0 else { throw QuillError.invalidSetting(.positive(.topK, topK)) }
        guard attentionTopK > 0 else { throw QuillError.invalidSetting(.positive(.topK, attentionTopK)) }
        guard steps > 0 else { throw QuillError.invalidSetting(.positive(.sequenceLength, steps)) }
        guard loaded.mode == .stream else {
            throw QuillError.runtime("the model was trained in lines mode (each line from a fresh state); inspection reads text as one stream, as stream-mode models are trained")
        }
        guard loaded.level != .bpe else {
            // A bpe token may hold part of a character, and the page shades whole characters.
            throw QuillError.runtime("inspection reads char and word models; this one is of the bpe level, whose tokens can split a character")
        }
        self.loaded = loaded
        self.topK = min(topK, loaded.vocabulary.count)
        self.steps = steps
        self.keepsGates = keepsGates
        self.attentionTopK = attentionTopK
    }

    /// Inspects `text`, which must hold at least two tokens the model knows.
    public func inspect(text: String) throws -> Inspection {
        let config = loaded.model.config
        let spans = TokenSpan.spans(of: text, level: loaded.level, vocabulary: loaded.vocabulary)
        guard spans.count >= 2 else {
            throw QuillError.badText(path: "text", problem: "\(spans.count) token\(spans.count == 1 ? "" : "s") is too short to inspect (needs 2)")
        }
        let unknownID = loaded.vocabulary.unknownID
        let eosID = loaded.level == .word ? loaded.vocabulary.eosID : nil
        guard spans.contains(where: { $0.id != unknownID && $0.id != eosID }) else {
            throw QuillError.badText(path: "text", problem: "none of its tokens is in the model's vocabulary")
        }
        let n = spans.count, h = config.hiddenSize, v = config.vocabularySize, layers = config.layers
        let gateWidth = config.cell.gateCount * h
        let hasGates = config.cell != .rnnTanh && config.cell != .rnnRelu
        var outputs = [[Float]](repeating: [Float](repeating: 0, count: n * h), count: layers)
        var cells = config.cell.hasCellState ? outputs : []
        var gates = keepsGates && hasGates ? [[Float]](repeating: [Float](repeating: 0, count: n * gateWidth), count: layers) : []
        var tallies = (0..<layers).compactMap { _ in GateSaturation.Tally(cell: config.cell, units: h) }
        var surprisal = [Double?](repeating: nil, count: n)
        var guesses = [[TokenGuess]](repeating: [], count: n)
        var ranks = [Int](repeating: 0, count: n)
        var attention = [[AttendedToken]](repeating: [], count: config.attention == nil ? 0 : n)

        let network = Network(model: loaded.model)
        var state = RecurrentState(config: config, batchSize: 1)
        var rng = SeededGenerator(seed: 0) // unused: evaluation draws no dropout masks
        var logProbabilities = [Double](repeating: 0, count: v)
        var start = 0
        while start < n {
            let t = min(steps, n - start)
            let inputs = spans[start..<(start + t)].map { Int32($0.id) }
            let logits = network.forward(inputs: inputs, steps: t, batch: 1, state: &state, training: false, rng: &rng)
            for k in 0..<layers {
                let (output, cell, gate) = network.activations(layer: k)
                outputs[k].withUnsafeMutableBufferPointer { ($0.baseAddress! + start * h).update(from: output, count: t * h) }
                if let cell { cells[k].withUnsafeMutableBufferPointer { ($0.baseAddress! + start * h).update(from: cell, count: t * h) } }
                if let gate {
                    tallies[k].add(gate, rows: t)
                    if keepsGates { gates[k].withUnsafeMutableBufferPointer { ($0.baseAddress! + start * gateWidth).update(from: gate, count: t * gateWidth) } }
                }
            }
            if let (weights, past) = network.attentionWeights() {
                // Batch 1 from a zero start: column j is stream position start − P + j.
                let width = past + t
                for s in 0..<t {
                    attention[start + s] = Self.heaviest(attentionTopK, of: weights + s * width, count: width,
                                                         firstPosition: start - past)
                }
            }
            // Row s predicts token start + s + 1.
            for s in 0..<t where start + s + 1 < n {
                let target = spans[start + s + 1].id
                let row = logits + s * v
                var maximum = -Double.infinity
                for c in 0..<v { maximum = max(maximum, Double(row[c])) }
                var sum = 0.0
                for c in 0..<v { sum += Foundation.exp(Double(row[c]) - maximum) }
                let logSum = maximum + Foundation.log(sum)
                for c in 0..<v { logProbabilities[c] = Double(row[c]) - logSum }
                surprisal[start + s + 1] = -logProbabilities[target] / Foundation.log(2.0)
                ranks[start + s + 1] = 1 + logProbabilities.lazy.filter { $0 > logProbabilities[target] }.count
                guesses[start + s + 1] = Self.best(topK, of: logProbabilities)
            }
            start += t
        }
        guard surprisal.allSatisfy({ $0?.isFinite ?? true }) else {
            throw QuillError.runtime("the model's predictions are not finite; its weights are probably far too large, as after a diverging training run")
        }
        return Inspection(config: config, level: loaded.level, vocabulary: loaded.vocabulary, text: text, tokens: spans,
                          surprisal: surprisal, guesses: guesses, trueRank: ranks, outputs: outputs, cellStates: cells,
                          gates: gates, saturation: tallies.map(\.result), attention: attention)
    }

    /// The `k` largest nonzero of `count` attention weights as tokens, heaviest first (ties: the
    /// later position first); weight j is position firstPosition + j.
    private static func heaviest(_ k: Int, of weights: UnsafePointer<Float>, count: Int, firstPosition: Int) -> [AttendedToken] {
        var kept: [AttendedToken] = []
        kept.reserveCapacity(k + 1)
        for j in stride(from: count - 1, through: 0, by: -1) where weights[j] > 0 {
            let value = weights[j]
            if kept.count == k, value <= kept[k - 1].weight { continue }
            var i = kept.count
            while i > 0 && kept[i - 1].weight < value { i -= 1 }
            kept.insert(AttendedToken(position: firstPosition + j, weight: value), at: i)
            if kept.count > k { kept.removeLast() }
        }
        return kept
    }

    /// The `k` largest of `logProbabilities` as guesses, largest first (ties: lower id first).
    private static func best(_ k: Int, of logProbabilities: [Double]) -> [TokenGuess] {
        var kept: [(id: Int, value: Double)] = []
        kept.reserveCapacity(k + 1)
        for (id, value) in logProbabilities.enumerated() {
            if kept.count == k, value <= kept[k - 1].value { continue }
            var i = kept.count
            while i > 0 && kept[i - 1].value < value { i -= 1 }
            kept.insert((id, value), at: i)
            if kept.count > k { kept.removeLast() }
        }
        return kept.map { TokenGuess(id: $0.id, probability: Foundation.exp($0.value)) }
    }
}
