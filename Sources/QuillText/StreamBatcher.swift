import QuillCore

/// Stream mode for truncated backpropagation through time, as PyTorch's word_language_model
/// batches a corpus.
///
/// The ids are cut into B contiguous streams of L = ⌊N / B⌋ tokens (the remainder is dropped),
/// laid side by side, and read in windows of T steps; targets are the inputs shifted by one:
/// ```
///   ids:  a b c d e f g h i j k l m n o p q r s t u v w x      N = 24, B = 4 → L = 6
///
///   stream 0: a b c d e f   stream 1: g h i j k l   stream 2: m n o p q r   stream 3: s t u v w x
///
///   window 0 (T = 2)   inputs  [a g m s]   targets [b h n t]
///                              [b h n t]           [c i o u]
///   window 1           inputs  [c i o u]   targets [d j p v]  …   the last window may be shorter
/// ```
/// Every window continues the previous one, so the hidden state is carried between them.
package struct StreamBatcher: Sendable {
    /// B: parallel streams the text is cut into.
    public let batchSize: Int
    /// T: time steps per window.
    public let steps: Int
    /// L: tokens per stream.
    public let streamLength: Int
    private let ids: TokenIDs

    /// - Throws: when there are fewer than `2 · batchSize` ids (no window would have a target).
    public init(ids: TokenIDs, batchSize: Int, steps: Int) throws {
        guard batchSize > 0 else { throw QuillError.invalidSetting(.positive(.batchSize, batchSize)) }
        guard steps > 0 else { throw QuillError.invalidSetting(.positive(.sequenceLength, steps)) }
        guard ids.count >= 2 * batchSize else {
            throw QuillError.runtime("text too short: \(ids.count) tokens, but batch size \(batchSize) needs at least \(2 * batchSize)")
        }
        self.ids = ids
        self.batchSize = batchSize
        self.steps = steps
        self.streamLength = ids.count / batchSize
    }

    /// Number of windows in one pass over the streams.
    public var count: Int { (streamLength - 1 + steps - 1) / steps }

    /// Tokens predicted in one pass (every target position).
    public var targetCount: Int { (streamLength - 1) * batchSize }

    /// Window `index` (0 ..< count).
    public func batch(_ index: Int) -> Batch {
        precondition(index >= 0 && index < count)
        let start = index * steps
        let t = min(steps, streamLength - 1 - start)
        var inputs = [Int32](repeating: 0, count: t * batchSize)
        var targets = [Int32](repeating: 0, count: t * batchSize)
        for b in 0..<batchSize {
            let base = b * streamLength + start
            for s in 0..<t {
                inputs[s * batchSize + b] = Int32(ids[base + s])
                targets[s * batchSize + b] = Int32(ids[base + s + 1])
            }
        }
        return Batch(steps: t, batchSize: batchSize, inputs: inputs, targets: targets, mask: nil,
                     continuesState: index > 0)
    }
}
