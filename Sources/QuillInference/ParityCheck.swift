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
/// and `grad.NAME` for every parameter and for h0 and c0. Shapes are read from the tensors, so any
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
        if let name = file.metadata["cell"], ModelConfig.Cell(pytorchName: name) == nil {
            throw QuillError.badCheckpoint(path: path, problem: "fixture is for a '\(name)' cell, which Quill does not have")
        }
        var config = try LanguageModel.inferConfig(from: file, path: path)
        // A fixture with dropout holds the masks PyTorch drew (dropout.mask0 for the embedding,
        // dropout.mask{k+1} after layer k), so both sides drop the same elements.
        let dropoutMasks = (0...config.layers).map { file["dropout.mask\($0)"]?.floats() ?? [] }
        let withDropout = dropoutMasks.allSatisfy { !$0.isEmpty }
        if withDropout {
            guard let p = file.metadata["dropout"].flatMap(Float.init), p > 0, p < 1 else {
                throw QuillError.badCheckpoint(path: path, problem: "dropout masks without a 'dropout' probability in the metadata")
            }
            config.dropout = p
        }
        // A trainable network: the check compares gradients too.
        let model = Network(training: try LanguageModel(config: config, tensors: file, path: path))

        func floats(_ name: String) throws -> [Float] {
            guard let values = file[name]?.floats() else {
                throw QuillError.badCheckpoint(path: path, problem: "missing float tensor '\(name)'")
            }
            return values
        }
        func ids(_ name: String) throws -> (values: [Int32], shape: [Int]) {
            guard let tensor = file[name], let values = tensor.integers(), tensor.shape.count == 2 else {
                throw QuillError.badCheckpoint(path: path, problem: "missing integer tensor '\(name)' of shape [T, B]")
            }
            guard values.allSatisfy({ $0 >= 0 && $0 < config.vocabularySize }) else {
                throw QuillError.badCheckpoint(path: path, problem: "'\(name)' has ids outside 0..<\(config.vocabularySize)")
            }
            return (values.map { Int32($0) }, tensor.shape)
        }
        let (input, shape) = try ids("input")
        let (target, _) = try ids("target")
        let t = shape[0], b = shape[1]
        let l = config.layers, h = config.hiddenSize
        for (k, mask) in dropoutMasks.enumerated() where withDropout {
            let width = k == 0 ? config.embeddingSize : h
            guard mask.count == t * b * width else {
                throw QuillError.badCheckpoint(path: path, problem: "dropout.mask\(k) has \(mask.count) values, not T·B·\(width) = \(t * b * width)")
            }
        }
        var state = RecurrentState(config: config, batchSize: b)
        if file["h0"] != nil { state.hidden = try floats("h0") }
        if config.cell.hasCellState && file["c0"] != nil { state.cell = try floats("c0") }
        guard state.hidden.count == l * b * h, state.cell.count == (config.cell.hasCellState ? l * b * h : 0) else {
            throw QuillError.badCheckpoint(path: path, problem: "h0/c0 are not shaped [L, B, H] = [\(l), \(b), \(h)]")
        }

        var rng = SeededGenerator(seed: 0)
        let logitsPointer = model.forward(inputs: input, steps: t, batch: b, state: &state, training: withDropout, rng: &rng,
                                          dropoutMasks: withDropout ? dropoutMasks : nil)
        let logits = Array(UnsafeBufferPointer(start: logitsPointer, count: t * b * config.vocabularySize))
        let (sum, count) = model.lossAndGradient(targets: target, mask: nil)
        var stateGrad = RecurrentState(config: config, batchSize: b)
        model.backward(stateGradient: &stateGrad)

        var results: [Comparison] = []
        func compare(_ name: String, _ actual: [Float]) throws {
            let expected = try floats(name)
            guard expected.count == actual.count else {
                throw QuillError.badCheckpoint(path: path, problem: "'\(name)' has \(expected.count) values, Quill computed \(actual.count)")
            }
            var maxAbs = 0.0, worst = 0.0
            for (a, e) in zip(actual, expected) {
                let d = abs(Double(a) - Double(e))
                maxAbs = max(maxAbs, d)
                worst = max(worst, d.isNaN ? .infinity : d / (Self.absoluteTolerance + Self.relativeTolerance * abs(Double(e))))
            }
            results.append(Comparison(name: name, count: actual.count, maxAbsoluteError: maxAbs, worstRatio: worst))
        }
        try compare("expected.logits", logits)
        try compare("expected.loss", [Float(sum / Double(count))])
        try compare("expected.hT", state.hidden)
        if config.cell.hasCellState { try compare("expected.cT", state.cell) }
        for entry in model.gradients.entries {
            try compare("grad." + entry.name, model.gradients.array(entry.name))
        }
        if file["grad.h0"] != nil { try compare("grad.h0", stateGrad.hidden) }
        if config.cell.hasCellState && file["grad.c0"] != nil { try compare("grad.c0", stateGrad.cell) }
        self.config = config
        self.steps = t
        self.batch = b
        self.comparisons = results
    }
}
