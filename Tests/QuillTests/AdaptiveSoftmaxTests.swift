import Foundation
import Quill
import QuillKernels
import QuillModel
import XCTest

/// The adaptive softmax's full distribution against the double-precision reference, its loss
/// with and without the distribution, and the configs it refuses (GradientCheckTests checks its
/// gradients, ParityTests PyTorch's module).
final class AdaptiveSoftmaxTests: XCTestCase {
    private static let config = ModelConfig(vocabularySize: 23, embeddingSize: 5, hiddenSize: 12, layers: 2,
                                            adaptiveSoftmax: .init(cutoffs: [5, 11, 17], divValue: 2))

    private func network(_ config: ModelConfig = AdaptiveSoftmaxTests.config) throws -> Network {
        let network = try Network(config: config)
        var rng = SeededGenerator(seed: 5)
        network.initialize(rng: &rng)
        for i in 0..<network.parameters.count { network.parameters.values[i] *= 4 }
        return network
    }

    /// Training and scoring never hold V-wide rows for an adaptive model, so the memory estimate
    /// that refuses sizes counts the head, the gathered rows and the widest projection instead;
    /// generation, which reads every word's probability, is counted as the full softmax is.
    func testMemoryEstimateCountsVWideRowsOnlyWhereTheDistributionIsRead() {
        let v = 267_735, h = 512, b = 64, t = 200, rows = Double(b * t)
        let adaptive = ModelConfig(vocabularySize: v, embeddingSize: h, hiddenSize: h, layers: 2,
                                   adaptiveSoftmax: .init(cutoffs: [20_000, 100_000], divValue: 4))
        let full = ModelConfig(vocabularySize: v, embeddingSize: h, hiddenSize: h, layers: 2)
        // Head: 20,000 words + 2 cluster slots; projections 512/4 and 512/16.
        let kept = Double(20_002 + h + 128)
        for (training, distribution) in [(true, true), (false, false)] {
            let a = MemoryEstimate(config: adaptive, batch: b, steps: t, training: training, distribution: distribution)
            let f = MemoryEstimate(config: full, batch: b, steps: t, training: training, distribution: distribution)
            XCTAssertEqual(f.activationBytes - a.activationBytes, 4 * rows * (Double(v) - kept))
        }
        let generating = MemoryEstimate(config: adaptive, batch: b, steps: t, training: false)
        XCTAssertEqual(generating.activationBytes, MemoryEstimate(config: full, batch: b, steps: t, training: false).activationBytes)
    }

    /// Every row of the distribution equals the naive one and sums to 1; the loss scored without
    /// the distribution equals −log p(target) read from it.
    func testDistributionAndLoss() throws {
        let config = Self.config, t = 3, b = 2, v = config.vocabularySize
        let model = try network()
        var rng = SeededGenerator(seed: 8)
        let inputs = (0..<(t * b)).map { _ in Int32(rng.nextInt(below: v)) }
        let targets: [Int32] = [0, 4, 5, 12, 18, 22]
        var state = RecurrentState(config: config, batchSize: b)
        let out = model.forward(inputs: inputs, steps: t, batch: b, state: &state, training: false, rng: &rng)
        let logProbabilities = Array(UnsafeBufferPointer(start: out, count: t * b * v))
        let top = model.activations(layer: config.layers - 1).output
        let reference = ReferenceModel(model: model)
        var expectedLoss = 0.0
        for r in 0..<(t * b) {
            let y = (0..<config.hiddenSize).map { Double(top[r * config.hiddenSize + $0]) }
            let naive = reference.logProbabilities(y)
            for w in 0..<v { XCTAssertEqual(Double(logProbabilities[r * v + w]), naive[w], accuracy: 1e-5) }
            XCTAssertEqual(naive.reduce(0) { $0 + exp($1) }, 1, accuracy: 1e-9)
            XCTAssertEqual((r * v..<(r * v + v)).reduce(0.0) { $0 + exp(Double(logProbabilities[$1])) }, 1, accuracy: 1e-5)
            expectedLoss -= Double(logProbabilities[r * v + Int(targets[r])])
        }
        state = RecurrentState(config: config, batchSize: b)
        model.forward(inputs: inputs, steps: t, batch: b, state: &state, training: false, rng: &rng, distribution: false)
        let scored = model.lossAndGradient(targets: targets, mask: nil, computeGradient: false)
        XCTAssertEqual(scored.sum, expectedLoss, accuracy: 1e-4)
        XCTAssertEqual(scored.count, t * b)
    }

    /// The layer keeps its per-step arrays between calls: a loss after one that touched every
    /// cluster, now with clusters left empty and a masked row, equals a fresh network's, and so
    /// does every gradient.
    func testLossAfterAnotherBatchEqualsAFreshOne() throws {
        let config = Self.config, t = 3, b = 2
        var rng = SeededGenerator(seed: 4)
        let inputs = (0..<(t * b)).map { _ in Int32(rng.nextInt(below: config.vocabularySize)) }
        let every: [Int32] = [0, 6, 12, 18, 22, 3], fewer: [Int32] = [1, 12, 2, 13, 4, 0]
        let mask: [Float] = [1, 1, 1, 0, 1, 1]
        func pass(_ model: Network, _ targets: [Int32], _ mask: [Float]?) -> Double {
            model.gradients.zero()
            var state = RecurrentState(config: config, batchSize: b)
            var dropout = SeededGenerator(seed: 1)
            model.forward(inputs: inputs, steps: t, batch: b, state: &state, training: true, rng: &dropout, distribution: false)
            let loss = model.lossAndGradient(targets: targets, mask: mask).sum
            model.backward()
            return loss
        }
        let used = try network(), fresh = try network()
        _ = pass(used, every, nil)
        XCTAssertEqual(pass(used, fewer, mask), pass(fresh, fewer, mask))
        let n = used.gradients.count
        XCTAssertEqual(Array(UnsafeBufferPointer(start: used.gradients.values, count: n)),
                       Array(UnsafeBufferPointer(start: fresh.gradients.values, count: n)))
    }

    /// The distribution of the last step alone (priming) equals that row of the whole window's.
    func testLastStepOnly() throws {
        let config = Self.config, t = 4, b = 1, v = config.vocabularySize
        let model = try network()
        var rng = SeededGenerator(seed: 2)
        let inputs = (0..<t).map { _ in Int32(rng.nextInt(below: v)) }
        var state = RecurrentState(config: config, batchSize: b)
        let all = Array(UnsafeBufferPointer(start: model.forward(inputs: inputs, steps: t, batch: b, state: &state,
                                                                 training: false, rng: &rng), count: t * v))
        state = RecurrentState(config: config, batchSize: b)
        let last = Array(UnsafeBufferPointer(start: model.forward(inputs: inputs, steps: t, batch: b, state: &state, training: false,
                                                                  rng: &rng, lastStepOnly: true), count: v))
        // One row takes GEMV's summation order, many GEMM's: equal to rounding.
        for (x, y) in zip(last, all[((t - 1) * v)...]) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        XCTAssertEqual(last.count, v)
    }

    /// A PyTorch state dict with the module as its decoder (what `quill import` reads) gives back
    /// the config: cutoffs from the shapes, the divisor from H and the first projection, or from
    /// `adaptive_div_value` metadata, which a divisor the shapes do not fit needs.
    func testStateDictGivesTheConfigBack() throws {
        let model = try network().snapshot()
        var file = SafeTensors(tensors: model.weightTensors())
        XCTAssertEqual(try LanguageModel.inferConfig(from: file, path: "sd").adaptiveSoftmax, Self.config.adaptiveSoftmax)
        file.metadata["adaptive_div_value"] = "3"   // ⌊12 / 3⌋ = 4 features, not the file's 6
        XCTAssertThrowsError(try LanguageModel.inferConfig(from: file, path: "sd")) { error in
            XCTAssertTrue("\(error)".contains("decoder.tail.0.0.weight projects to 6 features"), "\(error)")
        }
    }

    /// Without metadata the divisor is found from the tails' widths alone: any divisor that gives
    /// every width gives the same model, but H / (first width) can miss a later one by rounding
    /// (H 200, divisor 3: widths 66 and 22, while 200 / 66 gives 66 and 21). A state dict without
    /// `decoder.head.bias` (PyTorch's default head_bias=False) is refused naming it.
    func testDivisorFromTheTailWidths() throws {
        for h in [7, 12, 64, 200, 256, 650, 1000] {
            for d in [1.5, 2, 2.5, 3, 4, 4.5, 7] {
                for clusters in 1...3 {
                    let cutoffs = (1...clusters).map { 10 * $0 }
                    let spec = ModelConfig.AdaptiveSoftmax(cutoffs: cutoffs, divValue: d)
                    let widths = (0..<clusters).map { spec.projectionSize($0, hiddenSize: h) }
                    guard widths.last! >= 1 else { continue }
                    let found = LanguageModel.divisor(giving: widths, hiddenSize: h, cutoffs: cutoffs)
                    let again = ModelConfig.AdaptiveSoftmax(cutoffs: cutoffs, divValue: found)
                    XCTAssertEqual((0..<clusters).map { again.projectionSize($0, hiddenSize: h) }, widths, "H \(h), divisor \(d), found \(found)")
                }
            }
        }
        let model = try network().snapshot()
        let file = SafeTensors(tensors: model.weightTensors().filter { $0.0 != "decoder.head.bias" })
        XCTAssertThrowsError(try LanguageModel.inferConfig(from: file, path: "sd")) { error in
            XCTAssertTrue("\(error)".contains("head_bias=True"), "\(error)")
        }
    }

    /// Cutoffs out of order or range, tied weights and a divisor that leaves a tail no features
    /// are refused naming the setting.
    func testRefusals() {
        func refusal(_ config: ModelConfig) -> Setting? {
            do { try config.validate(); return nil } catch QuillError.invalidSetting(let s) { return s.setting } catch { return nil }
        }
        var config = Self.config
        for cutoffs in [[], [0, 5], [5, 5], [11, 5], [5, 23]] {
            config.adaptiveSoftmax = .init(cutoffs: cutoffs)
            XCTAssertEqual(refusal(config), .adaptiveSoftmax, "\(cutoffs)")
        }
        config.adaptiveSoftmax = .init(cutoffs: [5, 11, 17], divValue: 3)   // 12 / 27 < 1
        XCTAssertEqual(refusal(config), .adaptiveDivValue)
        config.adaptiveSoftmax = .init(cutoffs: [5], divValue: 0)
        XCTAssertEqual(refusal(config), .adaptiveDivValue)
        config = ModelConfig(vocabularySize: 23, embeddingSize: 12, hiddenSize: 12, layers: 1, tieWeights: true,
                             adaptiveSoftmax: .init(cutoffs: [5]))
        XCTAssertEqual(refusal(config), .tieWeights)
    }
}
