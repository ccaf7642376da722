import QuillKernels

/// Scores a text with a model in evaluation mode (no dropout, no gradients).
public enum Evaluator {
    /// Summed cross-entropy (nats) and number of scored positions over every batch of `batcher`,
    /// carrying the recurrent state from window to window in stream mode.
    public static func score(model: LanguageModel, batcher: TrainBatcher) -> (sum: Double, count: Int) {
        var rng = SeededGenerator(seed: 0) // unused: evaluation draws no dropout masks
        var state = RecurrentState(layers: model.config.layers, batchSize: batcher.batchSize,
                                   hiddenSize: model.config.hiddenSize)
        var total = 0.0, count = 0
        let identity: [Int]? = {
            if case .lines(let s) = batcher { return Array(0..<s.lineCount) }
            return nil
        }()
        for index in 0..<batcher.count {
            let batch = batcher.batch(index, order: identity)
            if !batch.continuesState || state.batchSize != batch.batchSize {
                state = RecurrentState(layers: model.config.layers, batchSize: batch.batchSize,
                                       hiddenSize: model.config.hiddenSize)
            }
            model.forward(inputs: batch.inputs, steps: batch.steps, batch: batch.batchSize, state: &state,
                          training: false, rng: &rng)
            let (sum, n) = model.lossAndGradient(targets: batch.targets, mask: batch.mask, computeGradient: false)
            total += sum
            count += n
        }
        return (total, count)
    }
}
