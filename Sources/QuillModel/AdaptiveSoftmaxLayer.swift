import Foundation
import QuillKernels

/// The adaptive softmax of `ModelConfig.AdaptiveSoftmax` over the decoder's input rows: its loss
/// and gradients in training, where only the clusters a batch's targets fall in are computed (the
/// head always is), and the full log-probability distribution for scoring and generation.
///
/// Shape letters: N rows (T·B), H input features, V vocabulary, K head outputs (shortlist +
/// clusters), n_i the rows whose target is in cluster i, P_i tail i's projection, S_i its size.
final class AdaptiveSoftmaxLayer {
    private let spec: ModelConfig.AdaptiveSoftmax
    private let v: Int, h: Int
    private let headWeight: UnsafePointer<Float>, headBias: UnsafePointer<Float>   // (K, H), (K)
    private let headWeightGrad: UnsafeMutablePointer<Float>?, headBiasGrad: UnsafeMutablePointer<Float>?
    /// Per cluster: projection (P_i, H) and output (S_i, P_i) weights, and their gradients.
    private let tails: [(projection: UnsafePointer<Float>, output: UnsafePointer<Float>)]
    private let tailGrads: [(projection: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>)]

    // The last loss pass, for backward.
    private let headLogits = Workspace()   // (N, K) head logits, then their gradient
    private let gathered = Workspace()     // (Σ n_i, H) input rows, cluster by cluster
    private let projected = Workspace()    // (Σ n_i·P_i) projections, cluster by cluster
    private let clusterLogits = Workspace() // (Σ n_i·S_i) tail logits, then their gradient
    private let scratch = Workspace()      // backward: (n_i, P_i) dProjection, then (n_i, H) dInput
    private var clusterRows: [[Int]] = []  // per cluster, the rows (of N) whose target is in it, ascending
    private var rows = 0
    // Reused from step to step (their capacity kept) rather than allocated each step.
    private var headTargets: [Int32] = []
    private var localTargets: [Int32] = []   // a cluster's targets, as ids within it
    private var localWeights: [Float] = []   // and their mask weights
    private var localLosses: [Double] = []   // and their losses

    init(spec: ModelConfig.AdaptiveSoftmax, vocabularySize: Int, hiddenSize: Int,
         parameters: ParameterStore, gradients: ParameterStore) {
        self.spec = spec
        v = vocabularySize
        h = hiddenSize
        let trainable = gradients.entry("decoder.head.weight") != nil
        headWeight = UnsafePointer(parameters.pointer("decoder.head.weight"))
        headBias = UnsafePointer(parameters.pointer("decoder.head.bias"))
        headWeightGrad = trainable ? gradients.pointer("decoder.head.weight") : nil
        headBiasGrad = trainable ? gradients.pointer("decoder.head.bias") : nil
        tails = (0..<spec.clusterCount).map {
            (UnsafePointer(parameters.pointer("decoder.tail.\($0).0.weight")), UnsafePointer(parameters.pointer("decoder.tail.\($0).1.weight")))
        }
        tailGrads = trainable ? (0..<spec.clusterCount).map {
            (gradients.pointer("decoder.tail.\($0).0.weight"), gradients.pointer("decoder.tail.\($0).1.weight"))
        } : []
    }

    private var shortlist: Int { spec.cutoffs[0] }
    private var headSize: Int { spec.headSize }

    /// Cross-entropy of `targets` under the adaptive softmax of `n` rows of `x`: −log p_head(w) for
    /// a shortlist target, −log p_head(cluster) − log p_cluster(w) otherwise, summed over rows
    /// weighted by `mask` (rows of weight 0 cost nothing and reach no cluster). Keeps what
    /// `backward` needs; with `computeGradient` the kept logits become the gradient of
    /// `scale · Σ loss`.
    /// Each row's loss (nats, before `scale`) is written to `rowLosses[r]` (n of them), as the
    /// full softmax's are, for the callers that score positions one by one (the neural cache).
    func loss(input x: UnsafePointer<Float>, rows n: Int, targets: UnsafePointer<Int32>, mask: UnsafePointer<Float>?,
              scale: Float, computeGradient: Bool, rowLosses: UnsafeMutablePointer<Double>) -> Double {
        rows = n
        let k = headSize, c0 = shortlist
        // Head targets: the word itself in the shortlist, else its cluster's slot after it.
        headTargets.removeAll(keepingCapacity: true)
        headTargets.append(contentsOf: repeatElement(0, count: n))
        if clusterRows.count != spec.clusterCount { clusterRows = Array(repeating: [], count: spec.clusterCount) }
        for i in clusterRows.indices { clusterRows[i].removeAll(keepingCapacity: true) }
        for r in 0..<n {
            let t = Int(targets[r])
            if t < c0 { headTargets[r] = Int32(t); continue }
            var i = 0
            while i + 1 < spec.cutoffs.count && t >= spec.cutoffs[i + 1] { i += 1 }
            headTargets[r] = Int32(c0 + i)
            if (mask?[r] ?? 1) != 0 { clusterRows[i].append(r) }
        }
        let head = headLogits.buffer(n * k)
        Profiler.measure(.headGEMM) {
            GEMM.multiply(m: n, n: k, k: h, a: x, lda: h, b: headWeight, ldb: h, transposeB: true,
                          beta: 0, c: head, ldc: k, bias: headBias)
        }
        _ = Profiler.measure(.softmaxLoss) {
            headTargets.withUnsafeBufferPointer {
                Softmax.crossEntropy(logits: head, rows: n, classes: k, targets: $0.baseAddress!, mask: mask, scale: scale,
                                     computeGradient: computeGradient, rowLosses: rowLosses)
            }
        }
        let (inputs, projections, logits) = clusterBuffers()
        for i in 0..<spec.clusterCount where !clusterRows[i].isEmpty {
            let members = clusterRows[i], m = members.count
            let range = spec.cluster(i, vocabularySize: v), p = spec.projectionSize(i, hiddenSize: h), s = range.count
            let xi = inputs[i], pi = projections[i], li = logits[i]
            for (j, r) in members.enumerated() { (xi + j * h).update(from: x + r * h, count: h) }
            Profiler.measure(.headGEMM) {
                GEMM.multiply(m: m, n: p, k: h, a: xi, lda: h, b: tails[i].projection, ldb: h, transposeB: true, beta: 0, c: pi, ldc: p)
                GEMM.multiply(m: m, n: s, k: p, a: pi, lda: p, b: tails[i].output, ldb: p, transposeB: true, beta: 0, c: li, ldc: s)
            }
            localTargets.removeAll(keepingCapacity: true)
            localWeights.removeAll(keepingCapacity: true)
            for r in members {
                localTargets.append(Int32(Int(targets[r]) - range.lowerBound))
                localWeights.append(mask?[r] ?? 1)
            }
            localLosses.removeAll(keepingCapacity: true)
            localLosses.append(contentsOf: repeatElement(0, count: m))
            _ = Profiler.measure(.softmaxLoss) {
                localTargets.withUnsafeBufferPointer { tp in
                    localWeights.withUnsafeBufferPointer { wp in
                        localLosses.withUnsafeMutableBufferPointer { lp in
                            Softmax.crossEntropy(logits: li, rows: m, classes: s, targets: tp.baseAddress!, mask: wp.baseAddress!,
                                                 scale: scale, computeGradient: computeGradient, rowLosses: lp.baseAddress!)
                        }
                    }
                }
            }
            for (j, r) in members.enumerated() { rowLosses[r] += localLosses[j] }
        }
        // Summed in row order, as the full softmax sums, so a caller adding row losses one by
        // one (the neural cache at λ = 0) gets the same bits.
        var total = 0.0
        for r in 0..<n { total += rowLosses[r] * Double(mask?[r] ?? 1) }
        return total
    }

    /// Pointers, per cluster, to its gathered inputs, projections and logits in the kept buffers
    /// (sized for the current `clusterRows`).
    private func clusterBuffers() -> (inputs: [UnsafeMutablePointer<Float>], projections: [UnsafeMutablePointer<Float>],
                                      logits: [UnsafeMutablePointer<Float>]) {
        var inputCount = 0, projectionCount = 0, logitCount = 0
        var offsets: [(Int, Int, Int)] = []
        for i in 0..<spec.clusterCount {
            let m = clusterRows[i].count
            offsets.append((inputCount, projectionCount, logitCount))
            inputCount += m * h
            projectionCount += m * spec.projectionSize(i, hiddenSize: h)
            logitCount += m * spec.cluster(i, vocabularySize: v).count
        }
        let xs = gathered.buffer(max(1, inputCount)), ps = projected.buffer(max(1, projectionCount))
        let ls = clusterLogits.buffer(max(1, logitCount))
        return (offsets.map { xs + $0.0 }, offsets.map { ps + $0.1 }, offsets.map { ls + $0.2 })
    }

    /// Backpropagates the gradient the last `loss` left: adds every weight's gradient and writes
    /// the (N, H) gradient of its input `x` (the same rows `loss` read) to `inputGrad`.
    func backward(input x: UnsafePointer<Float>, inputGrad dx: UnsafeMutablePointer<Float>) {
        guard let headWeightGrad, let headBiasGrad else { preconditionFailure("backward through read-only weights") }
        let n = rows, k = headSize
        let dHead = UnsafePointer(headLogits.pointer)
        // The kept buffers still hold what `loss` put there: same cluster rows, same offsets.
        let inputs = UnsafePointer(gathered.pointer), projections = UnsafePointer(projected.pointer)
        let logits = UnsafePointer(clusterLogits.pointer)
        Profiler.measure(.headBackward) {
            GEMM.multiply(m: k, n: h, k: n, a: dHead, lda: k, transposeA: true, b: x, ldb: h, beta: 1, c: headWeightGrad, ldc: h)
            ColumnSums.add(dHead, rows: n, columns: k, into: headBiasGrad)
            GEMM.multiply(m: n, n: h, k: k, a: dHead, lda: k, b: headWeight, ldb: h, beta: 0, c: dx, ldc: h)
            var inputOffset = 0, projectionOffset = 0, logitOffset = 0
            for i in 0..<spec.clusterCount {
                let members = clusterRows[i], m = members.count
                let p = spec.projectionSize(i, hiddenSize: h), s = spec.cluster(i, vocabularySize: v).count
                defer { inputOffset += m * h; projectionOffset += m * p; logitOffset += m * s }
                guard m > 0 else { continue }
                let xi = inputs + inputOffset, pi = projections + projectionOffset, dLi = logits + logitOffset
                // dW_out += dLᵀ·proj; dProj = dL·W_out; dW_proj += dProjᵀ·X_i; dX_i = dProj·W_proj.
                GEMM.multiply(m: s, n: p, k: m, a: dLi, lda: s, transposeA: true, b: pi, ldb: p, beta: 1, c: tailGrads[i].output, ldc: p)
                let work = scratch.buffer(m * (p + h))
                let dProjection = work, dInput = work + m * p
                GEMM.multiply(m: m, n: p, k: s, a: dLi, lda: s, b: tails[i].output, ldb: p, beta: 0, c: dProjection, ldc: p)
                GEMM.multiply(m: p, n: h, k: m, a: dProjection, lda: p, transposeA: true, b: xi, ldb: h, beta: 1,
                              c: tailGrads[i].projection, ldc: h)
                GEMM.multiply(m: m, n: h, k: p, a: dProjection, lda: p, b: tails[i].projection, ldb: h, beta: 0, c: dInput, ldc: h)
                for (j, r) in members.enumerated() {
                    let dst = dx + r * h, src = dInput + j * h
                    for c in 0..<h { dst[c] += src[c] }
                }
            }
        }
    }

    /// The full log-probability distribution of `n` rows of `x` into `out` (N, V): log p(w) for
    /// every id, the head's log-softmax for the shortlist and head + cluster log-softmax beyond.
    func logProbabilities(input x: UnsafePointer<Float>, rows n: Int, into out: UnsafeMutablePointer<Float>) {
        let k = headSize, c0 = shortlist
        let head = headLogits.buffer(n * k)
        Profiler.measure(.headGEMM) {
            GEMM.multiply(m: n, n: k, k: h, a: x, lda: h, b: headWeight, ldb: h, transposeB: true, beta: 0, c: head, ldc: k, bias: headBias)
        }
        Softmax.logSoftmaxRows(head, rows: n, columns: k)
        for r in 0..<n { (out + r * v).update(from: head + r * k, count: c0) }
        for i in 0..<spec.clusterCount {
            let range = spec.cluster(i, vocabularySize: v), p = spec.projectionSize(i, hiddenSize: h)
            let projection = projected.buffer(n * p)
            Profiler.measure(.headGEMM) {
                GEMM.multiply(m: n, n: p, k: h, a: x, lda: h, b: tails[i].projection, ldb: h, transposeB: true, beta: 0, c: projection, ldc: p)
                GEMM.multiply(m: n, n: range.count, k: p, a: projection, lda: p, b: tails[i].output, ldb: p, transposeB: true,
                              beta: 0, c: out + range.lowerBound, ldc: v)
            }
            Parallel.forRanges(n, minimumPerWorker: max(1, 16384 / range.count)) { rowRange in
                for r in rowRange {
                    let row = out + r * v + range.lowerBound
                    let shift = head[r * k + c0 + i] - Softmax.logSumExp(row, count: range.count)
                    for j in 0..<range.count { row[j] += shift }
                }
            }
        }
    }
}
