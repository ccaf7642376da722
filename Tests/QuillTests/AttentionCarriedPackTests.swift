import Foundation
import Quill
import QuillKernels
import XCTest

/// The attention head carries its packs of the memory from window to window, trusting them only
/// while the caller's memory is the storage the last forward handed out. A stale pack would give
/// slightly wrong scores without failing, so every window here is also run on a fresh network
/// (which packs from scratch) from a copy of the state, and the two must agree bit for bit.
final class AttentionCarriedPackTests: XCTestCase {
    private func network(_ config: ModelConfig) throws -> Network {
        let network = try Network(config: config)
        var rng = SeededGenerator(seed: 3)
        network.initialize(rng: &rng)
        // Gates and the norm away from their initial values, so every term of the head matters.
        for name in ["attention.key_gate", "attention.value_gate", "attention.query_norm.weight", "attention.query_norm.bias"] {
            network.parameters.set(name, (0..<config.hiddenSize).map { _ in rng.nextUniform(in: -1, 1) })
        }
        return network
    }

    private func config(hidden: Int, memory: Int) -> ModelConfig {
        ModelConfig(vocabularySize: 13, embeddingSize: 8, hiddenSize: hidden, layers: 2, attention: ModelConfig.Attention(memory: memory))
    }

    /// One training window (forward, loss, backward) on `network` from `state`, and on a fresh
    /// network from a copy of it: the logits, the gradients and the new memory must be the same bits.
    private func checkWindow(_ network: Network, _ state: inout RecurrentState, steps t: Int, _ config: ModelConfig,
                             _ rng: inout SeededGenerator, _ label: String) throws {
        let b = state.batchSize, v = config.vocabularySize
        let inputs = (0..<(t * b)).map { _ in Int32(rng.nextInt(below: v)) }
        let targets = (0..<(t * b)).map { _ in Int32(rng.nextInt(below: v)) }
        var copy = state
        let fresh = try self.network(config)
        var r1 = SeededGenerator(seed: 1), r2 = SeededGenerator(seed: 1)
        network.gradients.zero()
        let out = Array(UnsafeBufferPointer(start: network.forward(inputs: inputs, steps: t, batch: b, state: &state,
                                                                   training: true, rng: &r1), count: t * b * v))
        _ = network.lossAndGradient(targets: targets, mask: nil)
        network.backward()
        let expected = Array(UnsafeBufferPointer(start: fresh.forward(inputs: inputs, steps: t, batch: b, state: &copy,
                                                                      training: true, rng: &r2), count: t * b * v))
        _ = fresh.lossAndGradient(targets: targets, mask: nil)
        fresh.backward()
        XCTAssertEqual(out, expected, "logits, \(label)")
        XCTAssertEqual(network.gradients.allValues, fresh.gradients.allValues, "gradients, \(label)")
        XCTAssertEqual(state.memory, copy.memory, "memory, \(label)")
    }

    /// Window lengths that shift whole panels (16 and 32: `GEMM.nr` of either build, 16 a partial
    /// panel in an AVX-512 build), partial panels (a width of 40), windows longer
    /// than the memory, single tokens once it is full, and values across the 256-row block.
    func testCarriedPacksEqualFreshOnesInStreams() throws {
        let cases: [(hidden: Int, memory: Int, windows: [Int])] = [
            (48, 64, Array(repeating: 16, count: 6)),
            (48, 64, Array(repeating: 32, count: 6)),
            (40, 64, Array(repeating: 16, count: 6)),
            (48, 64, [16, 16, 32, 7, 16, 48, 1, 1, 16, 128, 16]),
            (48, 64, [64] + Array(repeating: 1, count: 12)),
            (48, 300, [128, 128, 64, 1, 1, 16, 16, 3]),
        ]
        for (index, c) in cases.enumerated() {
            let config = self.config(hidden: c.hidden, memory: c.memory), network = try self.network(config)
            var rng = SeededGenerator(seed: 5)
            var state = RecurrentState(config: config, batchSize: 3)
            for (w, t) in c.windows.enumerated() { try checkWindow(network, &state, steps: t, config, &rng, "case \(index), window \(w)") }
        }
    }

    /// Callers that change the memory between two forwards: two states taking turns, a copied
    /// state, a reset row, lengths changed in place, a full reset, another batch size in between.
    func testCarriedPacksFollowEveryChangeOfTheMemory() throws {
        let config = self.config(hidden: 48, memory: 64), network = try self.network(config)
        var rng = SeededGenerator(seed: 6)
        var a = RecurrentState(config: config, batchSize: 3), b = RecurrentState(config: config, batchSize: 3)
        for w in 0..<5 {
            try checkWindow(network, &a, steps: 16, config, &rng, "turns a \(w)")
            try checkWindow(network, &b, steps: 16, config, &rng, "turns b \(w)")
        }
        var c = a
        try checkWindow(network, &a, steps: 16, config, &rng, "copy a")
        try checkWindow(network, &c, steps: 16, config, &rng, "copy c")
        a.resetRow(1)
        try checkWindow(network, &a, steps: 16, config, &rng, "after resetRow")
        a.memoryLengths[0] = 10
        try checkWindow(network, &a, steps: 16, config, &rng, "lengths shortened")
        a.reset()
        try checkWindow(network, &a, steps: 16, config, &rng, "after reset")
        var d = RecurrentState(config: config, batchSize: 2)
        for w in 0..<3 {
            try checkWindow(network, &d, steps: 16, config, &rng, "batch 2, \(w)")
            try checkWindow(network, &a, steps: 16, config, &rng, "batch 3, \(w)")
        }
    }
}
