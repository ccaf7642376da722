import QuillCheckpoint
import QuillCore
import QuillKernels
import QuillModel
import QuillText

/// The weights `StepDecoder` reads, in one format, shared by every decoder (session) of a
/// generator: the matrices, the summed biases and layer 0's token table. Immutable once made, so
/// sessions on any thread share it.
final class StepWeights: Sendable {
    let config: ModelConfig
    let format: WeightFormat
    /// The float32 weights (kept alive here: float32 matrices and the embedding are read in place).
    let model: LanguageModel
    let inputWeights: [QuantizedMatrix]
    let recurrentWeights: [QuantizedMatrix]
    /// The decoder, or nil when an adaptive softmax (`adaptive`) takes its place.
    let decoder: QuantizedMatrix?
    /// The adaptive softmax, when the model has one.
    let adaptive: StepAdaptiveSoftmax?
    /// b_ih + b_hh per layer, summed as the general pass sums them.
    let biases: [[Float]]
    /// (V, 4H): layer 0's bias plus input product for each token, or nil when it would be large.
    let inputTable: ImmutableBuffer<Float>?
    /// The attention head's weights, when the model has one.
    let attention: StepAttentionWeights?

    /// Largest layer-0 table kept: it replaces a (4H × E) product per token by one row read, which
    /// pays while the table stays in cache.
    static let tableLimitBytes = 4 << 20

    init(model: LanguageModel, format: WeightFormat) {
        precondition(StepDecoder.supports(model.config), "StepDecoder runs LSTM models")
        let c = model.config
        config = c
        self.format = format
        self.model = model
        let width = 4 * c.hiddenSize
        // Float32 matrices are the model's own, read in place.
        func matrix(_ name: String) -> QuantizedMatrix {
            guard format != .f32 else { return QuantizedMatrix(model: model, tensor: name) }
            let shape = model.layout.required(name).shape
            return QuantizedMatrix(model.pointer(name), rows: shape[0], columns: shape[1], format: format)
        }
        inputWeights = (0..<c.layers).map { matrix("rnn.weight_ih_l\($0)") }
        recurrentWeights = (0..<c.layers).map { matrix("rnn.weight_hh_l\($0)") }
        adaptive = StepAdaptiveSoftmax(model: model, matrix: matrix)
        decoder = adaptive == nil ? matrix(c.tieWeights ? "encoder.weight" : "decoder.weight") : nil
        attention = StepAttentionWeights(model: model, matrix: matrix)
        biases = (0..<c.layers).map { k in
            let ih = model.pointer("rnn.bias_ih_l\(k)"), hh = model.pointer("rnn.bias_hh_l\(k)")
            return (0..<width).map { ih[$0] + hh[$0] }
        }
        guard c.vocabularySize * width * 4 <= Self.tableLimitBytes else {
            inputTable = nil
            return
        }
        let embedding = model.pointer("encoder.weight"), e = c.embeddingSize
        let (rows, bias) = (inputWeights[0].rowReader, biases[0])
        inputTable = ImmutableBuffer(count: c.vocabularySize * width) { table in
            let out = table.baseAddress!
            Parallel.forRanges(c.vocabularySize) { tokens in
                for v in tokens {
                    for j in 0..<width { out[v * width + j] = bias[j] + rows.dot(embedding + v * e, row: j) }
                }
            }
        }
    }

    /// The embedding row of `token`.
    func embedding(_ token: Int) -> UnsafePointer<Float> { model.pointer("encoder.weight") + token * config.embeddingSize }

    /// The decoder's bias (V).
    var decoderBias: UnsafePointer<Float> { model.pointer("decoder.bias") }
}

/// One token at a time through an LSTM language model, for batch-1 generation: the work of
/// `Network.forward` at T = B = 1 with the overheads that matter at that size removed.
///
/// - Each core owns a contiguous share of every layer's hidden units: it computes the four gate
///   rows of its units (input and recurrent products), then their cell update, so a layer costs
///   one parallel region instead of a product, a hand-off and a serial gate pass.
/// - Layer 0's input product depends only on the token: `bias + W_ih·e_v` is computed once per
///   vocabulary token (when that table is small) and a step reads one row of it.
/// - Weight matrices are read in the chosen `WeightFormat`, widened in registers.
///
/// In float32 every value is computed with the same operations in the same order as the general
/// forward pass (`Dot.product` per gate row, bias first, the same lane arithmetic for the cell),
/// so generation gives the same bits either way; tests check it. The attention head
/// (`StepAttention`, a ring of the last M + 1 states) gives the general pass's values up to
/// rounding, not its bits.
///
/// A decoder is one session's context: its state, gate buffers and logits are its own.
final class StepDecoder {
    let weights: StepWeights
    var config: ModelConfig { weights.config }
    // Owned buffers: h (two per layer: the step reads one while writing the other), c, the gate
    // pre-activations of one layer, and the logits.
    private var hidden: [UnsafeMutablePointer<Float>]
    private var nextHidden: [UnsafeMutablePointer<Float>]
    private let cells: [UnsafeMutablePointer<Float>]
    private let gates: UnsafeMutablePointer<Float>
    private let logits: UnsafeMutablePointer<Float>
    /// The adaptive softmax's head outputs and projection (empty without one).
    private let adaptiveScratch: UnsafeMutablePointer<Float>
    /// The attention head's memory and buffers, when the model has one.
    private let attention: StepAttention?

    static func supports(_ config: ModelConfig) -> Bool { config.cell == .lstm }

    /// A decoder with a zero state.
    init(weights: StepWeights) {
        self.weights = weights
        let c = weights.config, width = 4 * c.hiddenSize
        func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
            p.initialize(repeating: 0, count: count)
            return p
        }
        hidden = (0..<c.layers).map { _ in zeroed(c.hiddenSize) }
        nextHidden = (0..<c.layers).map { _ in zeroed(c.hiddenSize) }
        cells = (0..<c.layers).map { _ in zeroed(c.hiddenSize) }
        gates = zeroed(width)
        logits = zeroed(c.vocabularySize)
        adaptiveScratch = zeroed(max(1, weights.adaptive?.scratchCount ?? 0))
        attention = weights.attention.map { StepAttention(weights: $0, hiddenSize: c.hiddenSize) }
    }

    deinit {
        for p in hidden + nextHidden + cells + [gates, logits, adaptiveScratch] { p.deallocate() }
    }

    /// Takes over a batch-1 state (after a prompt ran through the general forward pass).
    func load(_ state: RecurrentState) {
        precondition(state.batchSize == 1 && state.layers == config.layers && state.hiddenSize == config.hiddenSize)
        let h = config.hiddenSize
        for k in 0..<config.layers {
            for j in 0..<h {
                hidden[k][j] = state.hidden[k * h + j]
                cells[k][j] = state.cell[k * h + j]
            }
        }
        attention?.load(state)
    }

    /// The state as the general forward pass holds it.
    var state: RecurrentState {
        let h = config.hiddenSize
        let memory = attention?.memory()
        return RecurrentState(layers: config.layers, batchSize: 1, hiddenSize: h,
                              hidden: hidden.flatMap { Array(UnsafeBufferPointer(start: $0, count: h)) },
                              cell: cells.flatMap { Array(UnsafeBufferPointer(start: $0, count: h)) },
                              memoryCapacity: config.attention?.memory ?? 0, memory: memory?.values ?? [],
                              memoryLengths: memory.map { [$0.length] } ?? [])
    }

    /// Zero state (a line model's new line).
    func reset() {
        for k in 0..<config.layers {
            hidden[k].update(repeating: 0, count: config.hiddenSize)
            cells[k].update(repeating: 0, count: config.hiddenSize)
        }
        attention?.reset()
    }

    /// Runs `token` through every layer and the decoder; returns the V logits, valid until the
    /// next call.
    func step(_ token: Int) -> UnsafePointer<Float> {
        precondition(token >= 0 && token < config.vocabularySize, "token id outside the vocabulary")
        let h = config.hiddenSize, width = 4 * h
        // Units split in multiples of eight, so every worker's lanes line up with the whole-row pass.
        let workers = min(Parallel.threadCount, max(1, h / 64))
        let g = gates
        let w = weights
        let embedding = w.embedding(token)
        var below = embedding // the input of layer k: the embedding, or layer k − 1's output (after attention)
        for k in 0..<config.layers {
            let input = below
            let inputMatrix = w.inputWeights[k].rowReader, recurrentMatrix = w.recurrentWeights[k].rowReader
            let hPrev = UnsafePointer(hidden[k]), c = cells[k], hNext = nextHidden[k]
            var tableRow: UnsafePointer<Float>?
            if k == 0, let table = w.inputTable { tableRow = table.base + token * width }
            w.biases[k].withUnsafeBufferPointer { bias in
                Parallel.forRanges(h, granule: 8, minimumPerWorker: max(8, h / workers)) { units in
                    for block in 0..<4 {
                        var j = block * h + units.lowerBound
                        let end = block * h + units.upperBound
                        // Four rows at a time: quantized formats share loads and one reduction.
                        while j + 4 <= end {
                            let projected: SIMD4<Float>
                            if let tableRow {
                                projected = UnsafeRawPointer(tableRow + j).loadUnaligned(as: SIMD4<Float>.self)
                            } else {
                                projected = UnsafeRawPointer(bias.baseAddress! + j).loadUnaligned(as: SIMD4<Float>.self)
                                    + inputMatrix.dot4(input, row: j)
                            }
                            UnsafeMutableRawPointer(g + j).storeBytes(of: projected + recurrentMatrix.dot4(hPrev, row: j),
                                                                      as: SIMD4<Float>.self)
                            j += 4
                        }
                        while j < end {
                            let projected: Float
                            if let tableRow { projected = tableRow[j] } else { projected = bias[j] + inputMatrix.dot(input, row: j) }
                            g[j] = projected + recurrentMatrix.dot(hPrev, row: j)
                            j += 1
                        }
                    }
                    LSTMKernels.forward(units: units, hidden: h, gates: g, cellIn: c, cellOut: c, hiddenOut: hNext)
                }
            }
            below = UnsafePointer(hNext)
            if let attention, k == attention.weights.layer {
                attention.step(below)
                below = UnsafePointer(attention.output)
            }
        }
        swap(&hidden, &nextHidden)
        decode(below)
        return UnsafePointer(logits)
    }

    /// The decoder: logits = W·top + b, its rows split over the workers; with an adaptive
    /// softmax, its log-probabilities.
    private func decode(_ top: UnsafePointer<Float>) {
        let w = weights, h = config.hiddenSize
        if let adaptive = w.adaptive {
            adaptive.logProbabilities(top, into: logits, scratch: adaptiveScratch)
            return
        }
        let bias = w.decoderBias
        let matrix = w.decoder!.rowReader, out = logits
        Parallel.forRanges(config.vocabularySize, granule: 16, minimumPerWorker: max(16, (1 << 15) / max(1, h))) { rows in
            var v = rows.lowerBound
            while v + 4 <= rows.upperBound {
                let sums = UnsafeRawPointer(bias + v).loadUnaligned(as: SIMD4<Float>.self) + matrix.dot4(top, row: v)
                UnsafeMutableRawPointer(out + v).storeBytes(of: sums, as: SIMD4<Float>.self)
                v += 4
            }
            while v < rows.upperBound {
                out[v] = bias[v] + matrix.dot(top, row: v)
                v += 1
            }
        }
    }
}
