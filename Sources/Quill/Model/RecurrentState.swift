/// Hidden and cell states of every layer: `hidden` and `cell` are (L, B, H).
public struct RecurrentState: Sendable, Equatable {
    public let layers: Int
    public let batchSize: Int
    public let hiddenSize: Int
    public var hidden: [Float]
    public var cell: [Float]

    /// The zero state.
    public init(layers: Int, batchSize: Int, hiddenSize: Int) {
        self.layers = layers
        self.batchSize = batchSize
        self.hiddenSize = hiddenSize
        hidden = [Float](repeating: 0, count: layers * batchSize * hiddenSize)
        cell = hidden
    }

    public init(layers: Int, batchSize: Int, hiddenSize: Int, hidden: [Float], cell: [Float]) {
        precondition(hidden.count == layers * batchSize * hiddenSize && cell.count == hidden.count)
        self.layers = layers
        self.batchSize = batchSize
        self.hiddenSize = hiddenSize
        self.hidden = hidden
        self.cell = cell
    }

    /// Offset of layer `k`'s (B, H) block.
    public func offset(layer k: Int) -> Int { k * batchSize * hiddenSize }

    public mutating func reset() {
        for i in hidden.indices { hidden[i] = 0; cell[i] = 0 }
    }
}
