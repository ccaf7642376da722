import QuillKernels
import QuillModel

/// An adaptive softmax's weights as `StepDecoder` reads them (in the generator's format), and
/// its full distribution of one step: log p(w) for every id, as `Network`'s forward gives it,
/// up to rounding (dot products here, GEMM there).
struct StepAdaptiveSoftmax: Sendable {
    let spec: ModelConfig.AdaptiveSoftmax
    let head: QuantizedMatrix
    let headBias: [Float]
    /// Per cluster: the projection (P_i, H) and the output (S_i, P_i).
    let tails: [(projection: QuantizedMatrix, output: QuantizedMatrix)]
    let vocabularySize: Int

    init?(model: LanguageModel, matrix: (String) -> QuantizedMatrix) {
        guard let spec = model.config.adaptiveSoftmax else { return nil }
        self.spec = spec
        head = matrix("decoder.head.weight")
        headBias = Array(UnsafeBufferPointer(start: model.pointer("decoder.head.bias"), count: spec.headSize))
        tails = (0..<spec.clusterCount).map { (matrix("decoder.tail.\($0).0.weight"), matrix("decoder.tail.\($0).1.weight")) }
        vocabularySize = model.config.vocabularySize
    }

    /// Floats of scratch `logProbabilities` needs: the head's outputs and the widest projection.
    var scratchCount: Int { spec.headSize + tails.map(\.projection.rows).max()! }

    /// log p(w) of every id for the top layer's output `top` (H), into `out` (V).
    func logProbabilities(_ top: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let k = spec.headSize, c0 = spec.cutoffs[0]
        let headOut = scratch, projection = scratch + k
        let headRows = head.rowReader
        for j in 0..<k { headOut[j] = headBias[j] + headRows.dot(top, row: j) }
        let headNorm = Softmax.logSumExp(headOut, count: k)
        for j in 0..<c0 { out[j] = headOut[j] - headNorm }
        for (i, tail) in tails.enumerated() {
            let range = spec.cluster(i, vocabularySize: vocabularySize)
            let projectionRows = tail.projection.rowReader, outputRows = tail.output.rowReader
            for j in 0..<tail.projection.rows { projection[j] = projectionRows.dot(top, row: j) }
            let cluster = out + range.lowerBound
            Parallel.forRanges(range.count, granule: 16, minimumPerWorker: 1 << 12) { words in
                for w in words { cluster[w] = outputRows.dot(UnsafePointer(projection), row: w) }
            }
            let shift = headOut[c0 + i] - headNorm - Softmax.logSumExp(cluster, count: range.count)
            for w in 0..<range.count { cluster[w] += shift }
        }
    }
}
