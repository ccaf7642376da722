
/// A batcher of either mode, behind one interface for the trainer.
package enum TrainBatcher: Sendable {
    case stream(StreamBatcher)
    case lines(SequenceBatcher)

    /// Batches in one epoch.
    public var count: Int {
        switch self {
        case .stream(let s): return s.count
        case .lines(let s): return s.count
        }
    }

    /// The line order of an epoch in lines mode (shuffled by seed and epoch); nil in stream mode.
    public func order(epoch: Int) -> [Int]? {
        if case .lines(let s) = self { return s.order(epoch: epoch) }
        return nil
    }

    /// Batch `index`, with lines taken in `order` (nil: file order, as evaluation reads them).
    public func batch(_ index: Int, order: [Int]?) -> Batch {
        switch self {
        case .stream(let s): return s.batch(index)
        case .lines(let s): return s.batch(index, order: order ?? Array(0..<s.lineCount))
        }
    }

    /// Rows per batch.
    public var batchSize: Int {
        switch self {
        case .stream(let s): return s.batchSize
        case .lines(let s): return s.batchSize
        }
    }
}
