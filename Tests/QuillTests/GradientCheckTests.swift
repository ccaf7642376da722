import Quill
import QuillKernels
import XCTest

/// Analytic gradients of the float32 model against central finite differences of an independent
/// double-precision reference (dropout off).
final class GradientCheckTests: XCTestCase {
    /// - Parameter carriedSteps: with attention, a window of this many steps runs first (no
    ///   gradient) to fill the memory; the checked window then starts from the zero state with
    ///   that memory, so the reference needs only the memory's states.
    func runCheck(config: ModelConfig, mask: [Float]?, steps t: Int = 4, batch b: Int = 3, carriedSteps: Int = 0) throws {
        let model = try Network(config: config)
        var rng = SeededGenerator(seed: 11)
        model.initialize(rng: &rng)
        // Larger weights than the default init, so every gate works away from its linear region.
        for i in 0..<model.parameters.count { model.parameters.values[i] *= 3 }
        let inputs = (0..<(t * b)).map { _ in Int32(rng.nextInt(below: config.vocabularySize)) }
        let targets = (0..<(t * b)).map { _ in Int32(rng.nextInt(below: config.vocabularySize)) }

        var state = RecurrentState(config: config, batchSize: b)
        var memory: [[[Double]]]? = nil
        if carriedSteps > 0, let capacity = config.attention?.memory {
            let first = (0..<(carriedSteps * b)).map { _ in Int32(rng.nextInt(below: config.vocabularySize)) }
            model.forward(inputs: first, steps: carriedSteps, batch: b, state: &state, training: false, rng: &rng)
            let h = config.hiddenSize
            memory = (0..<b).map { row in
                (capacity - state.memoryLengths[row]..<capacity).map { slot in
                    (0..<h).map { Double(state.memory[(slot * b + row) * h + $0]) }
                }
            }
            let kept = state.memoryLengths
            state = RecurrentState(config: config, batchSize: b)
            state.memory = memory!.enumerated().reduce(into: state.memory) { out, row in
                for (n, vector) in row.element.enumerated() {
                    let slot = capacity - row.element.count + n
                    for j in 0..<h { out[(slot * b + row.offset) * h + j] = Float(vector[j]) }
                }
            }
            state.memoryLengths = kept
        }
        model.gradients.zero()
        model.forward(inputs: inputs, steps: t, batch: b, state: &state, training: false, rng: &rng)
        let computed = model.lossAndGradient(targets: targets, mask: mask)
        model.backward()

        var reference = ReferenceModel(model: model)
        let analyticLoss = reference.loss(inputs: inputs, targets: targets, mask: mask, steps: t, batch: b, memory: memory)
        XCTAssertTrue(analyticLoss.isFinite)
        XCTAssertEqual(computed.sum / Double(computed.count), analyticLoss, accuracy: 1e-5 * max(1, analyticLoss))
        for entry in model.parameters.entries {
            let worst = reference.worstGradientError(entry.name, analytic: model.gradients.array(entry.name)) {
                $0.loss(inputs: inputs, targets: targets, mask: mask, steps: t, batch: b, memory: memory)
            }
            XCTAssertLessThanOrEqual(worst, 1e-3, "\(entry.name): relative error \(worst)")
        }
    }

    /// The adaptive softmax (two clusters, a mask that leaves one position out, targets in the
    /// shortlist and both clusters): loss and every gradient, the head's and tails' included.
    func testAdaptiveSoftmax() throws {
        let config = ModelConfig(vocabularySize: 13, embeddingSize: 3, hiddenSize: 8, layers: 2,
                                 adaptiveSoftmax: .init(cutoffs: [4, 7], divValue: 2))
        try runCheck(config: config, mask: [1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1])
        let gru = ModelConfig(vocabularySize: 9, embeddingSize: 4, hiddenSize: 5, layers: 1, cell: .gru,
                              adaptiveSoftmax: .init(cutoffs: [3]))
        try runCheck(config: gru, mask: nil, steps: 5, batch: 2)
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

    /// Attention after the first of two LSTM layers, M = 3 < T: the window's later positions drop
    /// their earliest predecessors, and a carried memory of 3 states per row comes first.
    func testAttentionWithCarriedMemory() throws {
        let config = ModelConfig(vocabularySize: 6, embeddingSize: 3, hiddenSize: 4, layers: 2,
                                 attention: ModelConfig.Attention(memory: 3))
        try runCheck(config: config, mask: [1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1], steps: 4, batch: 3, carriedSteps: 2)
    }

    /// A one-layer GRU with the head before the decoder and tied weights, memory longer than the
    /// window, no carried memory.
    func testAttentionOneLayerGRU() throws {
        let config = ModelConfig(vocabularySize: 5, embeddingSize: 4, hiddenSize: 4, layers: 1, tieWeights: true, cell: .gru,
                                 attention: ModelConfig.Attention(memory: 8))
        try runCheck(config: config, mask: nil, steps: 5, batch: 2)
    }
}
