import QuillKernels
import QuillModel
import QuillText

extension Network {
    /// Runs the windows of `batcher` forward in evaluation mode, the state (and an attention
    /// head's memory) carried from window to window, and after each forward calls `body` with its
    /// batch. Dynamic evaluation's statistics and the adapted scoring pass share it; neither reads
    /// the logits, so an adaptive softmax skips its full distribution.
    func forEachWindow(of batcher: StreamBatcher, _ body: (Batch) throws -> Void) rethrows {
        var state = RecurrentState(config: config, batchSize: batcher.batchSize)
        var rng = SeededGenerator(seed: 0) // unused: no dropout in evaluation mode
        for index in 0..<batcher.count {
            let batch = batcher.batch(index)
            forward(inputs: batch.inputs, steps: batch.steps, batch: batch.batchSize, state: &state, training: false,
                    rng: &rng, distribution: false)
            try body(batch)
        }
    }
}
