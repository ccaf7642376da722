import QuillKernels

/// SHA-RNN's single attention head (`ModelConfig.Attention`) as one caller runs it, over the
/// (T·B, H) output Y of the attended layer and the memory carried in the caller's
/// `RecurrentState`:
///
///     U = Y·W_qᵀ + b_q;  N = (U − mean) / √(var + ε) per row;  Q̃ = (N⊙γ + β) ⊙ σ(g_k) / √H
///     K = [memory; Y] per row b (P + T states);  A = softmax over j ∈ [lo(t), P + t] of Q̃·Kᵀ
///     C = A·K;  Z = Y + σ(g_v) ⊙ C
///
/// where P is the longest memory of the batch, lo(t) = max(P − len_b, P + t − M) keeps each
/// position to itself and its M predecessors (and to row b's valid memory), and the gates scale
/// the query and the output instead of the keys and values (σ(g_k)⊙k · q = k · σ(g_k)⊙q, and
/// Σ a·σ(g_v)⊙k = σ(g_v)⊙Σ a·k), so keys and values are the stored states themselves, read in
/// place: the memory slots and Y have the same layout (slot-major, row stride B·H), so each
/// product over K is two products, one over the memory and one over the window. The memory gets
/// no gradient; the new one is written into a buffer of this layer's and swapped with the
/// caller's. Each row's memory is
/// packed for GEMM once a forward, in both of the layouts its products read (as keys, transposed,
/// and as values), and backward's two products over the memory reuse the packs: a product through a
/// `PackedMatrix` gives the same bits as one that packs per call, and with T = 64 rows a product the
/// packing of a 512-slot memory cost about as much as its multiply-adds. In stream mode the next
/// window's memory is this one shifted by T slots plus the window, so when the same caller's
/// memory comes back unchanged the packs shift with it (whole panels of the keys when the shift
/// and what is kept are multiples of `GEMM.nr`; rows of the values while the memory grows or
/// keeps its length) instead of being gathered again: copying either way, so the same bits.
/// Rows of a batch are
/// independent, so each worker takes whole rows and runs their products on its own thread: the
/// results are the same bits for any thread count.
final class AttentionLayer {
    let hiddenSize: Int
    /// M.
    let capacity: Int
    private let parameters: ParameterStore
    private let gradients: ParameterStore

    /// The memory the last forward read ((M, B, H), swapped out of the caller's state; the next
    /// forward writes the new memory into it), and Y.
    private var previousMemory: [Float] = []
    private var window: UnsafePointer<Float>?
    private let normalized = Workspace() // (T·B, H) N
    private let inverseStd = Workspace() // (T·B) 1/√(var + ε)
    private let query = Workspace()      // (T·B, H) Q̃, then its gradient
    private let weights = Workspace()    // (B, T, P+T) A
    private let scoreGradients = Workspace() // (B, T, P+T) dA, then dS
    private let context = Workspace()    // (T·B, H) C, then dC
    private let scratch = Workspace()    // (T·B, H) products summed by column in backward
    /// Z after `forward`: (T·B, H).
    let output = Workspace()
    private var steps = 0, batch = 0, past = 0
    private var starts: [Int] = []       // P − len_b per row: its first valid memory slot
    /// Per batch row, the P memory slots in reach packed as op(B) for GEMM: transposed (the
    /// (H, P) keys of the scores and of dA) and not (the (P, H) values of C and of dQ̃).
    private var packedKeys: [PackedMatrix] = [], packedValues: [PackedMatrix] = []
    /// The memory the last forward handed to the caller, held so that the next forward can tell
    /// whether it is reading that memory unchanged: while this array shares the caller's storage,
    /// any change to the caller's memory (a reset, a load, another forward) copies it first, so
    /// the same storage means the same contents. The caller pays a copy only if it changes a
    /// memory this layer wrote last.
    private var handedOut: [Float] = []
    /// The P, T and B of the forward that made the packs (P = 0: no packs).
    private var packedPast = 0, packedSteps = 0, packedBatch = 0

    /// The last forward's weights A, read in place (valid until the next forward; backward keeps
    /// them): row (b, s) is the P + T values at `pointer + (b·T + s)·(P + T)`, over the P memory
    /// slots in reach (oldest first) then the window's T positions, summing to 1 over
    /// [lo(s), P + s] and 0 elsewhere. Forward computes them anyway, so reading them costs nothing.
    var lastWeights: (pointer: UnsafePointer<Float>, past: Int, steps: Int, batch: Int) {
        (UnsafePointer(weights.pointer), past, steps, batch)
    }

    init(hiddenSize: Int, capacity: Int, parameters: ParameterStore, gradients: ParameterStore) {
        self.hiddenSize = hiddenSize
        self.capacity = capacity
        self.parameters = parameters
        self.gradients = gradients
    }

    /// The (T·B, H) Z for the window Y, which it appends to the memory (keeping the last M).
    func forward(input y: UnsafePointer<Float>, steps t: Int, batch b: Int, memory: inout [Float],
                 lengths: inout [Int]) -> UnsafeMutablePointer<Float> {
        let h = hiddenSize, m = capacity, rows = t * b, rowStride = b * h
        precondition(memory.count == m * b * h && lengths.count == b, "attention memory for another batch size")
        let p = lengths.max() ?? 0
        // When the memory is the one the last forward wrote (its P slots then, shifted by that
        // forward's window), the packed keys can shift along with it instead of being gathered
        // again (see `carried` below); the bits are the same either way.
        let sameMemory = !handedOut.isEmpty && b == packedBatch
            && memory.withUnsafeBufferPointer { $0.baseAddress } == handedOut.withUnsafeBufferPointer { $0.baseAddress }
        handedOut = [] // the caller's storage is its own again before anything writes to it
        let dropped = packedPast + packedSteps - p, newSlots = packedSteps
        let carried = sameMemory && packedPast > 0 && dropped >= 0 && dropped < packedPast && newSlots <= p
        steps = t; batch = b; past = p
        starts = lengths.map { p - $0 }
        let width = p + t
        window = y
        if previousMemory.count != m * b * h { previousMemory = [Float](repeating: 0, count: m * b * h) }

        let n = normalized.buffer(rows * h), q = query.buffer(rows * h), rstd = inverseStd.buffer(rows)
        GEMM.multiply(m: rows, n: h, k: h, a: y, lda: h, b: parameters.pointer("attention.query.weight"), ldb: h,
                      transposeB: true, c: n, ldc: h, bias: parameters.pointer("attention.query.bias"))
        let gamma = parameters.pointer("attention.query_norm.weight"), beta = parameters.pointer("attention.query_norm.bias")
        let keyGate = Self.sigmoid(parameters.pointer("attention.key_gate"), count: h, scale: 1 / Float(h).squareRoot())
        Parallel.forRanges(rows, minimumPerWorker: 64) { range in
            for r in range {
                let u = n + r * h, qr = q + r * h
                rstd[r] = ModelConfig.Attention.normalize(u, count: h)
                // Eight lanes at a time, as in backward: the same operations, so the same bits.
                keyGate.withUnsafeBufferPointer { gate in
                    let kg = gate.baseAddress!
                    var j = 0
                    while j + 8 <= h {
                        Self.store((Self.lanes(u + j) * Self.lanes(gamma + j) + Self.lanes(beta + j)) * Self.lanes(kg + j), qr + j)
                        j += 8
                    }
                    while j < h { qr[j] = (u[j] * gamma[j] + beta[j]) * kg[j]; j += 1 }
                }
            }
        }

        // A carried memory (P > 0) grows to M slots in its first windows: room for them now.
        let a = weights.buffer(b * t * (p > 0 ? max(width, m + t) : width)), c = context.buffer(rows * h)
        let starts = self.starts
        while packedKeys.count < b { packedKeys.append(PackedMatrix()); packedValues.append(PackedMatrix()) }
        let keys = packedKeys, values = packedValues
        memory.withUnsafeBufferPointer { stored in
            let mem = stored.baseAddress! + (m - p) * rowStride // the P slots in reach
            Parallel.forEach(b) { row in
                let ar = a + row * t * width
                if p > 0 {
                    // A carried memory grows to M slots in its first windows: room for them now.
                    keys[row].reserve(k: h, n: m)
                    values[row].reserve(k: m, n: h)
                    // The memory's newest slots are the last forward's window.
                    let shifted = carried && keys[row].shiftColumns(dropping: dropped, appending: newSlots,
                                                                   b: mem + (p - newSlots) * rowStride + row * h,
                                                                   ldb: rowStride, transposeB: true)
                    if !shifted { keys[row].pack(k: h, n: p, b: mem + row * h, ldb: rowStride, transposeB: true) }
                    GEMM.multiply(m: t, a: q + row * h, lda: rowStride, packedB: keys[row], c: ar, ldc: width, parallel: false)
                }
                GEMM.multiply(m: t, n: t, k: h, a: q + row * h, lda: rowStride, b: y + row * h, ldb: rowStride,
                              transposeB: true, c: ar + p, ldc: width, parallel: false)
                for s in 0..<t {
                    let scores = ar + s * width
                    let lo = max(starts[row], p + s - m), hi = p + s
                    Softmax.softmaxVectorized(scores + lo, count: hi - lo + 1)
                    scores.update(repeating: 0, count: lo)
                    (scores + hi + 1).update(repeating: 0, count: width - hi - 1)
                }
                if p > 0 {
                    let shifted = carried && values[row].shiftRows(dropping: dropped, appending: newSlots,
                                                                   b: mem + (p - newSlots) * rowStride + row * h,
                                                                   ldb: rowStride, transposeB: false)
                    if !shifted { values[row].pack(k: p, n: h, b: mem + row * h, ldb: rowStride, transposeB: false) }
                    GEMM.multiply(m: t, a: ar, lda: width, packedB: values[row], c: c + row * h, ldc: rowStride, parallel: false)
                }
                GEMM.multiply(m: t, n: h, k: t, a: ar + p, lda: width, b: y + row * h, ldb: rowStride,
                              beta: p > 0 ? 1 : 0, c: c + row * h, ldc: rowStride, parallel: false)
            }
        }

        let z = output.buffer(rows * h)
        let valueGate = Self.sigmoid(parameters.pointer("attention.value_gate"), count: h, scale: 1)
        Parallel.forRanges(rows, minimumPerWorker: 64) { range in
            valueGate.withUnsafeBufferPointer { gate in
                let vg = gate.baseAddress!
                for r in range {
                    let zr = z + r * h, yr = y + r * h, cr = c + r * h
                    var j = 0
                    while j + 8 <= h { Self.store(Self.lanes(yr + j) + Self.lanes(vg + j) * Self.lanes(cr + j), zr + j); j += 8 }
                    while j < h { zr[j] = yr[j] + vg[j] * cr[j]; j += 1 }
                }
            }
        }

        // The new memory, the last M of the P + T states, goes into this layer's spare buffer, which
        // then trades places with the caller's: the caller gets the new one, this layer keeps the
        // one just read for backward.
        let kept = min(m, width), fromMemory = max(0, kept - t), fromWindow = kept - fromMemory
        memory.withUnsafeBufferPointer { stored in
            previousMemory.withUnsafeMutableBufferPointer { spare in
                let old = stored.baseAddress!, new = spare.baseAddress!
                Self.copySlots([(new, nil, m - kept), (new + (m - kept) * rowStride, old + (m - fromMemory) * rowStride, fromMemory),
                                (new + (m - fromWindow) * rowStride, y + (t - fromWindow) * rowStride, fromWindow)],
                               slotSize: rowStride)
            }
        }
        swap(&memory, &previousMemory)
        for row in 0..<b { lengths[row] = min(m, lengths[row] + t) }
        packedPast = p; packedSteps = t; packedBatch = b
        // Slots a row does not own hold zeros (as in a fresh state), never another window's leftovers.
        memory.withUnsafeMutableBufferPointer { mem in
            for row in 0..<b where lengths[row] < m {
                for slot in 0..<(m - lengths[row]) { (mem.baseAddress! + (slot * b + row) * h).update(repeating: 0, count: h) }
            }
        }
        handedOut = memory
        return z
    }

    /// Copies (or, with no source, zeroes) runs of whole slots, the runs' slots split over the
    /// workers (each slot is written by one of them).
    private static func copySlots(_ runs: [(UnsafeMutablePointer<Float>, UnsafePointer<Float>?, Int)], slotSize: Int) {
        let total = runs.reduce(0) { $0 + $1.2 }
        Parallel.forRanges(total, minimumPerWorker: max(1, (1 << 16) / max(1, slotSize))) { range in
            var first = 0
            for (destination, source, count) in runs {
                let lo = max(range.lowerBound, first), hi = min(range.upperBound, first + count)
                if lo < hi {
                    let d = destination + (lo - first) * slotSize
                    if let source { d.update(from: source + (lo - first) * slotSize, count: (hi - lo) * slotSize) }
                    else { d.update(repeating: 0, count: (hi - lo) * slotSize) }
                }
                first += count
            }
        }
    }

    /// Backward through the last `forward`: `grad` holds dZ on entry and dY on exit; the head's
    /// parameter gradients are added into `gradients`.
    func backward(_ grad: UnsafeMutablePointer<Float>) {
        let h = hiddenSize, t = steps, b = batch, p = past, m = capacity, rows = t * b, rowStride = b * h
        let width = p + t
        guard let y = window else { preconditionFailure("attention backward without a forward") }
        let n = UnsafePointer(normalized.pointer), rstd = UnsafePointer(inverseStd.pointer)
        let q = query.pointer, a = weights.pointer, c = context.pointer, tmp = scratch.buffer(rows * h)
        let gamma = parameters.pointer("attention.query_norm.weight"), beta = parameters.pointer("attention.query_norm.bias")
        let keyGate = Self.sigmoid(parameters.pointer("attention.key_gate"), count: h, scale: 1 / Float(h).squareRoot())
        let valueGate = Self.sigmoid(parameters.pointer("attention.value_gate"), count: h, scale: 1)

        // Value gate: dg_v = Σ dZ⊙C⊙σ'(g_v); then C becomes dC = σ(g_v)⊙dZ.
        // These element-wise loops go eight lanes at a time by hand (the compiler left them scalar,
        // with bounds and overflow checks): the same operations in the same order on each
        // element, so the same bits.
        Parallel.forRanges(rows, minimumPerWorker: 64) { range in
            valueGate.withUnsafeBufferPointer { gate in
                let vg = gate.baseAddress!
                for r in range {
                    let dz = grad + r * h, cr = c + r * h, tr = tmp + r * h
                    var j = 0
                    while j + 8 <= h {
                        let dzv = Self.lanes(dz + j), cv = Self.lanes(cr + j), v = Self.lanes(vg + j)
                        Self.store(dzv * cv * v * (1 - v), tr + j)
                        Self.store(v * dzv, cr + j)
                        j += 8
                    }
                    while j < h { tr[j] = dz[j] * cr[j] * vg[j] * (1 - vg[j]); cr[j] = vg[j] * dz[j]; j += 1 }
                }
            }
        }
        ColumnSums.add(tmp, rows: rows, columns: h, into: gradients.pointer("attention.value_gate"))

        // Per row: dA = dC·Kᵀ; dY_window += A_windowᵀ·dC; dS = A⊙(dA − Σ A⊙dA); dQ̃ = dS·K;
        // dY_window += dS_windowᵀ·Q̃; dQ̃ goes to the scratch buffer, whose sums are taken.
        let dq = tmp
        let starts = self.starts
        let dsAll = scoreGradients.buffer(b * t * (p > 0 ? max(width, m + t) : width))
        // The memory is read through forward's packs of it (the same bits as packing it here).
        let keys = packedKeys, values = packedValues
        Parallel.forEach(b) { row in
            let ar = a + row * t * width, ds = dsAll + row * t * width
            if p > 0 {
                GEMM.multiply(m: t, a: c + row * h, lda: rowStride, packedB: keys[row], c: ds, ldc: width, parallel: false)
            }
            GEMM.multiply(m: t, n: t, k: h, a: c + row * h, lda: rowStride, b: y + row * h, ldb: rowStride,
                          transposeB: true, c: ds + p, ldc: width, parallel: false)
            GEMM.multiply(m: t, n: h, k: t, a: ar + p, lda: width, transposeA: true, b: c + row * h, ldb: rowStride,
                          beta: 1, c: grad + row * h, ldc: rowStride, parallel: false)
            for s in 0..<t {
                let weightsRow = ar + s * width, dsRow = ds + s * width
                let lo = max(starts[row], p + s - m), hi = p + s
                let dot = Dot.product(weightsRow + lo, dsRow + lo, count: hi - lo + 1)
                dsRow.update(repeating: 0, count: lo)
                Self.scaleDifferences(dsRow + lo, by: weightsRow + lo, minus: dot, count: hi - lo + 1)
                (dsRow + hi + 1).update(repeating: 0, count: width - hi - 1)
            }
            GEMM.multiply(m: t, n: h, k: t, a: ds + p, lda: width, transposeA: true, b: q + row * h, ldb: rowStride,
                          beta: 1, c: grad + row * h, ldc: rowStride, parallel: false)
            if p > 0 {
                GEMM.multiply(m: t, a: ds, lda: width, packedB: values[row], c: dq + row * h, ldc: rowStride, parallel: false)
            }
            GEMM.multiply(m: t, n: h, k: t, a: ds + p, lda: width, b: y + row * h, ldb: rowStride,
                          beta: p > 0 ? 1 : 0, c: dq + row * h, ldc: rowStride, parallel: false)
        }

        // Key gate: Q̃ = Q⊙σ(g_k)/√H, so dg_k = Σ dQ̃⊙Q⊙σ'(g_k)/√H and dQ = dQ̃⊙σ(g_k)/√H.
        // `q` takes dQ; the gate's products go to `c` (dC is no longer needed).
        let scale = 1 / Float(h).squareRoot()
        Parallel.forRanges(rows, minimumPerWorker: 64) { range in
            keyGate.withUnsafeBufferPointer { gate in
                let kg = gate.baseAddress!
                for r in range {
                    let nr = n + r * h, dqr = dq + r * h, cr = c + r * h, qr = q + r * h
                    var j = 0
                    while j + 8 <= h {
                        let qValue = Self.lanes(nr + j) * Self.lanes(gamma + j) + Self.lanes(beta + j)
                        let gv = Self.lanes(kg + j), sk = gv / scale, dqv = Self.lanes(dqr + j)
                        Self.store(dqv * qValue * scale * sk * (1 - sk), cr + j)
                        Self.store(dqv * gv, qr + j)
                        j += 8
                    }
                    while j < h {
                        let qValue = nr[j] * gamma[j] + beta[j], sk = kg[j] / scale
                        cr[j] = dqr[j] * qValue * scale * sk * (1 - sk)
                        qr[j] = dqr[j] * kg[j]
                        j += 1
                    }
                }
            }
        }
        ColumnSums.add(c, rows: rows, columns: h, into: gradients.pointer("attention.key_gate"))

        // LayerNorm: dγ = Σ dQ⊙N, dβ = Σ dQ; dU = rstd·(dN − mean(dN) − N·mean(dN⊙N)), dN = dQ⊙γ.
        Parallel.forRanges(rows, minimumPerWorker: 64) { range in
            for r in range {
                let cr = c + r * h, qr = q + r * h, nr = n + r * h
                var j = 0
                while j + 8 <= h { Self.store(Self.lanes(qr + j) * Self.lanes(nr + j), cr + j); j += 8 }
                while j < h { cr[j] = qr[j] * nr[j]; j += 1 }
            }
        }
        ColumnSums.add(c, rows: rows, columns: h, into: gradients.pointer("attention.query_norm.weight"))
        ColumnSums.add(q, rows: rows, columns: h, into: gradients.pointer("attention.query_norm.bias"))
        let du = c
        Parallel.forRanges(rows, minimumPerWorker: 64) { range in
            for r in range {
                let qr = q + r * h, nr = n + r * h, dr = du + r * h
                var meanD: Float = 0, meanDN: Float = 0
                for j in 0..<h { let d = qr[j] * gamma[j]; meanD += d; meanDN += d * nr[j] }
                meanD /= Float(h); meanDN /= Float(h)
                var j = 0
                while j + 8 <= h {
                    let dn = Self.lanes(qr + j) * Self.lanes(gamma + j) - meanD - Self.lanes(nr + j) * meanDN
                    Self.store(rstd[r] * dn, dr + j)
                    j += 8
                }
                while j < h { dr[j] = rstd[r] * (qr[j] * gamma[j] - meanD - nr[j] * meanDN); j += 1 }
            }
        }

        // Query projection: dW_q += dUᵀ·Y, db_q += Σ dU, dY += dU·W_q.
        GEMM.multiply(m: h, n: h, k: rows, a: du, lda: h, transposeA: true, b: y, ldb: h, beta: 1,
                      c: gradients.pointer("attention.query.weight"), ldc: h)
        ColumnSums.add(du, rows: rows, columns: h, into: gradients.pointer("attention.query.bias"))
        GEMM.multiply(m: rows, n: h, k: h, a: du, lda: h, b: parameters.pointer("attention.query.weight"), ldb: h,
                      beta: 1, c: grad, ldc: h)
    }

    /// d[j] = w[j]·(d[j] − c), eight lanes at a time: the same two operations on each element as
    /// the scalar loop (which the compiler left scalar), so the same bits.
    private static func scaleDifferences(_ d: UnsafeMutablePointer<Float>, by w: UnsafePointer<Float>, minus c: Float,
                                         count: Int) {
        var j = 0
        while j + 8 <= count {
            store(lanes(w + j) * (lanes(d + j) - c), d + j)
            j += 8
        }
        while j < count { d[j] = w[j] * (d[j] - c); j += 1 }
    }

    /// Eight floats from `p` (any alignment).
    @inline(__always) private static func lanes(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) private static func lanes(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        lanes(UnsafePointer(p))
    }

    @inline(__always) private static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// σ(g)·scale for a gate vector.
    private static func sigmoid(_ g: UnsafePointer<Float>, count: Int, scale: Float) -> [Float] {
        (0..<count).map { scale / (1 + VectorMath.exp(-g[$0])) }
    }
}
