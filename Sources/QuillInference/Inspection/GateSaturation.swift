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
        guard var tally = Tally(cell: cell, units: h) else { return nil }
        let width = cell.gateCount * h
        precondition(values.count % width == 0, "gates of \(values.count) values are not rows of \(width)")
        values.withUnsafeBufferPointer { tally.add($0.baseAddress!, rows: values.count / width) }
        self = tally.result
    }

    private init(gates: [String], left: [[Double]], right: [[Double]]) {
        self.gates = gates
        self.left = left
        self.right = right
    }

    /// Counts saturated gates over rows given a window at a time, so an inspection need not keep
    /// every gate of a long text.
    struct Tally {
        private let blocks: [(name: String, block: Int)]
        private let units: Int, width: Int
        private var left: [[Int]], right: [[Int]]
        private var rows = 0

        init?(cell: ModelConfig.Cell, units h: Int) {
            switch cell {
            case .lstm: blocks = [("input", 0), ("forget", 1), ("output", 3)]
            case .gru: blocks = [("reset", 0), ("update", 1)]
            case .rnnTanh, .rnnRelu: return nil
            }
            units = h
            width = cell.gateCount * h
            left = [[Int]](repeating: [Int](repeating: 0, count: h), count: blocks.count)
            right = left
        }

        /// Adds `n` rows of (G·H) activated gates.
        mutating func add(_ values: UnsafePointer<Float>, rows n: Int) {
            for r in 0..<n {
                for (g, entry) in blocks.enumerated() {
                    let base = values + r * width + entry.block * units
                    for j in 0..<units {
                        if base[j] < 0.1 { left[g][j] += 1 } else if base[j] > 0.9 { right[g][j] += 1 }
                    }
                }
            }
            rows += n
        }

        var result: GateSaturation {
            let scale = rows == 0 ? 0 : 1 / Double(rows)
            return GateSaturation(gates: blocks.map(\.name), left: left.map { $0.map { Double($0) * scale } },
                                  right: right.map { $0.map { Double($0) * scale } })
        }
    }
}
