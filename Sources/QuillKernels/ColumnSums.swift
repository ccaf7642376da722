/// Column sums of a row-major matrix added into a vector: the bias gradient of a layer whose
/// pre-activation gradients are the rows. Columns are split over workers; each column is summed
/// by one worker, top to bottom.
public enum ColumnSums {
    /// Adds the column sums of a row-major `rows × columns` matrix to `out` (bias gradients).
    public static func add(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(columns, granule: 64, minimumPerWorker: max(64, (1 << 16) / max(1, rows))) { range in
            for r in 0..<rows {
                let row = x + r * columns
                for j in range { out[j] += row[j] }
            }
        }
    }

    /// Adds the column sums to two vectors in one pass over `x` (an LSTM's or RNN's b_ih and b_hh,
    /// whose gradients are the same sums): each vector gets the bits `add` would give it, provided
    /// `out`, `second` and `x` do not overlap.
    public static func add(_ x: UnsafePointer<Float>, rows: Int, columns: Int,
                           into out: UnsafeMutablePointer<Float>, and second: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(columns, granule: 64, minimumPerWorker: max(64, (1 << 16) / max(1, rows))) { range in
            for r in 0..<rows {
                let row = x + r * columns
                for j in range {
                    out[j] += row[j]
                    second[j] += row[j]
                }
            }
        }
    }
}
