
/// One training or evaluation batch, time-major: element (t, b) is at `t * batchSize + b`.
///
/// ```
///            b=0   b=1   …   b=B-1
///   t=0    [ x00   x01   …   x0B ]      inputs:  token at step t of row b
///   t=1    [ x10   x11   …   x1B ]      targets: the token that follows it
///   …                                   mask:    1 where the target counts, 0 on padding
/// ```
package struct Batch: Sendable, Equatable {
    /// T: time steps in this batch.
    public let steps: Int
    /// B: rows (parallel streams or sequences).
    public let batchSize: Int
    /// (T, B) input ids.
    public var inputs: [Int32]
    /// (T, B) target ids.
    public var targets: [Int32]
    /// (T, B) 1 where the position counts in the loss; nil when every position counts.
    public var mask: [Float]?
    /// True when the batch continues the streams of the previous one, so the hidden state should
    /// be carried over (stream mode); false when each row starts afresh (sequence mode).
    public var continuesState: Bool

    /// A batch of `steps × batchSize` time-major inputs and targets; `mask` (nil: all ones)
    /// weights each position's loss.
    public init(steps: Int, batchSize: Int, inputs: [Int32], targets: [Int32], mask: [Float]?,
                continuesState: Bool) {
        precondition(inputs.count == steps * batchSize && targets.count == steps * batchSize)
        precondition(mask.map { $0.count == steps * batchSize } ?? true)
        self.steps = steps
        self.batchSize = batchSize
        self.inputs = inputs
        self.targets = targets
        self.mask = mask
        self.continuesState = continuesState
    }

    /// Positions that count in the loss.
    public var countedPositions: Int {
        mask.map { Int($0.reduce(0, +)) } ?? steps * batchSize
    }
}
