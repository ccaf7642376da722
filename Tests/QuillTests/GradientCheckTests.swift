import Quill
import QuillKernels
import XCTest

/// Analytic gradients of the float32 model against central finite differences of an independent
/// double-precision reference (dropout off).
final class GradientCheckTests: XCTestCase {
    func runCheck(config: ModelConfig, mask: [Float]?, steps t: Int = 4, batch b: Int = 3) throws {
        let model = try Network(config: config)
        var rng = SeededGenerator(seed: 11)
        model.initialize(rng: &rng)
        // Larger weights than the default init, so every gate works away from its linear region.
        for i in 0..<model.parameters.count { model.parameters.values[i] *= 3 }
        let inputs = (0..<(t * b)).map { _ in Int32(rng.nextInt(below: config.vocabularySize)) }
        let targets = (0..<(t * b)).map { _ in Int32(rng.nextInt(below: config.vocabularySize)) }

        var state = RecurrentState(config: config, batchSize: b)
        model.gradients.zero()
        model.forward(inputs: inputs, steps: t, batch: b, state: &state, training: false, rng: &rng)
        _ = model.lossAndGradient(targets: targets, mask: mask)
        model.backward()

        var reference = ReferenceModel(model: model)
        let analyticLoss = reference.loss(inputs: inputs, targets: targets, mask: mask, steps: t, batch: b)
        XCTAssertTrue(analyticLoss.isFinite)
        for entry in model.parameters.entries {
            let worst = reference.worstGradientError(entry.name, analytic: model.gradients.array(entry.name)) {
                $0.loss(inputs: inputs, targets: targets, mask: mask, steps: t, batch: b)
            }
            XCTAssertLessThanOrEqual(worst, 1e-3, "\(entry.name): relative error \(worst)")
        }
    }

    func testTwoLayerLSTM() throws {
        try runCheck(config: ModelConfig(vocabularySize: 7, embeddingSize: 3, hiddenSize: 4, layers: 2), mask: nil)
    }

    func testMaskedPositionsAndTiedWeights() throws {
        let mask: [Float] = [1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0]
        try runCheck(config: ModelConfig(vocabularySize: 6, embeddingSize: 4, hiddenSize: 4, layers: 2, tieWeights: true),
                     mask: mask)
    }

    func testGRU() throws {
        try runCheck(config: ModelConfig(vocabularySize: 7, embeddingSize: 3, hiddenSize: 4, layers: 2, cell: .gru), mask: nil)
    }

    func testVanillaRNNTanhAndRelu() throws {
        try runCheck(config: ModelConfig(vocabularySize: 6, embeddingSize: 3, hiddenSize: 5, layers: 2, cell: .rnnTanh),
                     mask: [1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1])
        try runCheck(config: ModelConfig(vocabularySize: 6, embeddingSize: 3, hiddenSize: 5, layers: 2, cell: .rnnRelu), mask: nil)
    }

    func testSingleLayerLongerSequence() throws {
        try runCheck(config: ModelConfig(vocabularySize: 5, embeddingSize: 2, hiddenSize: 3, layers: 1), mask: nil,
                     steps: 9, batch: 2)
    }
}
