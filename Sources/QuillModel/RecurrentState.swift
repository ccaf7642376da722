import QuillCore

/// Hidden and cell states of every layer: `hidden` is (L, B, H), and so is `cell` for an LSTM
/// (for cells without a cell state it is empty).
package struct RecurrentState: Sendable, Equatable {
    /// L.
    public let layers: Int
    /// B: rows.
    public let batchSize: Int
    /// H.
    public let hiddenSize: Int
    /// h, [L, B, H] row-major.
    public var hidden: [Float]
    /// c, [L, B, H] row-major (LSTM only; empty otherwise).
    public var cell: [Float]

    /// The zero state.
    public init(layers: Int, batchSize: Int, hiddenSize: Int, hasCellState: Bool = true) {
        self.layers = layers
        self.batchSize = batchSize
        self.hiddenSize = hiddenSize
        hidden = [Float](repeating: 0, count: layers * batchSize * hiddenSize)
        cell = hasCellState ? hidden : []
    }

    /// The zero state for a model of this shape and batch size.
    public init(config: ModelConfig, batchSize: Int) {
        self.init(layers: config.layers, batchSize: batchSize, hiddenSize: config.hiddenSize,
                  hasCellState: config.cell.hasCellState)
    }

    /// A state from saved values (`cell` empty for cells without one).
    public init(layers: Int, batchSize: Int, hiddenSize: Int, hidden: [Float], cell: [Float]) {
        precondition(hidden.count == layers * batchSize * hiddenSize && (cell.isEmpty || cell.count == hidden.count))
        self.layers = layers
        self.batchSize = batchSize
        self.hiddenSize = hiddenSize
        self.hidden = hidden
        self.cell = cell
    }

    /// Offset of layer `k`'s (B, H) block.
    public func offset(layer k: Int) -> Int { k * batchSize * hiddenSize }

    /// Zeroes row `b` of every layer (one sequence of the batch starts afresh).
    public mutating func resetRow(_ b: Int) {
        for k in 0..<layers {
            let start = k * batchSize * hiddenSize + b * hiddenSize
            for j in start..<(start + hiddenSize) {
                hidden[j] = 0
                if !cell.isEmpty { cell[j] = 0 }
            }
        }
    }

    /// Zeroes every state.
    public mutating func reset() {
        for i in hidden.indices { hidden[i] = 0 }
        for i in cell.indices { cell[i] = 0 }
    }
}
