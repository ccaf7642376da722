import QuillCore

extension ModelConfig {
    /// One head of attention over a memory of past states, after the second-to-last recurrent
    /// layer (after the only layer of a one-layer model), as in Merity's SHA-RNN: the query is a
    /// LayerNorm'd linear projection of that layer's output; keys and values are the layer's own
    /// outputs scaled by learned sigmoid gates (no key or value matrices); each position attends to
    /// itself and the `memory` positions before it (causal, no positional encoding); the result is
    /// added to the layer's output (a residual). docs/attention.md has the equations.
    public struct Attention: Codable, Equatable, Sendable {
        /// M: past positions each position may attend to besides itself; the memory a caller
        /// carries across windows holds this many states per row.
        public var memory: Int

        /// The default M: `quill train --attention` without `--attention-memory`.
        public static let defaultMemory = 256
        /// The query's LayerNorm epsilon (PyTorch's default).
        package static let layerNormEpsilon: Float = 1e-5

        /// The query's LayerNorm without its gain and shift: `count` values normalised in place to
        /// zero mean and unit variance (biased, + ε); returns 1/√(var + ε). One routine for the
        /// training layer and the step decoder, so both round the same way.
        package static func normalize(_ u: UnsafeMutablePointer<Float>, count h: Int) -> Float {
            var mean: Float = 0
            for j in 0..<h { mean += u[j] }
            mean /= Float(h)
            var variance: Float = 0
            for j in 0..<h { let d = u[j] - mean; variance += d * d }
            variance /= Float(h)
            let rstd = 1 / (variance + layerNormEpsilon).squareRoot()
            for j in 0..<h { u[j] = (u[j] - mean) * rstd }
            return rstd
        }
        /// The largest M accepted (the memory of one row is M·H floats).
        public static let memoryLimit = 1 << 16

        /// A head attending to `memory` past positions.
        public init(memory: Int = Attention.defaultMemory) {
            self.memory = memory
        }

        /// Throws `QuillError.invalidSetting` for M outside 1…`memoryLimit`.
        public func validate() throws {
            if memory <= 0 { throw QuillError.invalidSetting(.positive(.attentionMemory, memory)) }
            if memory > Self.memoryLimit {
                throw QuillError.invalidSetting(.init(.attentionMemory, memory, "attentionMemory is \(memory), above the limit of \(Self.memoryLimit)"))
            }
        }

        /// The head's tensors under PyTorch-style names (a module `attention` with a Linear
        /// `query`, a LayerNorm `query_norm` and two gate vectors), each over H.
        public func parameterShapes(hiddenSize h: Int) -> [(name: String, shape: [Int])] {
            [("attention.query.weight", [h, h]), ("attention.query.bias", [h]),
             ("attention.query_norm.weight", [h]), ("attention.query_norm.bias", [h]),
             ("attention.key_gate", [h]), ("attention.value_gate", [h])]
        }
    }

    /// The recurrent layer whose output the attention head reads and replaces: L − 2, or 0 for a
    /// one-layer model. Nil without attention.
    public var attentionLayer: Int? {
        attention == nil ? nil : max(0, layers - 2)
    }
}
