import Foundation
import QuillCore
import QuillKernels

/// Grave et al. 2017's continuous cache: the model's distribution mixed with one over the tokens
/// that followed the last `size` positions, each weighted by how much its hidden state resembles
/// the current one.
///
/// At position t with decoder input h_t (the top layer's output, or the attention head's above
/// it), over the positions i of the last `size` (those before t, whose next token is known):
///
///     p_cache(w) = Σ_{i: x_{i+1} = w} exp(θ·h_t·h_i) / Σ_i exp(θ·h_t·h_i)
///     p(w)       = (1 − λ)·p_model(w) + λ·p_cache(w)
///
/// An empty cache (the first position) leaves p_model alone.
public struct CacheSettings: Sendable, Equatable {
    /// N: positions remembered.
    public var size: Int
    /// θ: how sharply the cache prefers the most similar states (0: uniform over the cache).
    public var theta: Double
    /// λ: the cache's share of the mixture, in [0, 1).
    public var lambda: Double

    /// - Throws: `InvalidSetting` naming the setting when a value is out of range.
    public init(size: Int, theta: Double, lambda: Double) throws {
        guard size > 0 else { throw QuillError.invalidSetting(.positive(.cacheSize, size)) }
        guard theta.isFinite, theta >= 0 else {
            throw QuillError.invalidSetting(InvalidSetting(.cacheTheta, theta, "cacheTheta must be a number ≥ 0, got \(theta)"))
        }
        guard lambda.isFinite, lambda >= 0, lambda < 1 else {
            throw QuillError.invalidSetting(InvalidSetting(.cacheLambda, lambda, "cacheLambda must be in [0, 1), got \(lambda)"))
        }
        self.size = size
        self.theta = theta
        self.lambda = lambda
    }
}

/// One stream's cache: the stored states and the tokens that followed them, fed a segment of
/// that stream at a time. Each caller owns its own (one per stream when several are scored side
/// by side).
package final class NeuralCache {
    package let settings: CacheSettings
    private let width: Int
    private var keys: [Float] = []        // (stored, H) decoder inputs, oldest first
    private var followers: [Int32] = []  // (stored) the token after each stored state
    private var scores: [Float] = []      // (T, columns) θ-free dot products of one segment

    package init(settings: CacheSettings, hiddenSize: Int) {
        self.settings = settings
        width = hiddenSize
    }

    /// The mixed losses (−log p, nats) of a segment's `rows` positions, then remembers them.
    /// - Parameters:
    ///   - states: the decoder's inputs at the segment's positions, one row of H every
    ///     `rowStride` floats (H, the default, for contiguous rows; B·H for one stream of a
    ///     time-major batch of B).
    ///   - targets: the token that follows each position.
    ///   - modelLoss: −log p_model(target) of each position.
    package func mix(states: UnsafePointer<Float>, rowStride: Int? = nil, targets: ArraySlice<Int32>, rows: Int,
                     modelLoss: (Int) -> Double) -> [Double] {
        precondition(targets.count == rows)
        let h = width, n = settings.size, stride = rowStride ?? width
        precondition(stride >= h)
        // Only the last N older rows are read; dropping the rest only now and then keeps the
        // copying to O(H) per position.
        let stored = followers.count
        if stored > 2 * n {
            keys.removeFirst((stored - n) * h)
            followers.removeFirst(stored - n)
        }
        let base = followers.count
        for r in 0..<rows { keys.append(contentsOf: UnsafeBufferPointer(start: states + r * stride, count: h)) }
        followers.append(contentsOf: targets)
        var losses = (0..<rows).map(modelLoss)
        // Rows are scored in blocks, so the scores take blockRows × (N + blockRows) floats however
        // long the segment or window (one block of T rows would take T × (N + T)).
        var first = 0
        while first < rows {
            let count = min(Self.blockRows, rows - first)
            score(block: first..<(first + count), states: states, stride: stride, targets: targets, base: base, losses: &losses)
            first += count
        }
        return losses
    }

    /// Rows scored together against the cache (a bound on the scores' memory).
    package static let blockRows = 256

    /// Mixes the cache into `losses[rows]`: row j reads stored rows [max(0, base + j − N), base + j),
    /// which all lie in [lo, base + rows.upperBound − 1).
    private func score(block rows: Range<Int>, states: UnsafePointer<Float>, stride: Int, targets: ArraySlice<Int32>, base: Int,
                       losses: inout [Double]) {
        let h = width, n = settings.size
        let lo = max(0, base + rows.lowerBound - n), columns = base + rows.upperBound - 1 - lo
        guard columns > 0 else { return }
        if scores.count < rows.count * columns { scores = [Float](repeating: 0, count: rows.count * columns) }
        keys.withUnsafeBufferPointer { k in
            scores.withUnsafeMutableBufferPointer { s in
                GEMM.multiply(m: rows.count, n: columns, k: h, a: states + rows.lowerBound * stride, lda: stride, b: k.baseAddress! + lo * h,
                              ldb: h, transposeB: true, beta: 0, c: s.baseAddress!, ldc: columns)
            }
        }
        let theta = settings.theta, lambda = settings.lambda
        scores.withUnsafeBufferPointer { s in
            followers.withUnsafeBufferPointer { next in
                losses.withUnsafeMutableBufferPointer { out in
                    let out = out.baseAddress!
                    Parallel.forRanges(rows.count) { range in
                        for b in range {
                            let j = rows.lowerBound + b
                            let first = max(0, base + j - n), end = base + j
                            guard end > first else { continue }
                            let row = s.baseAddress! + b * columns
                            var top = -Double.infinity
                            for i in first..<end { top = max(top, theta * Double(row[i - lo])) }
                            var total = 0.0, hit = 0.0
                            let target = targets[targets.startIndex + j]
                            for i in first..<end {
                                let e = Foundation.exp(theta * Double(row[i - lo]) - top)
                                total += e
                                if next[i] == target { hit += e }
                            }
                            // −log((1 − λ)·p_m + λ·p_c) = −log p_m − log(1 + λ·(p_c/p_m − 1)): exactly
                            // the model's loss when λ is 0.
                            let ratio = hit / total * Foundation.exp(min(out[j], 700))
                            out[j] -= Foundation.log1p(lambda * (ratio - 1))
                        }
                    }
                }
            }
        }
    }
}
