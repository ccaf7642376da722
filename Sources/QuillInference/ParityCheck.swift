import QuillCheckpoint
import QuillCore
import QuillKernels
import QuillModel

/// Compares Quill with a PyTorch reference fixture: loads the fixture's weights, input, target and
/// initial state, runs forward, loss and backward, and measures every output against the
/// fixture's expected tensors.
///
/// A fixture holds the model's weights under PyTorch's names, `input` and `target` (T, B),
/// `h0`/`c0` (L, B, H), `expected.logits` (T, B, V), `expected.loss`, `expected.hT`/`expected.cT`
/// and `grad.NAME` for every parameter and for h0 and c0; a model with attention adds `memory`
/// [M, B, H] and `memory_lengths` [B] and their `expected.` values after the window. Shapes are read from the tensors, so any
/// V, E, H, L, T and B work.
package struct ParityCheck: Sendable {
    /// The comparison of one tensor.
    public struct Comparison: Sendable {
        /// The tensor compared (`logits`, `loss`, `grad.<parameter>`, …).
        public let name: String
        /// Elements compared.
        public let count: Int
        /// Largest |quill − expected|.
        public let maxAbsoluteError: Double
        /// Largest |Δ| / (atol + rtol·|expected|); at most 1 passes.
        public let worstRatio: Double
        /// True when every element is within tolerance.
        public var passed: Bool { worstRatio <= 1 }
    }

    /// Allowed |Δ| on top of the relative part.
    public static let absoluteTolerance = 1e-5
    /// Allowed |Δ| per unit of the reference value.
    public static let relativeTolerance = 1e-4

    /// The fixture's model.
    public let config: ModelConfig
    /// T of the fixture's batch.
    public let steps: Int
    /// B of the fixture's batch.
    public let batch: Int
    /// Every tensor compared, in order.
    public let comparisons: [Comparison]
    /// True when every comparison passed.
    public var passed: Bool { comparisons.allSatisfy(\.passed) }

    /// Reads a fixture file and runs the comparison.
    public init(fixturePath path: String) throws {
        try self.init(fixture: try SafeTensors(contentsOf: path), path: path)
    }

    /// Runs the comparison on a fixture already read (`path` names it in errors).
    public init(fixture file: SafeTensors, path: String) throws {
        let fixture = try Fixture(file, path: path)
        let config = fixture.config
        // A trainable network: the check compares gradients too.
        let model = Network(training: try LanguageModel(config: config, tensors: file, path: path))
        var state = fixture.initialState
        var rng = SeededGenerator(seed: 0)
        let (t, b) = (fixture.steps, fixture.batch)
        let logitsPointer = model.forward(inputs: fixture.input, steps: t, batch: b, state: &state, training: fixture.dropoutMasks != nil,
                                          rng: &rng, dropoutMasks: fixture.dropoutMasks)
        let logits = Array(UnsafeBufferPointer(start: logitsPointer, count: t * b * config.vocabularySize))
        let (sum, count) = model.lossAndGradient(targets: fixture.target, mask: nil)
        var stateGrad = RecurrentState(config: config, batchSize: b)
        model.backward(stateGradient: &stateGrad)

        var actual: [(String, [Float])] = [("expected.logits", logits), ("expected.loss", [Float(sum / Double(count))]),
                                           ("expected.hT", state.hidden)]
        if config.cell.hasCellState { actual.append(("expected.cT", state.cell)) }
        if config.attention != nil {
            actual.append(("expected.memory", state.memory))
            actual.append(("expected.memory_lengths", state.memoryLengths.map(Float.init)))
        }
        actual += model.gradients.entries.map { ("grad." + $0.name, model.gradients.array($0.name)) }
        if file["grad.h0"] != nil { actual.append(("grad.h0", stateGrad.hidden)) }
        if config.cell.hasCellState && file["grad.c0"] != nil { actual.append(("grad.c0", stateGrad.cell)) }
        comparisons = try actual.map { name, values in
            let expected = name == "expected.memory_lengths" ? try fixture.integers(name).map(Float.init) : try fixture.floats(name)
            return try Self.compare(name, values, with: expected, path: path)
        }
        self.config = config
        steps = t
        batch = b
    }

    /// How far `actual` is from PyTorch's `expected` values of tensor `name` (of fixture `path`).
    static func compare(_ name: String, _ actual: [Float], with expected: [Float], path: String) throws -> Comparison {
        guard expected.count == actual.count else {
            throw QuillError.badCheckpoint(path: path, problem: "'\(name)' has \(expected.count) values, Quill computed \(actual.count)")
        }
        var maxAbs = 0.0, worst = 0.0
        for (a, e) in zip(actual, expected) {
            let d = abs(Double(a) - Double(e))
            maxAbs = max(maxAbs, d)
            worst = max(worst, d.isNaN ? .infinity : d / (Self.absoluteTolerance + Self.relativeTolerance * abs(Double(e))))
        }
        return Comparison(name: name, count: actual.count, maxAbsoluteError: maxAbs, worstRatio: worst)
    }
}
