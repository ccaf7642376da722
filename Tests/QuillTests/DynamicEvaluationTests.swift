import Foundation
import Quill
import QuillKernels
import XCTest

/// Scoring that adapts (`AdaptiveScorer`): dynamic evaluation's update against a Double
/// reference, the neural cache against its formula, and both reduced to static scoring when
/// their rates are 0.
final class DynamicEvaluationTests: XCTestCase {
    private static let text = String(repeating: "abc ab ca\nbca cab a\n", count: 12)
    /// A text with no period, so streams cut from it differ: a stream read in another's place
    /// changes the result.
    private static let irregular: String = {
        var rng = SeededGenerator(seed: 11)
        let symbols = Array("abc \n")
        return String((0..<241).map { _ in symbols.randomElement(using: &rng)! })
    }()

    /// A random char LSTM over the text's symbols (weights large enough that the update shows).
    private func model(seed: UInt64, attention: Bool = false, adaptive: Bool = false) throws -> LoadedModel {
        let vocabulary = try Vocabulary(tokens: ["<unk>", "a", "b", "c", " ", "\n"], specialCount: 1)
        let config = ModelConfig(vocabularySize: vocabulary.count, embeddingSize: 3, hiddenSize: 4, layers: 1,
                                 initialization: .uniform, initializationRange: 0.6,
                                 attention: attention ? ModelConfig.Attention(memory: 5) : nil,
                                 adaptiveSoftmax: adaptive ? ModelConfig.AdaptiveSoftmax(cutoffs: [3], divValue: 2) : nil)
        return LoadedModel(model: try LanguageModel(config: config, seed: seed), vocabulary: vocabulary, level: .char)
    }

    func testZeroRatesEqualStaticScoringExactly() throws {
        // The adaptive softmax's row losses feed the cache as the full softmax's do.
        for (attention, adaptive) in [(false, false), (true, false), (false, true)] {
            let loaded = try model(seed: 3, attention: attention, adaptive: adaptive)
            let segment = 7
            let still = try DynamicEvaluation(learningRate: 0, decay: 0, segment: segment)
            let noCache = try CacheSettings(size: 10, theta: 1, lambda: 0)
            for streams in [1, 3] {
                let plain = try PerplexityEvaluator(loaded: loaded, batchSize: streams, steps: segment).evaluate(text: Self.irregular)
                for (dynamic, cache) in [(still, nil), (nil, noCache), (still, noCache)] as [(DynamicEvaluation?, CacheSettings?)] {
                    let adapted = try AdaptiveScorer(loaded: loaded, dynamic: dynamic, cache: cache, window: segment, streams: streams)
                        .score(text: Self.irregular)
                    XCTAssertEqual(adapted.tokens, plain.tokens)
                    XCTAssertEqual(adapted.crossEntropy, plain.crossEntropy, "attention \(attention), adaptive \(adaptive), \(streams) streams")
                }
            }
        }
    }

    /// Statistics, scoring and every update recomputed in Double from PyTorch's LSTM equations,
    /// gradients by central differences; the adapted score and the final weights agree, for one
    /// stream and for three read side by side (one update from the three segments' mean loss).
    func testUpdateMatchesDoubleReference() throws {
        let loaded = try model(seed: 5)
        var settings = try DynamicEvaluation(learningRate: 0.02, decay: 0.1, segment: 9)
        settings.statisticsTokens = 60
        let text = String(Self.irregular.prefix(121))
        let ids = text.unicodeScalars.map { Int32(loaded.vocabulary.id(for: String($0))!) }
        var results: [Double] = []
        for streams in [1, 3] {
            let scorer = try AdaptiveScorer(loaded: loaded, dynamic: settings, cache: nil, streams: streams)
            let adapted = try scorer.score(text: text)
            var reference = DoubleLSTM(loaded.model)
            let (expected, weights) = reference.dynamicEvaluation(ids: ids, settings: settings, streams: streams)
            let plain = try PerplexityEvaluator(loaded: loaded, batchSize: streams, steps: 9).evaluate(text: text)
            XCTAssertEqual(adapted.tokens, plain.tokens)
            XCTAssertGreaterThan(abs(plain.crossEntropy - expected), 1e-3, "the update must change the score for this check to mean anything")
            XCTAssertEqual(adapted.crossEntropy, expected, accuracy: 1e-5, "\(streams) streams")
            let model = try scorer.adapt(toText: text).model.model
            var worst = 0.0
            for (name, values) in weights {
                for (a, b) in zip(model.values(name)!, values) { worst = max(worst, abs(Double(a) - b)) }
            }
            XCTAssertLessThan(worst, 1e-4, "\(streams) streams")
            results.append(adapted.crossEntropy)
        }
        XCTAssertGreaterThan(abs(results[0] - results[1]), 1e-4, "three streams adapt differently from one")
        XCTAssertEqual(loaded.model.allValues, try self.model(seed: 5).model.allValues, "the loaded weights are not adapted")
    }

    /// The mixed loss of every position from the formula: the hidden states come from a plain
    /// forward over the whole text (batch 1), the cache is the N positions before each.
    /// A window longer than `NeuralCache.blockRows` scores its rows in several blocks.
    func testCacheMatchesItsFormula() throws {
        for (text, window) in [(Self.text, 5), (String(repeating: Self.text, count: 3), 700)] {
            try checkCacheFormula(text: text, window: window)
        }
    }

    private func checkCacheFormula(text: String, window: Int) throws {
        let loaded = try model(seed: 8)
        let cache = try CacheSettings(size: 6, theta: 1.7, lambda: 0.3)
        let adapted = try AdaptiveScorer(loaded: loaded, dynamic: nil, cache: cache, window: window, streams: 1).score(text: text)
        let ids = text.unicodeScalars.map { Int32(loaded.vocabulary.id(for: String($0))!) }
        let network = Network(model: loaded.model)
        var state = RecurrentState(config: loaded.model.config, batchSize: 1)
        var rng = SeededGenerator(seed: 0)
        let n = ids.count - 1, h = loaded.model.config.hiddenSize, v = loaded.model.config.vocabularySize
        let logits = network.forward(inputs: Array(ids[0..<n]), steps: n, batch: 1, state: &state, training: false, rng: &rng)
        let states = (0..<n).map { t in (0..<h).map { Double(network.decoderInput()[t * h + $0]) } }
        var total = 0.0
        for t in 0..<n {
            let row = (0..<v).map { Double(logits[t * v + $0]) }
            let z = row.map { exp($0) }.reduce(0, +)
            let target = Int(ids[t + 1])
            var p = exp(row[target]) / z
            let past = max(0, t - cache.size)..<t
            if !past.isEmpty {
                let weights = past.map { i in exp(cache.theta * zip(states[t], states[i]).map { $0 * $1 }.reduce(0, +)) }
                let hit = zip(past, weights).filter { ids[$0.0 + 1] == ids[t + 1] }.map(\.1).reduce(0, +)
                p = (1 - cache.lambda) * p + cache.lambda * hit / weights.reduce(0, +)
            }
            total -= log(p)
        }
        XCTAssertEqual(adapted.crossEntropy, total / Double(n), accuracy: 1e-6, "window \(window)")
        let plain = try PerplexityEvaluator(loaded: loaded, batchSize: 1, steps: 5).evaluate(text: text)
        XCTAssertGreaterThan(abs(adapted.crossEntropy - plain.crossEntropy), 1e-3)
    }

    /// Streams read side by side each keep their own cache: two streams' summed loss is what each
    /// stream's text scored alone (one stream) gives, and differs from one cache over the text.
    func testEachStreamHasItsOwnCache() throws {
        let loaded = try model(seed: 8)
        let cache = try CacheSettings(size: 6, theta: 1.7, lambda: 0.3)
        let text = Array(Self.irregular.unicodeScalars)
        let length = text.count / 2
        var separate = 0.0, positions = 0
        for stream in 0..<2 {
            var part = String.UnicodeScalarView()
            part.append(contentsOf: text[(stream * length)..<((stream + 1) * length)])
            let alone = try AdaptiveScorer(loaded: loaded, dynamic: nil, cache: cache, window: 5, streams: 1).score(text: String(part))
            separate += alone.crossEntropy * Double(alone.tokens)
            positions += alone.tokens
        }
        let together = try AdaptiveScorer(loaded: loaded, dynamic: nil, cache: cache, window: 5, streams: 2).score(text: Self.irregular)
        XCTAssertEqual(together.tokens, positions)
        XCTAssertEqual(together.crossEntropy, separate / Double(positions), accuracy: 1e-6)
        let plain = try PerplexityEvaluator(loaded: loaded, batchSize: 2, steps: 5).evaluate(text: Self.irregular)
        XCTAssertGreaterThan(abs(together.crossEntropy - plain.crossEntropy), 1e-3)
        let oneCache = try AdaptiveScorer(loaded: loaded, dynamic: nil, cache: cache, window: 5, streams: 1).score(text: Self.irregular)
        XCTAssertGreaterThan(abs(together.crossEntropy - oneCache.crossEntropy), 1e-4)
    }

    func testSameBitsForOneAndTwoThreads() throws {
        let loaded = try model(seed: 4, attention: true)
        let scorer = try AdaptiveScorer(loaded: loaded, dynamic: try DynamicEvaluation(learningRate: 0.01, decay: 0.02, segment: 6),
                                        cache: try CacheSettings(size: 20, theta: 0.5, lambda: 0.2), streams: 2)
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        let scores = try [1, 2].map { threads in
            Parallel.threadCount = threads
            return try scorer.score(text: Self.irregular).crossEntropy
        }
        XCTAssertEqual(scores[0], scores[1])
    }

    func testRefusesLinesModelsAndBadSettings() throws {
        let base = try model(seed: 1)
        let lines = LoadedModel(model: base.model, vocabulary: base.vocabulary, level: .char, mode: .lines)
        XCTAssertThrowsError(try AdaptiveScorer(loaded: lines, dynamic: nil, cache: try CacheSettings(size: 1, theta: 0, lambda: 0.1), streams: 1))
        XCTAssertThrowsError(try DynamicEvaluation(learningRate: -1, decay: 0, segment: 1))
        XCTAssertThrowsError(try DynamicEvaluation(learningRate: 1, decay: 1, segment: 1))
        XCTAssertThrowsError(try DynamicEvaluation(learningRate: 1, decay: 0, segment: 0))
        XCTAssertThrowsError(try CacheSettings(size: 0, theta: 0, lambda: 0))
        XCTAssertThrowsError(try CacheSettings(size: 1, theta: .nan, lambda: 0))
        XCTAssertThrowsError(try CacheSettings(size: 1, theta: 0, lambda: 1))
    }
}

/// A one-layer LSTM language model in Double, written from PyTorch's equations (gates i, f, g, o),
/// with dynamic evaluation on top of it as `DynamicEvaluation` describes it.
private struct DoubleLSTM {
    let names: [String]
    var w: [String: [Double]]
    let v: Int, e: Int, h: Int

    init(_ model: LanguageModel) {
        names = model.layout.entries.map(\.name)
        w = Dictionary(uniqueKeysWithValues: names.map { ($0, model.values($0)!.map(Double.init)) })
        v = model.config.vocabularySize
        e = model.config.embeddingSize
        h = model.config.hiddenSize
    }

    /// Mean cross-entropy of one segment from state (hidden, cell), and the state after it.
    func segment(_ inputs: ArraySlice<Int32>, _ targets: ArraySlice<Int32>, _ state: ([Double], [Double]))
        -> (loss: Double, state: ([Double], [Double])) {
        var (hidden, cell) = state
        var total = 0.0
        func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        let wih = w["rnn.weight_ih_l0"]!, whh = w["rnn.weight_hh_l0"]!, bih = w["rnn.bias_ih_l0"]!, bhh = w["rnn.bias_hh_l0"]!
        for (input, target) in zip(inputs, targets) {
            let x = (0..<e).map { w["encoder.weight"]![Int(input) * e + $0] }
            var gates = [Double](repeating: 0, count: 4 * h)
            for r in 0..<(4 * h) {
                var sum = bih[r] + bhh[r]
                for j in 0..<e { sum += wih[r * e + j] * x[j] }
                for j in 0..<h { sum += whh[r * h + j] * hidden[j] }
                gates[r] = sum
            }
            for j in 0..<h {
                cell[j] = sigmoid(gates[h + j]) * cell[j] + sigmoid(gates[j]) * tanh(gates[2 * h + j])
            }
            hidden = (0..<h).map { sigmoid(gates[3 * h + $0]) * tanh(cell[$0]) }
            var logits = w["decoder.bias"]!
            for k in 0..<v { for j in 0..<h { logits[k] += w["decoder.weight"]![k * h + j] * hidden[j] } }
            let top = logits.max()!
            total += top + log(logits.map { exp($0 - top) }.reduce(0, +)) - logits[Int(target)]
        }
        return (total / Double(inputs.count), (hidden, cell))
    }

    /// The mean loss of one window of several streams (each stream's segment from its own
    /// state) and the streams' states after it.
    func window(_ inputs: [ArraySlice<Int32>], _ targets: [ArraySlice<Int32>], _ states: [([Double], [Double])])
        -> (loss: Double, states: [([Double], [Double])]) {
        let scored = (0..<inputs.count).map { segment(inputs[$0], targets[$0], states[$0]) }
        return (scored.map(\.loss).reduce(0, +) / Double(inputs.count), scored.map(\.state))
    }

    /// Every weight's derivative of the window's mean loss, by central differences.
    mutating func gradient(_ inputs: [ArraySlice<Int32>], _ targets: [ArraySlice<Int32>], _ states: [([Double], [Double])])
        -> [String: [Double]] {
        var g: [String: [Double]] = [:]
        let step = 1e-6
        for name in names {
            g[name] = w[name]!.indices.map { i in
                let saved = w[name]![i]
                w[name]![i] = saved + step
                let plus = window(inputs, targets, states).loss
                w[name]![i] = saved - step
                let minus = window(inputs, targets, states).loss
                w[name]![i] = saved
                return (plus - minus) / (2 * step)
            }
        }
        return g
    }

    /// `ids` cut into `streams` contiguous streams of ⌊count / streams⌋ tokens (the rest
    /// dropped), read side by side in windows of the segment length: each window's inputs and
    /// targets per stream.
    func windows(_ ids: [Int32], streams: Int, segment: Int) -> [(inputs: [ArraySlice<Int32>], targets: [ArraySlice<Int32>])] {
        let length = ids.count / streams
        return stride(from: 0, to: length - 1, by: segment).map { start in
            let end = min(start + segment, length - 1)
            return ((0..<streams).map { ids[($0 * length + start)..<($0 * length + end)] },
                    (0..<streams).map { ids[($0 * length + start + 1)..<($0 * length + end + 1)] })
        }
    }

    /// The mean adapted loss over `ids` read as `streams` streams, and the weights at the end.
    mutating func dynamicEvaluation(ids: [Int32], settings: DynamicEvaluation, streams: Int) -> (Double, [String: [Double]]) {
        let zero = ([Double](repeating: 0, count: h), [Double](repeating: 0, count: h))
        // Statistics over the first tokens (as many streams as fit, up to `streams`), weights unchanged.
        var squares = w.mapValues { $0.map { _ in 0.0 } }
        let gathered = Array(ids.prefix(settings.statisticsTokens + 1))
        let statisticsWindows = windows(gathered, streams: max(1, min(streams, gathered.count / 2)), segment: settings.segment)
        var states = [([Double], [Double])](repeating: zero, count: statisticsWindows[0].inputs.count)
        for (inputs, targets) in statisticsWindows {
            let g = gradient(inputs, targets, states)
            for name in names { for i in g[name]!.indices { squares[name]![i] += g[name]![i] * g[name]![i] } }
            states = window(inputs, targets, states).states
        }
        let rms = squares.mapValues { $0.map { ($0 / Double(statisticsWindows.count)).squareRoot() } }
        let meanRMS = names.map { rms[$0]!.reduce(0, +) / Double(rms[$0]!.count) }.reduce(0, +) / Double(names.count)
        let initial = w
        // Score each window, then step on its gradient.
        states = [([Double], [Double])](repeating: zero, count: streams)
        var total = 0.0, count = 0
        for (inputs, targets) in windows(ids, streams: streams, segment: settings.segment) {
            let scored = window(inputs, targets, states)
            let positions = inputs.count * inputs[0].count
            total += scored.loss * Double(positions)
            count += positions
            let g = gradient(inputs, targets, states)
            for name in names {
                for i in w[name]!.indices {
                    let decay = settings.decay * min(rms[name]![i] / meanRMS, 1 / settings.decay)
                    w[name]![i] += decay * (initial[name]![i] - w[name]![i])
                        - settings.learningRate * g[name]![i] / (rms[name]![i] + settings.epsilon)
                }
            }
            states = scored.states
        }
        return (total / Double(count), w)
    }
}
