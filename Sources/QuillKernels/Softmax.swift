import Foundation

/// Row-wise softmax, log-softmax and the fused softmax cross-entropy of the output layer.
public enum Softmax {
    /// Softmax of each row of `x` (rows × columns, row stride `columns`), in place.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        Parallel.forRanges(rows, minimumPerWorker: max(1, 16384 / max(1, columns))) { range in
            for r in range { softmax(x + r * columns, count: columns) }
        }
    }

    /// Log-softmax of each row, in place.
    public static func logSoftmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        Parallel.forRanges(rows, minimumPerWorker: max(1, 16384 / max(1, columns))) { range in
            for r in range {
                let row = x + r * columns
                let lse = logSumExp(row, count: columns)
                for j in 0..<columns { row[j] -= lse }
            }
        }
    }

    /// Softmax of one vector in place.
    public static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        let m = maximum(row, count: count)
        VectorMath.apply(row, count: count) { VectorMath.exp($0 - m) }
        var sum: Float = 0
        for j in 0..<count { sum += row[j] }
        let inv = 1 / sum
        for j in 0..<count { row[j] *= inv }
    }

    /// log Σ exp(x), computed stably.
    public static func logSumExp(_ row: UnsafePointer<Float>, count: Int) -> Float {
        let (m, sum) = shiftedExpSum(row, count: count)
        return m + Float(log(Double(sum)))
    }

    /// The row's maximum m and Σ exp(x − m): log Σ exp(x) = m + log(sum).
    public static func shiftedExpSum(_ row: UnsafePointer<Float>, count: Int) -> (max: Float, sum: Float) {
        let m = maximum(row, count: count)
        var sum: Float = 0
        var j = 0
        let raw = UnsafeRawPointer(row)
        var acc = VectorMath.Vector()
        while j + 8 <= count {
            acc += VectorMath.exp(raw.loadUnaligned(fromByteOffset: j &* 4, as: VectorMath.Vector.self) - m)
            j += 8
        }
        sum = acc.sum()
        while j < count { sum += VectorMath.exp(row[j] - m); j += 1 }
        return (m, sum)
    }

    /// The largest of `count` floats.
    public static func maximum(_ row: UnsafePointer<Float>, count: Int) -> Float {
        var m = -Float.infinity
        for j in 0..<count where row[j] > m { m = row[j] }
        return m
    }

    /// Softmax cross-entropy over `rows` positions, fused with its gradient.
    ///
    /// Each row's loss is `logsumexp(logits) − logits[target]`; rows whose `mask` entry is 0 count
    /// for nothing. On return `logits` holds the gradient of `scale · Σ rowLoss` (softmax minus the
    /// one-hot target, times `scale`; zero on masked rows), and the function returns the per-row
    /// losses summed in a fixed order in Double.
    /// - Parameters:
    ///   - logits: (rows, classes), overwritten by the gradient.
    ///   - targets: class index per row.
    ///   - mask: optional weight per row (1 counts, 0 ignored).
    public static func crossEntropy(logits: UnsafeMutablePointer<Float>, rows: Int, classes: Int,
                                    targets: UnsafePointer<Int32>, mask: UnsafePointer<Float>?,
                                    scale: Float, computeGradient: Bool = true,
                                    rowLosses: UnsafeMutablePointer<Double>) -> Double {
        Parallel.forRanges(rows, minimumPerWorker: max(1, 16384 / max(1, classes))) { range in
            for r in range {
                let row = logits + r * classes
                let weight = mask?[r] ?? 1
                if weight == 0 {
                    rowLosses[r] = 0
                    if computeGradient { for j in 0..<classes { row[j] = 0 } }
                    continue
                }
                let t = Int(targets[r])
                let (m, sum) = shiftedExpSum(row, count: classes)
                let lse = m + Float(log(Double(sum)))
                // (m − x_t) + log Σ rather than lse − x_t: at large magnitudes m + log Σ rounds back
                // to m in float, and a model with huge weights would score a loss of 0.
                rowLosses[r] = Double(m - row[t]) + log(Double(sum))
                if computeGradient {
                    let s = scale * weight
                    VectorMath.apply(row, count: classes) { VectorMath.exp($0 - lse) * s }
                    row[t] -= s
                }
            }
        }
        var total = 0.0
        for r in 0..<rows { total += rowLosses[r] * Double(mask?[r] ?? 1) }
        return total
    }
}
