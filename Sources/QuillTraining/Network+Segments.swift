import QuillKernels
import QuillModel

extension Network {
    /// Runs `ids` forward as one stream (batch 1, evaluation mode, state carried from segment to
    /// segment) in segments of at most `length` positions, and after each forward calls `body`
    /// with the segment's position count and the tokens it predicts. Dynamic evaluation's
    /// statistics and its scoring pass share it; neither reads the logits, so an adaptive softmax
    /// skips its full distribution.
    func forEachSegment(of ids: ArraySlice<Int32>, length: Int,
                        _ body: (_ count: Int, _ targets: ArraySlice<Int32>) throws -> Void) rethrows {
        var state = RecurrentState(config: config, batchSize: 1)
        var rng = SeededGenerator(seed: 0) // unused: no dropout in evaluation mode
        var position = ids.startIndex
        while position < ids.endIndex - 1 {
            let n = min(length, ids.endIndex - 1 - position)
            forward(inputs: Array(ids[position..<(position + n)]), steps: n, batch: 1, state: &state, training: false,
                    rng: &rng, distribution: false)
            try body(n, ids[(position + 1)...(position + n)])
            position += n
        }
    }
}
