import QuillCore
import QuillKernels

/// A trained language model's weights and shape: an immutable value, safe to share between
/// threads and callers. Nothing computes inside it: each caller that runs it (a generation
/// session, a perplexity evaluation, the trainer's validation) owns its own context — buffers,
/// state and logits — so callers never disturb one another, and a value taken from a training
/// run keeps its weights whatever the run does afterwards.
///
/// Make one from a checkpoint (`Checkpoint.makeModel`, `LoadedModel(path:)`), from a trainer
/// (`Trainer.model`), or from tensors (`init(config:tensors:path:)`).
public struct LanguageModel: Sendable {
    /// The model's shape and cell.
    public let config: ModelConfig
    /// Where each named tensor lives in the flat weights.
    public let layout: ParameterLayout
    /// All weights, flat, in `layout`'s order.
    let storage: ImmutableBuffer<Float>

    /// Weights copied from a parameter store of this config's layout.
    init(config: ModelConfig, copying parameters: ParameterStore) {
        precondition(parameters.layout == ParameterLayout(shapes: config.parameterShapes), "parameters of another layout")
        self.config = config
        layout = parameters.layout
        storage = ImmutableBuffer(copying: parameters.values, count: parameters.count)
    }

    /// Weights already in their storage, laid out by `layout`.
    package init(config: ModelConfig, layout: ParameterLayout, storage: ImmutableBuffer<Float>) {
        precondition(layout == ParameterLayout(shapes: config.parameterShapes) && storage.count == layout.count,
                     "weights of another layout")
        self.config = config
        self.layout = layout
        self.storage = storage
    }

    /// Weights with every tensor drawn as a new model's are (see `ModelConfig.initialization`),
    /// from `seed`.
    public init(config: ModelConfig, seed: UInt64) throws {
        let network = try Network(config: config)
        var rng = SeededGenerator(seed: seed)
        network.initialize(rng: &rng)
        self = network.snapshot()
    }

    /// Floats in all tensors.
    public var parameterCount: Int { layout.count }

    /// A copy of the named tensor's values, or nil when the model has no such tensor.
    public func values(_ name: String) -> [Float]? {
        guard let e = layout.entry(name) else { return nil }
        return Array(UnsafeBufferPointer(start: storage.base + e.offset, count: e.count))
    }

    /// Every weight, flat, in `layout`'s order (a copy).
    public var allValues: [Float] { storage.array }

    /// The named tensor's first element, read-only, valid while this value (or a copy) lives.
    package func pointer(_ name: String) -> UnsafePointer<Float> { storage.base + layout.required(name).offset }

    /// These weights with every matrix (2-D tensor) replaced by what `format` stores of it
    /// (bfloat16- or int8-rounded), so every path that computes in float32 uses the values the
    /// format keeps. A new value: this one is unchanged.
    public func rounded(to format: WeightFormat) -> LanguageModel {
        guard format != .f32 else { return self }
        let rounded = ImmutableBuffer<Float>(count: layout.count) { out in
            out.baseAddress!.update(from: storage.base, count: layout.count)
            for entry in layout.entries where entry.shape.count == 2 {
                let stored = QuantizedMatrix(pointer(entry.name), rows: entry.shape[0], columns: entry.shape[1], format: format)
                stored.dequantized().withUnsafeBufferPointer {
                    (out.baseAddress! + entry.offset).update(from: $0.baseAddress!, count: entry.count)
                }
            }
        }
        return LanguageModel(config: config, layout: layout, storage: rounded)
    }
}
