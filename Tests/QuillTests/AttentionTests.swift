import Foundation
import Quill
import QuillKernels
import XCTest

/// The attention head's behaviour around its equations (GradientCheckTests and the PyTorch
/// fixtures check the equations): windows, memory, padding, threads, and the model without it.
final class AttentionTests: XCTestCase {
    private func model(_ config: ModelConfig, seed: UInt64 = 3) throws -> Network {
        let network = try Network(config: config)
        var rng = SeededGenerator(seed: seed)
        network.initialize(rng: &rng)
        // Gates and LayerNorm start constant; random values exercise them.
        for name in ["attention.key_gate", "attention.value_gate", "attention.query_norm.weight", "attention.query_norm.bias"] {
            network.parameters.set(name, (0..<config.hiddenSize).map { _ in rng.nextUniform(in: -1, 1) })
        }
        return network
    }

    private static let config = ModelConfig(vocabularySize: 11, embeddingSize: 6, hiddenSize: 10, layers: 2,
                                            attention: ModelConfig.Attention(memory: 5))

    /// A stream read in one window of 12 steps or in windows of 4, 1, 3 and 4 (memory and state
    /// carried) gives the same logits and the same final memory: position t attends to the same
    /// states however the stream is cut.
    func testWindowsCarryTheMemory() throws {
        let config = Self.config, b = 2, t = 12
        let network = try model(config)
        var rng = SeededGenerator(seed: 9)
        let inputs = (0..<(t * b)).map { _ in Int32(rng.nextInt(below: config.vocabularySize)) }
        var whole = RecurrentState(config: config, batchSize: b)
        let all = Array(UnsafeBufferPointer(start: network.forward(inputs: inputs, steps: t, batch: b, state: &whole,
                                                                   training: false, rng: &rng), count: t * b * 11))
        var pieces = RecurrentState(config: config, batchSize: b)
        var logits: [Float] = []
        var start = 0
        for steps in [4, 1, 3, 4] {
            let window = Array(inputs[(start * b)..<((start + steps) * b)])
            let out = network.forward(inputs: window, steps: steps, batch: b, state: &pieces, training: false, rng: &rng)
            logits += UnsafeBufferPointer(start: out, count: steps * b * 11)
            start += steps
        }
        XCTAssertEqual(pieces.memoryLengths, [5, 5])
        for (x, y) in zip(all, logits) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        for (x, y) in zip(whole.memory, pieces.memory) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        XCTAssertNotEqual(whole.memory.filter { $0 != 0 }.count, 0)
    }

    /// A reset row forgets its memory: its next logits are those of a fresh stream, while the
    /// other row still attends to its past.
    func testResetRowForgetsTheMemory() throws {
        let config = Self.config, b = 2
        let network = try model(config)
        var rng = SeededGenerator(seed: 4)
        let first = (0..<(3 * b)).map { _ in Int32(rng.nextInt(below: 11)) }
        let second = (0..<(2 * b)).map { _ in Int32(rng.nextInt(below: 11)) }
        var carried = RecurrentState(config: config, batchSize: b)
        network.forward(inputs: first, steps: 3, batch: b, state: &carried, training: false, rng: &rng)
        carried.resetRow(1)
        XCTAssertEqual(carried.memoryLengths, [3, 0])
        let after = Array(UnsafeBufferPointer(start: network.forward(inputs: second, steps: 2, batch: b, state: &carried,
                                                                     training: false, rng: &rng), count: 2 * b * 11))
        var fresh = RecurrentState(config: config, batchSize: b)
        let clean = Array(UnsafeBufferPointer(start: network.forward(inputs: second, steps: 2, batch: b, state: &fresh,
                                                                     training: false, rng: &rng), count: 2 * b * 11))
        for s in 0..<2 {
            let row1 = (s * b + 1) * 11, row0 = s * b * 11
            for c in 0..<11 { XCTAssertEqual(after[row1 + c], clean[row1 + c], accuracy: 1e-6) }
            XCTAssertNotEqual(Array(after[row0..<(row0 + 11)]), Array(clean[row0..<(row0 + 11)]))
        }
    }

    /// Lines mode: padding comes after a line's last token and attention is causal, so a row's
    /// logits do not depend on what its padded positions hold.
    func testPaddingDoesNotReachALine() throws {
        let config = Self.config, b = 2, t = 6
        let network = try model(config)
        var rng = SeededGenerator(seed: 2)
        var inputs = (0..<(t * b)).map { _ in Int32(rng.nextInt(below: 11)) }
        func logits() -> [Float] {
            var state = RecurrentState(config: config, batchSize: b)
            return Array(UnsafeBufferPointer(start: network.forward(inputs: inputs, steps: t, batch: b, state: &state,
                                                                    training: false, rng: &rng), count: t * b * 11))
        }
        let before = logits()
        for s in 3..<t { inputs[s * b + 1] = (inputs[s * b + 1] + 1) % 11 } // row 1 is 3 tokens long, then padding
        let after = logits()
        for s in 0..<3 { XCTAssertEqual(Array(before[((s * b + 1) * 11)..<((s * b + 2) * 11)]), Array(after[((s * b + 1) * 11)..<((s * b + 2) * 11)])) }
        XCTAssertNotEqual(before, after)
    }

    /// Training steps with attention (memory carried across them, dropout on) give the same bits
    /// on 1, 2 and 3 threads.
    func testTrainingIsBitIdenticalAcrossThreadCounts() throws {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        let config = ModelConfig(vocabularySize: 40, embeddingSize: 16, hiddenSize: 48, layers: 2, dropout: 0.2,
                                 attention: ModelConfig.Attention(memory: 20))
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            Parallel.threadCount = threads
            let network = try model(config)
            var rng = SeededGenerator(seed: 8)
            var state = RecurrentState(config: config, batchSize: 5)
            for _ in 0..<3 {
                let inputs = (0..<(12 * 5)).map { _ in Int32(rng.nextInt(below: 40)) }
                network.gradients.zero()
                network.forward(inputs: inputs, steps: 12, batch: 5, state: &state, training: true, rng: &rng)
                _ = network.lossAndGradient(targets: inputs.reversed(), mask: nil)
                network.backward()
                for i in 0..<network.parameters.count { network.parameters.values[i] -= 0.1 * network.gradients.values[i] }
            }
            results.append(network.parameters.allValues + state.hidden + state.memory)
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
    }

    /// Without attention nothing changes: no tensors, no memory, and the encoded config has no
    /// `attention` key (so checkpoints of such models are written as before).
    func testOffByDefault() throws {
        let plain = ModelConfig(vocabularySize: 11, embeddingSize: 6, hiddenSize: 10, layers: 2)
        XCTAssertFalse(plain.parameterShapes.contains { $0.name.hasPrefix("attention.") })
        XCTAssertTrue(RecurrentState(config: plain, batchSize: 3).memory.isEmpty)
        let json = String(decoding: try JSONEncoder().encode(plain), as: UTF8.self)
        XCTAssertFalse(json.contains("attention"), json)
        XCTAssertEqual(Self.config.parameterShapes.filter { $0.name.hasPrefix("attention.") }.map(\.name),
                       ["attention.query.weight", "attention.query.bias", "attention.query_norm.weight",
                        "attention.query_norm.bias", "attention.key_gate", "attention.value_gate"])
        XCTAssertThrowsError(try ModelConfig(vocabularySize: 11, embeddingSize: 6, hiddenSize: 10, layers: 2,
                                             attention: ModelConfig.Attention(memory: 0)).validate())
    }
}
