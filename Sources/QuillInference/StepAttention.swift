import QuillKernels
import QuillModel

/// The attention head's weights as the step decoder reads them: the query matrix in the
/// generator's `WeightFormat`, its bias, LayerNorm's gain and shift, and the gates already
/// squashed (σ(g_k)/√H for the query side, σ(g_v) for the output). Shared by every session.
struct StepAttentionWeights: Sendable {
    let query: QuantizedMatrix
    let queryBias: [Float]
    let gain: [Float]
    let shift: [Float]
    let keyGate: [Float]
    let valueGate: [Float]
    /// M.
    let memory: Int
    /// The recurrent layer whose output the head reads.
    let layer: Int

    init?(model: LanguageModel, matrix: (String) -> QuantizedMatrix) {
        let c = model.config
        guard let attention = c.attention, let layer = c.attentionLayer else { return nil }
        let h = c.hiddenSize
        func vector(_ name: String) -> [Float] { Array(UnsafeBufferPointer(start: model.pointer(name), count: h)) }
        query = matrix("attention.query.weight")
        queryBias = vector("attention.query.bias")
        gain = vector("attention.query_norm.weight")
        shift = vector("attention.query_norm.bias")
        let scale = 1 / Float(h).squareRoot()
        keyGate = vector("attention.key_gate").map { scale / (1 + VectorMath.exp(-$0)) }
        valueGate = vector("attention.value_gate").map { 1 / (1 + VectorMath.exp(-$0)) }
        memory = attention.memory
        self.layer = layer
    }
}

/// One session's attention memory in the step decoder: a ring of the last M + 1 states of the
/// attended layer (M past positions and the current one), so a token costs one query product and
/// two passes over at most M + 1 stored states, with nothing shifted.
///
/// Each step: the current state goes into the ring; the query product runs on the calling thread;
/// then one parallel region over a fixed number of slot blocks (`blocks`, whatever the thread
/// count): each block scores its slots (one `Dot.product` each), exponentiates them against its
/// own maximum and sums its share of the context; the blocks are then combined in block order,
/// rescaled to the common maximum (the one-pass softmax of FlashAttention), so the result does not
/// depend on the thread count. Three regions a token (query, scores, context) cost more than
/// their work on a busy machine (docs/attention.md). The slot order is not the time order once the ring wraps; the softmax and
/// the weighted sum do not care, so the result equals the general pass's up to rounding.
final class StepAttention {
    let weights: StepAttentionWeights
    private let hidden: Int
    private let ring: UnsafeMutablePointer<Float>   // (M + 1, H)
    private let scores: UnsafeMutablePointer<Float> // (M + 1)
    private let query: UnsafeMutablePointer<Float>  // (H)
    private let partial: UnsafeMutablePointer<Float> // (blocks, H) each block's unnormalised context
    private var blockMaxima = [Float](repeating: 0, count: StepAttention.blocks)
    private var blockSums = [Float](repeating: 0, count: StepAttention.blocks)
    /// Slot blocks of a step: fixed, so that the sums' grouping never depends on the workers.
    static let blocks = 4
    /// The head's output for the current token (H), valid until the next step.
    let output: UnsafeMutablePointer<Float>
    /// States held (at most M + 1) and the slot the next one goes to.
    private var count = 0, next = 0
    private var capacity: Int { weights.memory + 1 }

    init(weights: StepAttentionWeights, hiddenSize h: Int) {
        self.weights = weights
        hidden = h
        ring = .allocate(capacity: (weights.memory + 1) * h)
        ring.initialize(repeating: 0, count: (weights.memory + 1) * h)
        scores = .allocate(capacity: weights.memory + 1)
        scores.initialize(repeating: 0, count: weights.memory + 1)
        query = .allocate(capacity: h)
        query.initialize(repeating: 0, count: h)
        output = .allocate(capacity: h)
        output.initialize(repeating: 0, count: h)
        partial = .allocate(capacity: Self.blocks * h)
        partial.initialize(repeating: 0, count: Self.blocks * h)
    }

    deinit {
        for p in [ring, scores, query, output, partial] { p.deallocate() }
    }

    /// Forgets every state (a new stream or line).
    func reset() {
        count = 0
        next = 0
    }

    /// Takes over the memory of a batch-1 `RecurrentState` ([M, 1, H], the newest state last).
    func load(_ state: RecurrentState) {
        reset()
        guard let length = state.memoryLengths.first else { return }
        let m = weights.memory, h = hidden
        state.memory.withUnsafeBufferPointer { memory in
            for slot in (m - length)..<m { append(memory.baseAddress! + slot * h) }
        }
    }

    /// The memory as a batch-1 `RecurrentState` holds it: the last min(count, M) states in time
    /// order, right-aligned in M slots, and their count.
    func memory() -> (values: [Float], length: Int) {
        let m = weights.memory, h = hidden, length = min(count, m)
        var values = [Float](repeating: 0, count: m * h)
        for i in 0..<length {
            // The i-th newest state sits `i + 1` slots before `next`.
            let slot = (next - 1 - i + capacity) % capacity
            for j in 0..<h { values[(m - 1 - i) * h + j] = ring[slot * h + j] }
        }
        return (values, length)
    }

    private func append(_ state: UnsafePointer<Float>) {
        (ring + next * hidden).update(from: state, count: hidden)
        next = (next + 1) % capacity
        count = min(count + 1, capacity)
    }

    /// out += a·x over `count` floats, eight lanes at a time.
    @inline(__always)
    private static func addScaled(_ x: UnsafePointer<Float>, by a: Float, into out: UnsafeMutablePointer<Float>, count: Int) {
        var j = 0
        let raw = UnsafeRawPointer(x), rawOut = UnsafeMutableRawPointer(out)
        while j + 8 <= count {
            let sum = rawOut.loadUnaligned(fromByteOffset: j &* 4, as: SIMD8<Float>.self)
                + a * raw.loadUnaligned(fromByteOffset: j &* 4, as: SIMD8<Float>.self)
            rawOut.storeBytes(of: sum, toByteOffset: j &* 4, as: SIMD8<Float>.self)
            j += 8
        }
        while j < count { out[j] += a * x[j]; j += 1 }
    }

    /// out += Σ a[i]·x_i over four rows `stride` apart: one load and store of `out` for four rows.
    @inline(__always)
    private static func addScaled4(_ x: UnsafePointer<Float>, stride: Int, by a: SIMD4<Float>,
                                   into out: UnsafeMutablePointer<Float>, count: Int) {
        var j = 0
        let raw = UnsafeRawPointer(x), rawOut = UnsafeMutableRawPointer(out), rowBytes = stride &* 4
        while j + 8 <= count {
            let offset = j &* 4
            var sum = rawOut.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            sum += a[0] * raw.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            sum += a[1] * raw.loadUnaligned(fromByteOffset: offset &+ rowBytes, as: SIMD8<Float>.self)
            sum += a[2] * raw.loadUnaligned(fromByteOffset: offset &+ 2 &* rowBytes, as: SIMD8<Float>.self)
            sum += a[3] * raw.loadUnaligned(fromByteOffset: offset &+ 3 &* rowBytes, as: SIMD8<Float>.self)
            rawOut.storeBytes(of: sum, toByteOffset: offset, as: SIMD8<Float>.self)
            j += 8
        }
        while j < count {
            out[j] += a[0] * x[j] + a[1] * x[stride + j] + a[2] * x[2 * stride + j] + a[3] * x[3 * stride + j]
            j += 1
        }
    }

    /// Runs the head on the attended layer's output `y` of this token; the result is in `output`.
    func step(_ y: UnsafePointer<Float>) {
        let w = weights, h = hidden, q = query, out = output, ring = ring, scores = scores
        append(y)
        let n = count
        let rows = w.query.rowReader
        w.queryBias.withUnsafeBufferPointer { bias in
            var j = 0
            while j + 4 <= h {
                let sums = UnsafeRawPointer(bias.baseAddress! + j).loadUnaligned(as: SIMD4<Float>.self) + rows.dot4(y, row: j)
                UnsafeMutableRawPointer(q + j).storeBytes(of: sums, as: SIMD4<Float>.self)
                j += 4
            }
            while j < h { q[j] = bias[j] + rows.dot(y, row: j); j += 1 }
        }
        _ = ModelConfig.Attention.normalize(q, count: h)
        for j in 0..<h { q[j] = (q[j] * w.gain[j] + w.shift[j]) * w.keyGate[j] }

        let blocks = Self.blocks, partial = partial
        blockMaxima.withUnsafeMutableBufferPointer { maxima in
            blockSums.withUnsafeMutableBufferPointer { sums in
                let (maxima, sums) = (maxima.baseAddress!, sums.baseAddress!)
                // Worth a parallel region only when the blocks are long.
                let work = { (block: Int) in
                    let start = n * block / blocks, end = n * (block + 1) / blocks
                    let context = partial + block * h
                    context.update(repeating: 0, count: h)
                    guard start < end else { maxima[block] = -.infinity; sums[block] = 0; return }
                    var s = start
                    while s + 4 <= end {
                        let four = Dot.product4(q, rows: ring + s * h, stride: h, count: h)
                        for i in 0..<4 { scores[s + i] = four[i] }
                        s += 4
                    }
                    while s < end { scores[s] = Dot.product(q, ring + s * h, count: h); s += 1 }
                    let top = Softmax.maximum(scores + start, count: end - start)
                    VectorMath.apply(scores + start, count: end - start) { VectorMath.exp($0 - top) }
                    var total: Float = 0
                    for s in start..<end { total += scores[s] }
                    s = start
                    while s + 4 <= end {
                        Self.addScaled4(ring + s * h, stride: h, by: SIMD4(scores[s], scores[s + 1], scores[s + 2], scores[s + 3]),
                                        into: context, count: h)
                        s += 4
                    }
                    while s < end { Self.addScaled(ring + s * h, by: scores[s], into: context, count: h); s += 1 }
                    maxima[block] = top
                    sums[block] = total
                }
                if n * h >= 1 << 15 { Parallel.forEach(blocks, work) } else { for block in 0..<blocks { work(block) } }
                let top = (0..<blocks).reduce(-Float.infinity) { max($0, maxima[$1]) }
                var total: Float = 0
                out.update(repeating: 0, count: h)
                for block in 0..<blocks where sums[block] > 0 {
                    let factor = VectorMath.exp(maxima[block] - top)
                    total += factor * sums[block]
                    Self.addScaled(partial + block * h, by: factor, into: out, count: h)
                }
                let inverse = 1 / total
                w.valueGate.withUnsafeBufferPointer { gate in
                    for j in 0..<h { out[j] = y[j] + gate[j] * inverse * out[j] }
                }
            }
        }
    }
}
