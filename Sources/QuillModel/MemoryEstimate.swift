import Foundation
import QuillCore

/// What a run will allocate, worked out from its sizes before anything is allocated, so a size
/// that cannot fit is refused with the figure instead of dying in the allocator.
///
/// Counts float32 buffers: weights, gradients and optimizer moments; and what one forward and
/// backward keep (gates, states, logits, the input-gradient buffers). Small buffers are left out,
/// so the figure is a floor; it is meant to catch sizes off by orders of magnitude, not to budget.
package struct MemoryEstimate: Sendable, Equatable {
    /// Weights, their gradients and the optimizer's moments.
    public let parameterBytes: Double
    /// Activations and gradients of one (T, B) batch.
    public let activationBytes: Double

    /// Parameters and activations together.
    public var totalBytes: Double { parameterBytes + activationBytes }

    /// - Parameters:
    ///   - optimizerMoments: float buffers per parameter an optimizer keeps (Adam 2, RMSprop or
    ///     SGD with momentum 1, plain SGD 0); 0 for scoring and generation, which also keep no gradients.
    ///   - extraActivationBytes: what the caller keeps besides the model's own buffers (a neural
    ///     cache's states), counted with the batch.
    ///   - distribution: whether the caller reads every token's probability (generation) rather
    ///     than only the losses (training, which never does, scoring, the neural cache). An
    ///     adaptive-softmax model keeps V-wide rows only then; its loss keeps the head's outputs,
    ///     the rows it gathers into clusters and their projections, and each cluster's logits for
    ///     the rows whose target falls in it, which the text decides and so are not counted (at
    ///     most every row in the widest cluster; on real text most targets are in the shortlist).
    public init(config: ModelConfig, batch: Int, steps: Int, training: Bool, optimizerMoments: Int = 0,
                extraActivationBytes: Double = 0, distribution: Bool = true) {
        let v = Double(config.vocabularySize), e = Double(config.embeddingSize), h = Double(config.hiddenSize)
        let l = Double(config.layers), g = Double(config.cell.gateCount)
        // The config's own count: a validated config's sizes are bounded so that it fits in an Int.
        parameterBytes = 4 * Double(config.parameterCount) * (training ? 2 + Double(optimizerMoments) : 1)
        let rows = Double(batch) * Double(steps)
        let states = config.cell == .lstm ? 2.0 : 1.0
        let gateBuffers = config.cell == .gru ? 2.0 : 1.0
        let perLayer = rows * g * h * gateBuffers + (rows + Double(batch)) * h * states + (training ? rows * h : 0)
        let gradients = training ? 2 * rows * max(e, h) : 0
        // Attention: the caller's memory, the layer's spare and its two packs of the memory (M·B·H
        // each), the attention weights (B·T·(M+T), and their gradient in training) and five (T·B, H)
        // buffers.
        var attention = 0.0
        if let m = config.attention.map({ Double($0.memory) }) {
            attention = 4 * m * Double(batch) * h + rows * (m + Double(steps)) * (training ? 2 : 1) + 5 * rows * h
        }
        var decoder = rows * v
        if let adaptive = config.adaptiveSoftmax, training || !distribution {
            let projection = (0..<adaptive.clusterCount).map { Double(adaptive.projectionSize($0, hiddenSize: config.hiddenSize)) }.max() ?? 0
            decoder = rows * (Double(adaptive.headSize) + h + projection)
        }
        activationBytes = 4 * (rows * e + l * perLayer + decoder + gradients + attention) + extraActivationBytes
    }

    /// Throws `QuillError.invalidSetting` when the run needs more than `share` of `available`
    /// bytes (the machine's memory by default).
    /// - Parameters:
    ///   - setting: the setting blamed first; `related` are the others `parametersFrom` and
    ///     `activationsFrom` name (by their raw values), so a caller can respell them.
    ///   - parametersFrom: what sizes the model, e.g. "hiddenSize 256, layers 2".
    ///   - activationsFrom: what sizes a batch, e.g. "batchSize 32 × sequenceLength 64".
    public func check(available: Double = Double(ProcessInfo.processInfo.physicalMemory), share: Double = 0.9,
                      setting: Setting, related: [Setting] = [], parametersFrom: String, activationsFrom: String) throws {
        guard totalBytes > available * share else { return }
        throw QuillError.invalidSetting(InvalidSetting(setting, Self.format(totalBytes), "this needs about \(Self.format(totalBytes)) of memory (\(Self.format(parameterBytes)) for the model from \(parametersFrom), \(Self.format(activationBytes)) for a batch from \(activationsFrom)), more than this machine's \(Self.format(available)); use smaller sizes", related: related))
    }

    static func format(_ bytes: Double) -> String {
        bytes >= 1e9 ? String(format: "%.1f GB", bytes / 1e9) : String(format: "%.0f MB", bytes / 1e6)
    }
}
