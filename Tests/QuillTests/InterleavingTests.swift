import Dispatch
import Foundation
import Quill
import Synchronization
import XCTest

/// One model, many callers: generation sessions, batched generation and perplexity evaluations
/// interleaved on one `LanguageModel`, in turn and from several threads at once, must each give
/// exactly what they give alone. Each caller owns its context (buffers, state, logits), so nothing
/// one does can move or overwrite what another reads. CI runs these under AddressSanitizer and
/// ThreadSanitizer too (`.ci/sanitizers`).
final class InterleavingTests: XCTestCase {
    static let text = String(repeating: "the keeper lit the lamp at dusk.\nfog came in from the sea.\n", count: 12)

    /// A small character model with seeded weights, built here (no file, no fixture).
    func loadedModel(cell: ModelConfig.Cell, format: WeightFormat = .f32) throws -> LoadedModel {
        let tokens = ["<pad>", "<unk>"] + Set(Self.text.unicodeScalars.map(String.init)).sorted()
        let vocabulary = try Vocabulary(tokens: tokens, specialCount: 2)
        let config = ModelConfig(vocabularySize: vocabulary.count, embeddingSize: 12, hiddenSize: 40, layers: 2, cell: cell)
        return LoadedModel(model: try LanguageModel(config: config, seed: 17), vocabulary: vocabulary, level: .char,
                           weightFormat: format)
    }

    /// Prompts of very different lengths, so one caller's buffers would have to grow.
    static let prompts = ["fog", String(repeating: "the keeper lit the lamp. ", count: 24), "the sea"]

    struct Outcome: Equatable, Sendable {
        var texts: [String] = []
        var scores: [Double] = []
    }

    /// What a session gives alone: `prompt`, then a continuation, then " and" and another.
    static func sessionAlone(_ generator: Generator, prompt: String, seed: UInt64) throws -> [String] {
        let session = GenerationSession(generator: generator, seed: seed)
        try session.feed(try generator.encodePrompt(prompt, policy: .refuse).ids)
        let first = try session.generate(length: 25).text
        try session.feed(try generator.encodePrompt(" and", policy: .refuse).ids)
        return [first, try session.generate(length: 25).text]
    }

    static func scoreAlone(_ loaded: LoadedModel, batch: Int) throws -> Double {
        try PerplexityEvaluator(loaded: loaded, batchSize: batch, steps: 16).evaluate(text: Self.text).crossEntropy
    }

    func testInterleavedSessionsEvaluationsAndBatchesGiveWhatEachGivesAlone() throws {
        for (cell, format) in [(ModelConfig.Cell.lstm, WeightFormat.f32), (.lstm, .int8), (.gru, .f32), (.rnnTanh, .f32)] {
            let loaded = try loadedModel(cell: cell, format: format)
            let generator = Generator(loaded: loaded, sampler: try Sampler(temperature: 0.9, topK: 8))
            let label = "\(cell.rawValue) \(format.rawValue)"
            let aloneA = try Self.sessionAlone(generator, prompt: Self.prompts[0], seed: 1)
            let aloneB = try Self.sessionAlone(generator, prompt: Self.prompts[1], seed: 2)
            let aloneScore = try Self.scoreAlone(loaded, batch: 4)
            let aloneBatch = try generator.generate(prompt: [3, 4], samples: 3, length: 20, seed: 5).map(\.text)

            // Each step of one caller between the steps of the others; the evaluation and the
            // batch use more rows than a session, so shared buffers would have grown under them.
            let a = GenerationSession(generator: generator, seed: 1)
            let b = GenerationSession(generator: generator, seed: 2)
            try a.feed(try generator.encodePrompt(Self.prompts[0], policy: .refuse).ids)
            try b.feed(try generator.encodePrompt(Self.prompts[1], policy: .refuse).ids)
            let score = try Self.scoreAlone(loaded, batch: 4)
            let firstA = try a.generate(length: 25).text
            let batch = try generator.generate(prompt: [3, 4], samples: 3, length: 20, seed: 5).map(\.text)
            let firstB = try b.generate(length: 25).text
            try a.feed(try generator.encodePrompt(" and", policy: .refuse).ids)
            try b.feed(try generator.encodePrompt(" and", policy: .refuse).ids)
            let secondB = try b.generate(length: 25).text
            let secondA = try a.generate(length: 25).text

            XCTAssertEqual([firstA, secondA], aloneA, label)
            XCTAssertEqual([firstB, secondB], aloneB, label)
            XCTAssertEqual(score, aloneScore, label)
            XCTAssertEqual(batch, aloneBatch, label)
            XCTAssertFalse(aloneA[0].isEmpty, label)
        }
    }

    func testInterleavedCallersOnSeveralThreadsGiveWhatEachGivesAlone() throws {
        for cell in [ModelConfig.Cell.lstm, .gru] {
            let loaded = try loadedModel(cell: cell)
            let generator = Generator(loaded: loaded, sampler: try Sampler(temperature: 0.9, topK: 8))
            // Callers 0…5: sessions with each prompt, and evaluations with 1, 3 and 5 rows.
            @Sendable func run(_ caller: Int) throws -> Outcome {
                if caller < 3 {
                    return Outcome(texts: try Self.sessionAlone(generator, prompt: Self.prompts[caller], seed: UInt64(caller)))
                }
                return Outcome(scores: [try Self.scoreAlone(loaded, batch: 2 * (caller - 3) + 1)])
            }
            let expected = try (0..<6).map(run)
            let results = ResultBox(count: 6 * 3)
            DispatchQueue.concurrentPerform(iterations: 6 * 3) { i in
                results.set(i, Result { try run(i % 6) })
            }
            for i in 0..<(6 * 3) {
                XCTAssertEqual(try results.get(i).get(), expected[i % 6], "\(cell.rawValue) caller \(i % 6), round \(i / 6)")
            }
        }
    }

    /// Weights are values: quantizing a model for a generator makes new weights, and the
    /// caller's model, a generator already built from it and its sessions keep theirs.
    func testQuantizingLeavesTheCallersWeightsAndGeneratorsAlone() throws {
        let loaded = try loadedModel(cell: .lstm)
        let before = loaded.model.allValues
        let generator = Generator(loaded: loaded, sampler: try Sampler(temperature: 0.9, topK: 8))
        let alone = try Self.sessionAlone(generator, prompt: "fog", seed: 3)
        let int8 = LoadedModel(model: loaded.model, vocabulary: loaded.vocabulary, level: .char, weightFormat: .int8)
        XCTAssertNotEqual(int8.model.allValues, before, "int8 rounds the matrices")
        XCTAssertEqual(loaded.model.allValues, before, "the caller's weights are unchanged")
        XCTAssertEqual(try Self.sessionAlone(generator, prompt: "fog", seed: 3), alone)
    }
}

/// Results written by many threads, one slot each.
private final class ResultBox: Sendable {
    private let slots: Mutex<[Result<InterleavingTests.Outcome, Error>?]>

    init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }

    func set(_ index: Int, _ result: Result<InterleavingTests.Outcome, Error>) { slots.withLock { $0[index] = result } }

    func get(_ index: Int) throws -> Result<InterleavingTests.Outcome, Error> {
        try XCTUnwrap(slots.withLock { $0[index] })
    }
}
