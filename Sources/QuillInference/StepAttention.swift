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
/// Each step: the current state goes into the ring; scores q̃·k over the ring's valid slots (each
/// one `Dot.product`), softmax, and the context Σ a·k summed over the slots in slot order. It runs
/// on the calling thread: at H = 256, M = 512 it is about 36 µs of one core, and three more
/// parallel regions a token (query, scores, context) cost more than that on a busy machine
/// (measured: 2-thread generation fell from 1458 to 621 tokens/s with them, against 9477 → 7066
/// on one thread; docs/attention.md). The slot order is not the time order once the ring wraps; the softmax and
/// the weighted sum do not care, so the result equals the general pass's up to rounding.
final class StepAttention {
    let weights: StepAttentionWeights
    private let hidden: Int
    private let ring: UnsafeMutablePointer<Float>   // (M + 1, H)
    private let scores: UnsafeMutablePointer<Float> // (M + 1)
    private let query: UnsafeMutablePointer<Float>  // (H)
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
    }

    deinit {
        for p in [ring, scores, query, output] { p.deallocate() }
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
        var mean: Float = 0
        for j in 0..<h { mean += q[j] }
        mean /= Float(h)
        var variance: Float = 0
        for j in 0..<h { let d = q[j] - mean; variance += d * d }
        variance /= Float(h)
        let rstd = 1 / (variance + 1e-5).squareRoot()
        for j in 0..<h { q[j] = ((q[j] - mean) * rstd * w.gain[j] + w.shift[j]) * w.keyGate[j] }

        for s in 0..<n { scores[s] = Dot.product(q, ring + s * h, count: h) }
        Softmax.softmax(scores, count: n)
        out.update(repeating: 0, count: h)
        for s in 0..<n { Self.addScaled(ring + s * h, by: scores[s], into: out, count: h) }
        w.valueGate.withUnsafeBufferPointer { gate in
            for j in 0..<h { out[j] = y[j] + gate[j] * out[j] }
        }
    }
}
