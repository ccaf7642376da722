import Foundation
@testable import QuillModel
@testable import QuillTraining
import Quill
import QuillKernels
import XCTest

/// AWD-LSTM's regularisers: gradients against finite differences of the double-precision
/// reference with the same fixed masks, locked and weight-drop masks as drawn, averaging, and
/// bit-exact resume of a run that uses all of them.
final class RegularizationTests: XCTestCase {
    /// A mask of `count` values, each 0 with probability p and 1/(1−p) otherwise.
    func mask(_ count: Int, p: Float, rng: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in rng.nextUniform() < p ? 0 : 1 / (1 - p) }
    }

    /// Every regulariser at once, masks fixed: the model's loss plus its activation penalty equals
    /// the reference's, and every analytic gradient matches central differences of the reference.
    func check(config: ModelConfig, steps t: Int = 4, batch b: Int = 3) throws {
        let model = try Network(config: config)
        var rng = SeededGenerator(seed: 5)
        model.initialize(rng: &rng)
        for i in 0..<model.parameters.count { model.parameters.values[i] *= 3 }
        let v = config.vocabularySize, e = config.embeddingSize, h = config.hiddenSize
        let inputs = (0..<(t * b)).map { _ in Int32(rng.nextInt(below: v)) }
        let targets = (0..<(t * b)).map { _ in Int32(rng.nextInt(below: v)) }
        let regularizers = ReferenceModel.Regularizers(
            embeddingRows: mask(v, p: 0.3, rng: &rng),
            dropout: [mask(t * b * e, p: config.dropout, rng: &rng)] + (0..<config.layers).map { _ in mask(t * b * h, p: config.dropout, rng: &rng) },
            weightDrop: (0..<config.layers).map { _ in mask(config.gateRows * h, p: 0.4, rng: &rng) },
            alpha: 2, beta: 1)
        model.regularization = Regularization(embeddingDropout: 0.3, weightDrop: 0.4, activation: 2, temporalActivation: 1)
        model.givenMasks = (regularizers.embeddingRows, regularizers.weightDrop)

        var state = RecurrentState(config: config, batchSize: b)
        model.gradients.zero()
        model.forward(inputs: inputs, steps: t, batch: b, state: &state, training: true, rng: &rng,
                      dropoutMasks: regularizers.dropout)
        let (sum, count) = model.lossAndGradient(targets: targets, mask: nil)
        let penalty = model.activationPenalty()
        model.backward()
        XCTAssertGreaterThan(penalty, 0)

        var reference = ReferenceModel(model: model)
        let expected = reference.loss(inputs: inputs, targets: targets, mask: nil, steps: t, batch: b, regularizers: regularizers)
        XCTAssertEqual(sum / Double(count) + penalty, expected, accuracy: 1e-5 * abs(expected))
        for entry in model.parameters.entries {
            let worst = reference.worstGradientError(entry.name, analytic: model.gradients.array(entry.name)) {
                $0.loss(inputs: inputs, targets: targets, mask: nil, steps: t, batch: b, regularizers: regularizers)
            }
            XCTAssertLessThanOrEqual(worst, 1e-3, "\(config.cell) \(entry.name): relative error \(worst)")
        }
    }

    func testGradientsWithEveryRegularizerLSTM() throws {
        try check(config: ModelConfig(vocabularySize: 7, embeddingSize: 3, hiddenSize: 4, layers: 2, dropout: 0.3))
    }

    func testGradientsWithEveryRegularizerGRUTied() throws {
        try check(config: ModelConfig(vocabularySize: 6, embeddingSize: 4, hiddenSize: 4, layers: 2, dropout: 0.25,
                                      tieWeights: true, cell: .gru))
    }

    func testGradientsWithEveryRegularizerSingleLayerRNN() throws {
        try check(config: ModelConfig(vocabularySize: 5, embeddingSize: 2, hiddenSize: 3, layers: 1, dropout: 0.2,
                                      cell: .rnnTanh), steps: 6, batch: 2)
    }

    /// A locked mask is drawn for one time step's rows and repeats at every step; rows differ.
    func testLockedDropoutRepeatsOneMaskPerSequence() {
        let (t, b, w) = (5, 4, 32)
        let dropout = Dropout(probability: 0.5)
        let x = [Float](repeating: 1, count: t * b * w)
        var y = [Float](repeating: 0, count: t * b * w)
        var rng = SeededGenerator(seed: 3)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                dropout.forward(xp.baseAddress!, into: yp.baseAddress!, count: t * b * w, training: true, rng: &rng, lockedPeriod: b * w)
            }
        }
        let first = Array(y[0..<(b * w)])
        for s in 1..<t { XCTAssertEqual(Array(y[(s * b * w)..<((s + 1) * b * w)]), first, "step \(s)") }
        XCTAssertNotEqual(Array(first[0..<w]), Array(first[w..<(2 * w)]), "each sequence has its own mask")
        XCTAssertTrue(first.allSatisfy { $0 == 0 || $0 == 2 })
        let dropped = Double(first.filter { $0 == 0 }.count) / Double(first.count)
        XCTAssertEqual(dropped, 0.5, accuracy: 0.15)
    }

    /// Weight-drop and embedding dropout change a training forward and leave evaluation alone;
    /// with every probability at 0 a training forward equals an evaluation one.
    func testRegularizersActOnlyInTraining() throws {
        let config = ModelConfig(vocabularySize: 9, embeddingSize: 8, hiddenSize: 16, layers: 2)
        let model = try Network(config: config)
        var rng = SeededGenerator(seed: 8)
        model.initialize(rng: &rng)
        let inputs = (0..<24).map { _ in Int32(rng.nextInt(below: 9)) }
        func logits(training: Bool) -> [Float] {
            var state = RecurrentState(config: config, batchSize: 4)
            let p = model.forward(inputs: inputs, steps: 6, batch: 4, state: &state, training: training, rng: &rng)
            return Array(UnsafeBufferPointer(start: p, count: 24 * 9))
        }
        let evaluation = logits(training: false)
        XCTAssertEqual(logits(training: true), evaluation)
        model.regularization = Regularization(weightDrop: 0.5)
        XCTAssertNotEqual(logits(training: true), evaluation)
        XCTAssertEqual(logits(training: false), evaluation, "evaluation uses W_hh itself")
        model.regularization = Regularization(embeddingDropout: 0.5)
        XCTAssertNotEqual(logits(training: true), evaluation)
        XCTAssertEqual(logits(training: false), evaluation)
    }

    /// The average follows a naive loop of the documented rule.
    func testWeightAverageFollowsTheRule() {
        let store = ParameterStore(shapes: [("w", [3])])
        let average = WeightAverage(decay: 0.9, values: [0, 0, 0])
        var naive: [Double] = [0, 0, 0]
        for step in 1...30 {
            let w: [Float] = [Float(step), -Float(step) / 2, 1]
            store.set("w", w)
            average.update(from: store, step: step)
            let d = min(0.9, Double(1 + step) / Double(10 + step))
            for i in 0..<3 { naive[i] = d * naive[i] + (1 - d) * Double(w[i]) }
        }
        for i in 0..<3 { XCTAssertEqual(Double(average.values[i]), naive[i], accuracy: 1e-4 * max(1, abs(naive[i]))) }
        let raw = store.allValues
        let inside = average.withAveragedWeights(in: store) { store.allValues }
        XCTAssertEqual(inside, average.values)
        XCTAssertEqual(store.allValues, raw, "the trained weights come back")
    }

    func options(_ folder: String, out: String) throws -> TrainingOptions {
        let sentences = ["the keeper lit the lamp", "wind from the west", "a ship passed the rock", "fog until dawn"]
        let text = (0..<300).map { "\($0 % 17) \(sentences[$0 % sentences.count])." }.joined(separator: "\n") + "\n"
        let path = folder + "/corpus.txt"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var o = TrainingOptions(corpus: path, outputFolder: folder + "/" + out)
        o.embeddingSize = 16
        o.hiddenSize = 32
        o.batchSize = 8
        o.sequenceLength = 16
        o.dropout = 0.2
        o.evaluateEvery = 20
        o.regularization = Regularization(embeddingDropout: 0.1, weightDrop: 0.3, lockedDropout: true, activation: 2, temporalActivation: 1)
        o.averageDecay = 0.99
        return o
    }

    /// A run with every regulariser and averaging, stopped and resumed, ends with the same bits as
    /// a straight run (weights, average, best model); the best model holds the averaged weights and
    /// scores what validation recorded.
    func testResumeIsExactWithRegularizersAndAveraging() throws {
        let folder = SharedData.temporaryFolder(self)
        var o = try options(folder, out: "straight")
        o.maxSteps = 50
        let straight = try Trainer(options: o)
        try straight.run()

        var first = o
        first.outputFolder = folder + "/resumed"
        first.maxSteps = 27
        try Trainer(options: first).run()
        let resumed = try Trainer(resuming: first.outputFolder!) { $0.maxSteps = 50 }
        try resumed.run()
        XCTAssertEqual(resumed.model.allValues.map(\.bitPattern), straight.model.allValues.map(\.bitPattern))
        for file in [Checkpoint.modelFile, Checkpoint.resumeFile] {
            let a = try SafeTensors(contentsOf: o.outputFolder! + "/" + file), b = try SafeTensors(contentsOf: first.outputFolder! + "/" + file)
            for name in a.tensors.keys.sorted() where !name.hasPrefix("state") {
                XCTAssertEqual(a[name]?.floats().map { $0.map(\.bitPattern) }, b[name]?.floats().map { $0.map(\.bitPattern) }, "\(file) \(name)")
            }
        }
        let best = try Checkpoint(contentsOf: o.outputFolder!)
        let latest = try Checkpoint(contentsOf: o.outputFolder! + "/" + Checkpoint.latestFile)
        XCTAssertNotEqual(best.weights["rnn.weight_hh_l0"]?.floats(), latest.weights["rnn.weight_hh_l0"]?.floats(),
                          "the best model is the average, not the last step's weights")
        let recorded = best.summary.bestValidationLoss!
        let bestModel = try best.makeModel()
        let (sum, count) = Evaluator.score(model: bestModel, batcher: straight.data.validationBatcher)
        XCTAssertEqual(sum / Double(count), recorded, accuracy: 1e-9 * recorded)
    }
}
