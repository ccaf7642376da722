import Foundation
@testable import QuillModel
@testable import QuillInference
import Quill
import QuillKernels
import XCTest

/// The batch-1 generation path against the general forward pass (the plain float32 reference),
/// the quantized weight formats against their definitions, and generation sessions.
final class StepDecoderTests: XCTestCase {
    func model(hidden: Int, embed: Int, vocabulary: Int = 23, tie: Bool = false, seed: UInt64 = 5,
               attention: ModelConfig.Attention? = nil, layers: Int = 2,
               adaptive: ModelConfig.AdaptiveSoftmax? = nil) throws -> LanguageModel {
        let model = try Network(config: ModelConfig(vocabularySize: vocabulary, embeddingSize: embed, hiddenSize: hidden,
                                                          layers: layers, tieWeights: tie, attention: attention,
                                                          adaptiveSoftmax: adaptive))
        var rng = SeededGenerator(seed: seed)
        model.initialize(rng: &rng)
        for i in 0..<model.parameters.count { model.parameters.values[i] *= 3 }
        return model.snapshot()
    }

    /// Runs `tokens` through both paths from the same state; returns the largest relative logit
    /// difference and whether every logit and state value was bit-identical.
    func compare(_ model: LanguageModel, format: WeightFormat, tokens: [Int], worstMemory: UnsafeMutablePointer<Double>? = nil)
        -> (worst: Double, identical: Bool) {
        let decoder = StepDecoder(weights: StepWeights(model: model, format: format))
        let network = Network(model: model)
        var state = RecurrentState(config: model.config, batchSize: 1)
        // Start both from a non-zero state, as after a prompt.
        var rng = SeededGenerator(seed: 0)
        network.forward(inputs: [1, 2, 3], steps: 3, batch: 1, state: &state, training: false, rng: &rng)
        decoder.load(state)
        var worst = 0.0, identical = true
        let v = model.config.vocabularySize
        for token in tokens {
            let fast = Array(UnsafeBufferPointer(start: decoder.step(token), count: v))
            let reference = Array(UnsafeBufferPointer(start: network.forward(inputs: [Int32(token)], steps: 1, batch: 1, state: &state,
                                                                          training: false, rng: &rng), count: v))
            for (a, b) in zip(fast, reference) {
                worst = max(worst, Double(abs(a - b)) / max(1, Double(abs(b))))
                if a.bitPattern != b.bitPattern { identical = false }
            }
            if decoder.state != state { identical = false }
            for (a, b) in zip(decoder.state.memory, state.memory) { worstMemory?.pointee = max(worstMemory?.pointee ?? 0, Double(abs(a - b))) }
            if decoder.state.memoryLengths != state.memoryLengths { worstMemory?.pointee = .infinity }
        }
        return (worst, identical)
    }

    func testFloat32StepsAreBitIdenticalToTheGeneralForwardPass() throws {
        let tokens = [0, 5, 22, 7, 7, 13, 1, 19, 4, 11]
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        // H = 20 leaves a partial lane group; 136 splits over workers; tied weights read the encoder.
        for (hidden, embed, tie) in [(20, 6, false), (136, 40, false), (64, 64, true)] {
            for threads in [1, 2, 3] {
                Parallel.threadCount = threads
                let m = try model(hidden: hidden, embed: embed, tie: tie)
                let result = compare(m, format: .f32, tokens: tokens)
                XCTAssertTrue(result.identical, "H=\(hidden) tied=\(tie) threads=\(threads): max relative Δ \(result.worst)")
            }
        }
    }

    func testQuantizedStepsMatchTheGeneralPassOnRoundedWeights() throws {
        for format in [WeightFormat.bf16, .int8] {
            // The general pass on the weights the format stores is the reference.
            let m = try model(hidden: 72, embed: 24).rounded(to: format)
            let result = compare(m, format: format, tokens: [3, 9, 14, 0, 21, 8])
            XCTAssertLessThan(result.worst, 1e-4, "\(format)")
        }
    }

    /// With an adaptive softmax the step decoder's log-probabilities are the general pass's up to
    /// rounding (dot products against GEMM), in every weight format, on one thread and two
    /// (a 5000-word cluster splits over the workers).
    func testAdaptiveSoftmaxStepsMatchTheGeneralPass() throws {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        let tokens = [3, 9, 5100, 0, 21, 800, 8, 2]
        for threads in [1, 2] {
            Parallel.threadCount = threads
            for format in WeightFormat.allCases {
                let m = try model(hidden: 40, embed: 16, vocabulary: 5300, adaptive: .init(cutoffs: [20, 300]))
                    .rounded(to: format)
                XCTAssertLessThan(compare(m, format: format, tokens: tokens).worst, 1e-4, "\(format), \(threads) threads")
            }
        }
    }

    /// With attention the step decoder's ring of M + 1 states gives the general pass's logits and
    /// memory up to rounding, in every weight format (against the general pass on the rounded
    /// weights), past the point where the ring wraps, and with the head before the decoder.
    func testAttentionStepsMatchTheGeneralPass() throws {
        let tokens = [3, 9, 14, 0, 21, 8, 8, 2, 17, 5]
        for (layers, memory) in [(2, 4), (1, 20)] {
            for format in WeightFormat.allCases {
                let m = try model(hidden: 40, embed: 16, attention: ModelConfig.Attention(memory: memory), layers: layers)
                    .rounded(to: format)
                var worstMemory = 0.0
                let result = compare(m, format: format, tokens: tokens, worstMemory: &worstMemory)
                XCTAssertLessThan(result.worst, 1e-4, "\(format) L=\(layers)")
                XCTAssertLessThan(worstMemory, 1e-4, "\(format) L=\(layers)")
            }
        }
    }

    /// A ring long enough for the step's parallel region (300 states of 128) gives the same bits on
    /// one thread and on two or three, and still the general pass's values.
    func testLongAttentionRingIsBitIdenticalAcrossThreadCounts() throws {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        let m = try model(hidden: 128, embed: 16, attention: ModelConfig.Attention(memory: 299))
        let prompt = (0..<300).map { Int32($0 % 23) }
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            Parallel.threadCount = threads
            let decoder = StepDecoder(weights: StepWeights(model: m, format: .f32))
            let network = Network(model: m)
            var state = RecurrentState(config: m.config, batchSize: 1)
            var rng = SeededGenerator(seed: 0)
            network.forward(inputs: prompt, steps: 300, batch: 1, state: &state, training: false, rng: &rng)
            decoder.load(state)
            let fast = Array(UnsafeBufferPointer(start: decoder.step(4), count: 23))
            let reference = Array(UnsafeBufferPointer(start: network.forward(inputs: [4], steps: 1, batch: 1, state: &state,
                                                                          training: false, rng: &rng), count: 23))
            for (a, b) in zip(fast, reference) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b))) }
            results.append(fast)
        }
        XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern))
        XCTAssertEqual(results[0].map(\.bitPattern), results[2].map(\.bitPattern))
    }

    func testQuantizedMatricesHoldWhatTheFormatsDefine() throws {
        var rng = SeededGenerator(seed: 9)
        let rows = 5, columns = 37
        var values = (0..<(rows * columns)).map { _ in rng.nextUniform(in: -2, 2) }
        values[3] = 0; values[columns] = 1.0000001; values[columns + 1] = -3.5
        let x = (0..<columns).map { _ in rng.nextUniform(in: -1, 1) }
        for format in WeightFormat.allCases {
            let matrix = values.withUnsafeBufferPointer { QuantizedMatrix($0.baseAddress!, rows: rows, columns: columns, format: format) }
            let stored = matrix.dequantized()
            for r in 0..<rows {
                let row = Array(values[(r * columns)..<((r + 1) * columns)])
                let largest = row.map(abs).max()!
                for c in 0..<columns {
                    let (w, q) = (row[c], stored[r * columns + c])
                    switch format {
                    case .f32: XCTAssertEqual(q, w)
                    case .bf16:
                        // Round to nearest: the error is at most half of bfloat16's last place.
                        XCTAssertLessThanOrEqual(abs(q - w), abs(w) * Float(1.0 / 256) + 1e-30)
                        XCTAssertEqual(q.bitPattern & 0xFFFF, 0)
                    case .int8:
                        XCTAssertLessThanOrEqual(abs(q - w), largest / 127 / 2 * 1.0001)
                    }
                }
                // The dot product is the naive one over the stored values.
                var naive = 0.0
                for c in 0..<columns { naive += Double(x[c]) * Double(stored[r * columns + c]) }
                let dot = x.withUnsafeBufferPointer { matrix.dot($0.baseAddress!, row: r) }
                XCTAssertEqual(Double(dot), naive, accuracy: 1e-5 * max(1, abs(naive)), "\(format) row \(r)")
            }
        }
        // Ties round to even: 1 + 2⁻⁸ lies halfway between two bfloat16 values.
        XCTAssertEqual(QuantizedMatrix.bfloat16(1 + 1.0 / 256), 0x3F80)
        XCTAssertEqual(QuantizedMatrix.bfloat16(1 + 3.0 / 256), 0x3F82)
    }

    func testQuantizedCheckpointsRoundTripAndShrink() throws {
        let folder = SharedData.temporaryFolder(self)
        let m = try model(hidden: 32, embed: 16)
        let vocabulary = try Vocabulary(tokens: (0..<23).map { "t\($0)" }, specialCount: 0)
        let checkpoint = Checkpoint(model: m, vocabulary: vocabulary, summary: TrainingSummary(level: .word, mode: .stream))
        var sizes: [WeightFormat: Int] = [:]
        for format in WeightFormat.allCases {
            let path = folder + "/\(format).safetensors"
            try checkpoint.write(to: path, storing: format)
            sizes[format] = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            let loaded = try LoadedModel(path: path)
            XCTAssertEqual(loaded.weightFormat, format)
            XCTAssertEqual(try Checkpoint(contentsOf: path).storedFormat, format)
            // The loaded weights are exactly what rounding the original gives.
            let expected = try model(hidden: 32, embed: 16).rounded(to: format)
            XCTAssertEqual(loaded.model.allValues, expected.allValues, "\(format)")
        }
        XCTAssertLessThan(sizes[.int8]!, sizes[.bf16]!)
        XCTAssertLessThan(sizes[.bf16]!, sizes[.f32]!)
        // Asking for float32 from an int8 file gives its (dequantized) values, not the originals.
        let widened = try LoadedModel(path: folder + "/int8.safetensors", weightFormat: .f32)
        XCTAssertEqual(widened.weightFormat, .f32)
        XCTAssertNotEqual(widened.model.allValues, m.allValues)
    }

    func testSessionsContinueResetAndMatchGenerate() throws {
        let m = try model(hidden: 24, embed: 8, vocabulary: 12)
        let tokens = ["<pad>", "<unk>", "\n"] + "abcdefghi".map(String.init)
        let loaded = LoadedModel(model: m, vocabulary: try Vocabulary(tokens: tokens, specialCount: 2), level: .char)
        let generator = Generator(loaded: loaded, sampler: try Sampler(temperature: 1))
        let prompt = try generator.encodePrompt("abc", policy: .refuse).ids
        let whole = try generator.generate(prompt: prompt, length: 40, seed: 3)[0].text

        let session = GenerationSession(generator: generator, seed: 3)
        try session.feed(prompt)
        let first = try session.generate(length: 15).text
        let second = try session.generate(length: 25).text
        XCTAssertEqual(first + second, whole, "a continuation picks up where the last one stopped")

        // A reset forgets the context: reseeded, the session repeats a fresh generation exactly.
        try session.feed(try generator.encodePrompt("ghi", policy: .refuse).ids)
        let afterMore = try session.generate(length: 40).text
        session.reset(seed: 3)
        try session.feed(prompt)
        XCTAssertEqual(try session.generate(length: 40).text, whole)
        XCTAssertNotEqual(afterMore, whole)

        // A stop request ends the sample at once.
        var asked = 0
        let stopped = try session.generate(length: 50, shouldStop: { asked += 1; return asked > 5 })
        XCTAssertEqual(stopped.stopReason, .interrupted)
        XCTAssertEqual(stopped.tokens, 5)
    }

    func testGenerationIsIdenticalOnOneAndTwoThreads() throws {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        var texts: [String] = []
        for threads in [1, 2] {
            Parallel.threadCount = threads
            let tokens = ["<pad>", "<unk>", "\n"] + "abcdefghi".map(String.init)
            for format in WeightFormat.allCases {
                let loaded = LoadedModel(model: try model(hidden: 96, embed: 16, vocabulary: 12), vocabulary: try Vocabulary(tokens: tokens, specialCount: 2),
                                         level: .char, weightFormat: format)
                let generator = Generator(loaded: loaded, sampler: try Sampler(temperature: 1, topK: 6))
                let text = try generator.generate(prompt: [3, 4], length: 200, seed: 11)[0].text
                texts.append(format.rawValue + text)
            }
        }
        XCTAssertEqual(Array(texts[0..<3]), Array(texts[3..<6]))
    }
}
