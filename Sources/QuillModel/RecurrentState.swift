import QuillCore

/// Hidden and cell states of every layer: `hidden` is (L, B, H), and so is `cell` for an LSTM
/// (for cells without a cell state it is empty). A model with attention also carries its memory
/// here, so that it goes wherever the state goes and resets where the state resets.
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
    /// M: states the attention memory keeps per row (0 without attention).
    public let memoryCapacity: Int
    /// The attention memory, [M, B, H]: slot-major like the activations (slot p of row b at
    /// (p·B + b)·H), the newest state in the last slot. Empty without attention.
    public var memory: [Float]
    /// Valid states per row of `memory` (B values, each ≤ M), which are the row's last slots.
    public var memoryLengths: [Int]

    /// The zero state.
    public init(layers: Int, batchSize: Int, hiddenSize: Int, hasCellState: Bool = true, memoryCapacity: Int = 0) {
        self.layers = layers
        self.batchSize = batchSize
        self.hiddenSize = hiddenSize
        hidden = [Float](repeating: 0, count: layers * batchSize * hiddenSize)
        cell = hasCellState ? hidden : []
        self.memoryCapacity = memoryCapacity
        memory = [Float](repeating: 0, count: memoryCapacity * batchSize * hiddenSize)
        memoryLengths = [Int](repeating: 0, count: memoryCapacity > 0 ? batchSize : 0)
    }

    /// The zero state (and empty memory) for a model of this shape and batch size.
    public init(config: ModelConfig, batchSize: Int) {
        self.init(layers: config.layers, batchSize: batchSize, hiddenSize: config.hiddenSize,
                  hasCellState: config.cell.hasCellState, memoryCapacity: config.attention?.memory ?? 0)
    }

    /// A state from saved values (`cell` empty for cells without one; `memory` empty and
    /// `memoryCapacity` 0 without attention).
    public init(layers: Int, batchSize: Int, hiddenSize: Int, hidden: [Float], cell: [Float],
                memoryCapacity: Int = 0, memory: [Float] = [], memoryLengths: [Int] = []) {
        precondition(hidden.count == layers * batchSize * hiddenSize && (cell.isEmpty || cell.count == hidden.count))
        precondition(memory.count == memoryCapacity * batchSize * hiddenSize
                     && memoryLengths.count == (memoryCapacity > 0 ? batchSize : 0)
                     && memoryLengths.allSatisfy { $0 >= 0 && $0 <= memoryCapacity })
        self.layers = layers
        self.batchSize = batchSize
        self.hiddenSize = hiddenSize
        self.hidden = hidden
        self.cell = cell
        self.memoryCapacity = memoryCapacity
        self.memory = memory
        self.memoryLengths = memoryLengths
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
        guard memoryCapacity > 0 else { return }
        memoryLengths[b] = 0
        for p in 0..<memoryCapacity {
            let start = (p * batchSize + b) * hiddenSize
            for j in start..<(start + hiddenSize) { memory[j] = 0 }
        }
    }

    /// Zeroes every state.
    public mutating func reset() {
        for i in hidden.indices { hidden[i] = 0 }
        for i in cell.indices { cell[i] = 0 }
        for i in memory.indices { memory[i] = 0 }
        for i in memoryLengths.indices { memoryLengths[i] = 0 }
    }
}
