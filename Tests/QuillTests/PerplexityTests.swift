import Foundation
import Quill
import QuillKernels
import XCTest

final class PerplexityTests: XCTestCase {
    /// The PyTorch fixture loaded as a plain state dict with a vocabulary file: perplexity over its
    /// input/target from a zero state equals exp(expected.loss).
    func testFixturePerplexityThroughStateDictLoading() throws {
        let path = try SharedData.fixture("lstm_parity_zero_state.safetensors")
        let fixture = try SafeTensors(contentsOf: path)
        let v = fixture["encoder.weight"]!.shape[0]
        let folder = SharedData.temporaryFolder(self)
        // The model's tensors alone, as PyTorch's state_dict() holds them: a state dict is loaded
        // whole, and the fixture also holds the inputs, expected values and gradients.
        let weights = fixture.order.filter { $0 == "encoder.weight" || $0.hasPrefix("rnn.") || $0.hasPrefix("decoder.") }
        try SafeTensors(tensors: weights.map { ($0, fixture[$0]!) }).write(to: folder + "/dict.safetensors")
        let vocabularyFile = folder + "/vocab.txt"
        try (0..<v).map { "w\($0)\n" }.joined().write(toFile: vocabularyFile, atomically: true, encoding: .utf8)
        let loaded = try LoadedModel(path: folder + "/dict.safetensors", vocabularyFile: vocabularyFile, level: .word)
        XCTAssertEqual(loaded.vocabulary.count, v)
        let shape = fixture["input"]!.shape
        let batch = Batch(steps: shape[0], batchSize: shape[1], inputs: fixture["input"]!.integers()!.map(Int32.init),
                          targets: fixture["target"]!.integers()!.map(Int32.init), mask: nil, continuesState: false)
        let (sum, count) = Evaluator.score(model: loaded.model, batches: [batch])
        let expected = exp(Double(fixture["expected.loss"]!.floats()![0]))
        XCTAssertEqual(exp(sum / Double(count)) / expected, 1, accuracy: 1e-4)
    }

    func trainedCheckpoint() throws -> (String, String) {
        let folder = SharedData.temporaryFolder(self)
        let corpus = folder + "/c.txt"
        try String(repeating: "one two three four\nfive six seven\n", count: 80).write(toFile: corpus, atomically: true, encoding: .utf8)
        var o = TrainingOptions(corpus: corpus, outputFolder: folder + "/run")
        o.level = .word
        o.embeddingSize = 8
        o.hiddenSize = 16
        o.batchSize = 4
        o.sequenceLength = 8
        o.maxSteps = 30
        try Trainer(options: o).run()
        return (o.outputFolder!, corpus)
    }

    func testEvaluationIsDeterministicAndMatchesBatchOneStreaming() throws {
        let (checkpoint, corpus) = try trainedCheckpoint()
        let loaded = try LoadedModel(path: checkpoint)
        let a = try PerplexityEvaluator(loaded: loaded, batchSize: 10, steps: 16).evaluate(file: corpus)
        let b = try PerplexityEvaluator(loaded: loaded, batchSize: 10, steps: 16).evaluate(file: corpus)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.unknown, 0)
        XCTAssertEqual(a.tokens, (a.textTokens / 10 - 1) * 10)
        // With B = 1 the window length must not matter: the state is carried across windows.
        let whole = try PerplexityEvaluator(loaded: loaded, batchSize: 1, steps: 1000).evaluate(file: corpus)
        let windows = try PerplexityEvaluator(loaded: loaded, batchSize: 1, steps: 7).evaluate(file: corpus)
        XCTAssertEqual(whole.tokens, windows.tokens)
        XCTAssertEqual(whole.crossEntropy, windows.crossEntropy, accuracy: 1e-5)
        XCTAssertEqual(whole.tokens, whole.textTokens - 1)
    }

    func testUnknownTokensAndBadFiles() throws {
        let (checkpoint, _) = try trainedCheckpoint()
        let loaded = try LoadedModel(path: checkpoint)
        let folder = SharedData.temporaryFolder(self)
        let mixed = folder + "/m.txt", foreign = folder + "/f.txt", empty = folder + "/e.txt"
        try String(repeating: "one zebra two\n", count: 20).write(toFile: mixed, atomically: true, encoding: .utf8)
        try "zebra yak\n".write(toFile: foreign, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let result = try PerplexityEvaluator(loaded: loaded, batchSize: 2).evaluate(file: mixed)
        XCTAssertEqual(result.unknown, 20)
        XCTAssertEqual(result.unknownShare, 0.25, accuracy: 1e-12)
        XCTAssertThrowsError(try PerplexityEvaluator(loaded: loaded).evaluate(file: foreign)) { XCTAssertTrue("\($0)".contains("none of its tokens"), "\($0)") }
        XCTAssertThrowsError(try PerplexityEvaluator(loaded: loaded).evaluate(file: empty)) { XCTAssertTrue("\($0)".contains("empty"), "\($0)") }
    }

    /// Every decoder weight at 1e30 makes all logits equal and huge: the loss must be ln V (the
    /// model predicts uniformly), not 0 from m + log Σ rounding back to m in float.
    func testHugeEqualLogitsScoreLnVNotZero() throws {
        let v = 7
        let model = try Network(config: ModelConfig(vocabularySize: v, embeddingSize: 3, hiddenSize: 4, layers: 1))
        var rng = SeededGenerator(seed: 1)
        model.initialize(rng: &rng)
        let decoder = model.parameters.pointer("decoder.weight")
        for i in 0..<(v * 4) { decoder[i] = 1e30 }
        let bias = model.parameters.pointer("decoder.bias")
        for i in 0..<v { bias[i] = 1e30 }
        var state = RecurrentState(config: model.config, batchSize: 1)
        model.forward(inputs: [0, 1, 2], steps: 3, batch: 1, state: &state, training: false, rng: &rng)
        let (sum, count) = model.lossAndGradient(targets: [1, 2, 3], mask: nil, computeGradient: false)
        XCTAssertEqual(sum / Double(count), Foundation.log(Double(v)), accuracy: 1e-6)
    }
}
