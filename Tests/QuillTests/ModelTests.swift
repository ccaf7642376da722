import Quill
import QuillKernels
import XCTest

final class ModelTests: XCTestCase {
    func randomBatch(v: Int, t: Int, b: Int, seed: UInt64) -> (inputs: [Int32], targets: [Int32]) {
        var rng = SeededGenerator(seed: seed)
        return ((0..<(t * b)).map { _ in Int32(rng.nextInt(below: v)) }, (0..<(t * b)).map { _ in Int32(rng.nextInt(below: v)) })
    }

    /// A few training steps with dropout give bit-identical weights and states with 1, 2, 3 and 8
    /// workers, for every cell, whether the time loop splits rows (small W_hh: each worker runs its
    /// own rows through all steps) or each step's columns (H = 128 with one row a worker streams
    /// 256 KiB of W_hh per row, past the row split's limit).
    func testTrainingIsBitIdenticalAcrossThreadCounts() throws {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        for cell in ModelConfig.Cell.allCases {
            for (hidden, batch) in [(72, 16), (128, 2)] {
                let config = ModelConfig(vocabularySize: 300, embeddingSize: 40, hiddenSize: hidden, layers: 2,
                                         dropout: 0.3, cell: cell)
                var results: [[Float]] = []
                for threads in [1, 2, 3, 8] {
                    Parallel.threadCount = threads
                    let model = try Network(config: config)
                    var rng = SeededGenerator(seed: 5)
                    model.initialize(rng: &rng)
                    let optimizer = Optimizer(settings: .init(kind: .adam), layoutOf: model.parameters)
                    var state = RecurrentState(config: config, batchSize: batch)
                    for step in 0..<3 {
                        let (inputs, targets) = randomBatch(v: 300, t: 12, b: batch, seed: UInt64(step))
                        model.gradients.zero()
                        model.forward(inputs: inputs, steps: 12, batch: batch, state: &state, training: true, rng: &rng)
                        _ = model.lossAndGradient(targets: targets, mask: nil)
                        model.backward()
                        GradientClipping.clip(model.gradients, maxNorm: 1)
                        optimizer.step(parameters: model.parameters, gradients: model.gradients, learningRate: 0.01)
                    }
                    results.append(model.parameters.allValues + state.hidden + state.cell)
                }
                for k in 1..<results.count {
                    XCTAssertEqual(results[0], results[k], "\(cell) H=\(hidden) B=\(batch): thread count \([1, 2, 3, 8][k]) differs from 1")
                }
            }
        }
    }

    /// A 2-layer model memorises a short text: the loss falls near zero within a few hundred steps.
    func testOverfitsAShortText() throws {
        let text = "the quick brown fox jumps over the lazy dog. "
        let tokenizer = CharacterTokenizer()
        let vocabulary = try Vocabulary(counts: tokenizer.count(Array(text.utf8)))
        let ids = Array(tokenizer.encode(Array(text.utf8), vocabulary: vocabulary).ids).map(Int32.init)
        let inputs = Array(ids.dropLast()), targets = Array(ids.dropFirst())
        let model = try Network(config: ModelConfig(vocabularySize: vocabulary.count, embeddingSize: 16,
                                                          hiddenSize: 48, layers: 2))
        var rng = SeededGenerator(seed: 1)
        model.initialize(rng: &rng)
        let optimizer = Optimizer(settings: .init(kind: .adam), layoutOf: model.parameters)
        var loss = Double.infinity
        for _ in 0..<300 {
            var state = RecurrentState(layers: 2, batchSize: 1, hiddenSize: 48)
            model.gradients.zero()
            model.forward(inputs: inputs, steps: inputs.count, batch: 1, state: &state, training: true, rng: &rng)
            let (sum, count) = model.lossAndGradient(targets: targets, mask: nil)
            loss = sum / Double(count)
            model.backward()
            optimizer.step(parameters: model.parameters, gradients: model.gradients, learningRate: 0.01)
        }
        XCTAssertLessThan(loss, 0.05)
    }

    func testEvaluationIgnoresDropoutAndTrainingUsesIt() throws {
        let model = try Network(config: ModelConfig(vocabularySize: 20, embeddingSize: 8, hiddenSize: 8, layers: 2, dropout: 0.5))
        var rng = SeededGenerator(seed: 2)
        model.initialize(rng: &rng)
        let (inputs, _) = randomBatch(v: 20, t: 5, b: 2, seed: 3)
        func logits(training: Bool) -> [Float] {
            var state = RecurrentState(layers: 2, batchSize: 2, hiddenSize: 8)
            let p = model.forward(inputs: inputs, steps: 5, batch: 2, state: &state, training: training, rng: &rng)
            return Array(UnsafeBufferPointer(start: p, count: 5 * 2 * 20))
        }
        XCTAssertEqual(logits(training: false), logits(training: false))
        XCTAssertNotEqual(logits(training: true), logits(training: true))
    }

    func testInitialisationFollowsPyTorchDefaults() throws {
        let config = ModelConfig(vocabularySize: 50, embeddingSize: 10, hiddenSize: 16, layers: 2)
        let model = try Network(config: config)
        var rng = SeededGenerator(seed: 4)
        model.initialize(rng: &rng)
        XCTAssertTrue(model.parameters.array("encoder.weight").allSatisfy { abs($0) <= 0.1 })
        XCTAssertTrue(model.parameters.array("decoder.bias").allSatisfy { $0 == 0 })
        let recurrent = model.parameters.array("rnn.weight_hh_l1")
        XCTAssertTrue(recurrent.allSatisfy { abs($0) <= 0.25 })
        XCTAssertGreaterThan(recurrent.map(abs).max()!, 0.2, "spans the full ±1/√H range")
        XCTAssertEqual(config.parameterCount, 50 * 10 + (64 * 10 + 64 * 16 + 128) + (64 * 16 * 2 + 128) + 50 * 16 + 50)
    }

    func testTiedWeightsDropTheDecoderMatrixAndExportIt() throws {
        let config = ModelConfig(vocabularySize: 30, embeddingSize: 12, hiddenSize: 12, layers: 1, tieWeights: true)
        let model = try Network(config: config)
        XCTAssertNil(model.parameters.entry("decoder.weight"))
        let names = model.snapshot().weightTensors().map(\.0)
        XCTAssertEqual(names, ["encoder.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                               "decoder.weight", "decoder.bias"])
        XCTAssertThrowsError(try Network(config: ModelConfig(vocabularySize: 30, embeddingSize: 8, hiddenSize: 12,
                                                                   layers: 1, tieWeights: true)))
    }
}

final class InitializationTests: XCTestCase {
    func testXavierAndUniform() throws {
        let xavier = try Network(config: ModelConfig(vocabularySize: 40, embeddingSize: 10, hiddenSize: 12, layers: 1,
                                                           initialization: .xavier))
        var rng = SeededGenerator(seed: 6)
        xavier.initialize(rng: &rng)
        let bound = (6.0 / Float(48 + 10)).squareRoot() // rnn.weight_ih_l0 is [48, 10]
        let wih = xavier.parameters.array("rnn.weight_ih_l0")
        XCTAssertTrue(wih.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(wih.map(abs).max()!, bound * 0.9)
        XCTAssertTrue(xavier.parameters.array("rnn.bias_hh_l0").allSatisfy { $0 == 0 })

        let uniform = try Network(config: ModelConfig(vocabularySize: 40, embeddingSize: 10, hiddenSize: 12, layers: 1,
                                                            initialization: .uniform, initializationRange: 0.05))
        uniform.initialize(rng: &rng)
        let all = uniform.parameters.allValues
        XCTAssertTrue(all.allSatisfy { abs($0) <= 0.05 })
        XCTAssertGreaterThan(uniform.parameters.array("decoder.bias").map(abs).max()!, 0.04, "biases drawn too")
    }
}
