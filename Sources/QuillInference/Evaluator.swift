import QuillKernels
import QuillModel
import QuillText

/// Scores a text with a model in evaluation mode (no dropout, no gradients). Each call runs in a
/// context of its own, so calls on one model may run at once.
package enum Evaluator {
    /// Summed cross-entropy (nats) and number of scored positions over every batch of `batcher`,
    /// carrying the recurrent state from window to window in stream mode.
    public static func score(model: LanguageModel, batcher: TrainBatcher) -> (sum: Double, count: Int) {
        score(model: model, batcher: batcher, shouldStop: { false })!
    }

    /// The same, asking `shouldStop` before every batch; nil when it answered yes (a validation of
    /// a large text can take minutes, and Ctrl-C must not wait for it).
    public static func score(model: LanguageModel, batcher: TrainBatcher, shouldStop: () -> Bool) -> (sum: Double, count: Int)? {
        score(network: Network(model: model), batcher: batcher, shouldStop: shouldStop)
    }

    /// The same with `network` (training's, whose weights are not a `LanguageModel` yet).
    package static func score(network: Network, batcher: TrainBatcher, shouldStop: () -> Bool) -> (sum: Double, count: Int)? {
        let identity: [Int]? = {
            if case .lines(let s) = batcher { return Array(0..<s.lineCount) }
            return nil
        }()
        return score(network: network, batches: (0..<batcher.count).lazy.map { batcher.batch($0, order: identity) },
                     shouldStop: shouldStop)
    }

    /// The same over any sequence of batches; a batch that does not continue the previous one
    /// starts from the zero state.
    public static func score<S: Sequence>(model: LanguageModel, batches: S) -> (sum: Double, count: Int)
        where S.Element == Batch {
        score(network: Network(model: model), batches: batches, shouldStop: { false })!
    }

    package static func score<S: Sequence>(network: Network, batches: S, shouldStop: () -> Bool) -> (sum: Double, count: Int)?
        where S.Element == Batch {
        var rng = SeededGenerator(seed: 0) // unused: evaluation draws no dropout masks
        var state = RecurrentState(config: network.config, batchSize: 1)
        var total = 0.0, count = 0
        for batch in batches {
            if shouldStop() { return nil }
            if !batch.continuesState || state.batchSize != batch.batchSize {
                state = RecurrentState(config: network.config, batchSize: batch.batchSize)
            }
            network.forward(inputs: batch.inputs, steps: batch.steps, batch: batch.batchSize, state: &state,
                          training: false, rng: &rng, distribution: false)
            let (sum, n) = network.lossAndGradient(targets: batch.targets, mask: batch.mask, computeGradient: false)
            total += sum
            count += n
        }
        return (total, count)
    }
}
