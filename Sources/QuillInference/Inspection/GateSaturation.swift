import QuillModel

/// How often each gate of one layer sits near its limits, as in Karpathy, Johnson and Fei-Fei's
/// (2015) figure: a gate value below 0.1 is left-saturated, above 0.9 right-saturated. Gates are
/// the sigmoid ones of the cell (LSTM: input, forget, output; GRU: reset, update); the tanh
/// candidate is left out, as in the paper.
public struct GateSaturation: Sendable, Equatable {
    /// The gates measured, in the order of `left` and `right`.
    public let gates: [String]
    /// Per gate, per unit: the share of tokens at which the gate was below 0.1.
    public let left: [[Double]]
    /// Per gate, per unit: the share of tokens at which the gate was above 0.9.
    public let right: [[Double]]

    /// Saturation of the sigmoid gates among (N, G·H) activated `gates` in `cell`'s block order;
    /// nil for a cell without gates.
    public init?(cell: ModelConfig.Cell, gates values: [Float], units h: Int) {
        let blocks: [(name: String, block: Int)]
        switch cell {
        case .lstm: blocks = [("input", 0), ("forget", 1), ("output", 3)]
        case .gru: blocks = [("reset", 0), ("update", 1)]
        case .rnnTanh, .rnnRelu: return nil
        }
        let width = cell.gateCount * h
        precondition(values.count % width == 0, "gates of \(values.count) values are not rows of \(width)")
        let n = values.count / width
        var left = [[Double]](repeating: [Double](repeating: 0, count: h), count: blocks.count), right = left
        values.withUnsafeBufferPointer { v in
            for r in 0..<n {
                for (g, entry) in blocks.enumerated() {
                    let base = r * width + entry.block * h
                    for j in 0..<h {
                        let x = v[base + j]
                        if x < 0.1 { left[g][j] += 1 } else if x > 0.9 { right[g][j] += 1 }
                    }
                }
            }
        }
        let scale = n == 0 ? 0 : 1 / Double(n)
        gates = blocks.map(\.name)
        self.left = left.map { $0.map { $0 * scale } }
        self.right = right.map { $0.map { $0 * scale } }
    }
}
