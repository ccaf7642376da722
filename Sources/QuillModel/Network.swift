import QuillCore
import QuillKernels

/// Embedding → recurrent layer × L (dropout between) → dropout → Linear: the word_language_model
/// RNNModel, with an LSTM, GRU or vanilla RNN cell, as one caller runs it. A network is one
/// user's work over some weights: its layers' buffers, its logits and its gradients. Training owns
/// a network over a writable copy of the weights (`init(config:)`, `init(training:)`); every
/// evaluation and generation context owns a network that reads a `LanguageModel`'s immutable
/// weights in place (`init(model:)`), so any number of them can run at once on one model.
///
/// With `config.attention`, the attention head (`AttentionLayer`) follows layer L − 1 (the only
/// layer when L = 1): its output, not the layer's, goes on to the dropout and the layer above,
/// and its memory travels in the caller's `RecurrentState` beside the hidden state.
///
/// Shape letters: T time steps, B batch rows, V vocabulary, E embedding, H hidden, L layers.
/// Rows of every activation are time-major (`t·B + b`).
///
/// One training step is `forward` → `lossAndGradient` → `backward`; the gradients accumulate into
/// `gradients` (zero them between steps with `gradients.zero()`). `regularization` adds AWD-LSTM's
/// training-time regularisers (embedding dropout, weight-drop, locked dropout, AR/TAR), whose
/// penalty `activationPenalty()` reports apart from the cross-entropy.
package final class Network {
    /// The model's shape and cell.
    package let config: ModelConfig
    /// Weights under PyTorch's names (see `ModelConfig.parameterShapes`): writable in training,
    /// a read-only view of a `LanguageModel` otherwise.
    package let parameters: ParameterStore
    /// Gradients, same layout as `parameters` (empty in a read-only network, which has none).
    package let gradients: ParameterStore

    private let layers: [RecurrentLayer]
    /// The attention head after layer `config.attentionLayer`, when the model has one.
    private let attention: AttentionLayer?
    /// The adaptive softmax in place of the decoder, when the model has one.
    private let adaptive: AdaptiveSoftmaxLayer?
    private let dropouts: [Dropout]       // 0: embedding output, k: after layer k-1 (k = 1…L)
    private let embedded = Workspace()    // (T·B, E) embedding output after dropout
    private let between: [Workspace]      // (T·B, H) dropped-out output of layer k (used only while dropout is active)
    /// Input of layer k (k < L) and of the decoder (k = L) in the last forward: the dropped-out
    /// copy, or the layer's own output when dropout is off.
    private var layerInputs: [UnsafePointer<Float>] = []
    private let logitsBuffer = Workspace() // (T·B, V) logits, then their gradient
    private let gradA = Workspace(), gradB = Workspace() // (T·B, max(E, H)) ping-pong input gradients
    private var rowLosses: [Double] = []   // (T·B) per-position losses
    private var inputIDs: [Int32] = []
    /// Embedding dropout's per-row factor (V) in the last training forward, when active.
    private let embeddingMask = Workspace()
    private var dropsEmbeddingRows = false
    /// The last forward was a training one (the activation penalties apply only then).
    private var trained = false
    /// AWD regularisers applied in training (`Regularization`); none by default.
    package var regularization = Regularization()
    /// Masks to use instead of drawing them, for checks against a reference: embedding dropout's
    /// per-row factors (V values) and weight-drop's per-layer masks over W_hh (G·H·H each).
    var givenMasks: (embedding: [Float]?, weightDrop: [[Float]]?) = (nil, nil)
    private(set) var steps = 0
    private(set) var batch = 0

    /// A trainable network with zero weights; call `initialize` or copy weights in.
    package convenience init(config: ModelConfig) throws {
        try config.validate()
        let parameters = ParameterStore(shapes: config.parameterShapes)
        self.init(config: config, parameters: parameters, gradients: ParameterStore(sameLayoutAs: parameters))
    }

    /// A trainable network starting from a copy of `model`'s weights; training it leaves `model`
    /// as it was.
    package convenience init(training model: LanguageModel) {
        let parameters = ParameterStore(copying: model)
        self.init(config: model.config, parameters: parameters, gradients: ParameterStore(sameLayoutAs: parameters))
    }

    /// A forward-only network reading `model`'s weights in place: one caller's context for
    /// evaluation or generation. It keeps the weights alive; `backward` is not available.
    package convenience init(model: LanguageModel) {
        self.init(config: model.config, parameters: ParameterStore(viewing: model), gradients: ParameterStore(shapes: []))
    }

    private init(config: ModelConfig, parameters: ParameterStore, gradients: ParameterStore) {
        self.config = config
        self.parameters = parameters
        self.gradients = gradients
        layers = (0..<config.layers).map { k in
            config.cell.makeLayer(index: k, inputSize: k == 0 ? config.embeddingSize : config.hiddenSize,
                                  hiddenSize: config.hiddenSize, parameters: parameters, gradients: gradients)
        }
        attention = config.attention.map {
            AttentionLayer(hiddenSize: config.hiddenSize, capacity: $0.memory, parameters: parameters, gradients: gradients)
        }
        adaptive = config.adaptiveSoftmax.map {
            AdaptiveSoftmaxLayer(spec: $0, vocabularySize: config.vocabularySize, hiddenSize: config.hiddenSize,
                                 parameters: parameters, gradients: gradients)
        }
        dropouts = (0...config.layers).map { _ in Dropout(probability: config.dropout) }
        between = (0..<config.layers).map { _ in Workspace() }
    }

    /// Whether `backward` may run: the network owns writable weights and gradients.
    package var isTrainable: Bool { !parameters.isReadOnly }

    /// The current weights as an immutable value (a copy: later training does not change it).
    package func snapshot() -> LanguageModel { LanguageModel(config: config, copying: parameters) }

    private var decoderWeightName: String { config.tieWeights ? "encoder.weight" : "decoder.weight" }

    /// Draws the initial weights from `rng` in parameter order.
    package func initialize(rng: inout SeededGenerator) {
        precondition(isTrainable, "initializing read-only weights")
        let h = Float(config.hiddenSize)
        for entry in parameters.entries {
            let p = parameters.values + entry.offset
            let isBias = entry.shape.count == 1
            if let constant = Self.attentionInitialValue(entry.name) {
                for i in 0..<entry.count { p[i] = constant }
                continue
            }
            let bound: Float
            switch config.initialization {
            case .pytorch:
                if entry.name.hasPrefix("rnn.") || entry.name.hasPrefix("attention.") { bound = 1 / h.squareRoot() }
                else if entry.name == "decoder.bias" || entry.name == "decoder.head.bias" { bound = 0 }
                else { bound = 0.1 }
            case .xavier:
                bound = isBias ? 0 : (6 / Float(entry.shape[0] + entry.shape[1])).squareRoot()
            case .uniform:
                bound = config.initializationRange
            }
            for i in 0..<entry.count { p[i] = bound == 0 ? 0 : rng.nextUniform(in: -bound, bound) }
        }
    }

    /// The value every entry of an attention tensor starts at, where it does not start random:
    /// LayerNorm's gain 1 and shift 0 (PyTorch's), and gates 0 (σ = ½), as SHA-RNN starts them.
    private static func attentionInitialValue(_ name: String) -> Float? {
        switch name {
        case "attention.query_norm.weight": return 1
        case "attention.query_norm.bias", "attention.key_gate", "attention.value_gate": return 0
        default: return nil
        }
    }

    /// Runs the network over a (T, B) batch of input ids from `state`, which is advanced to the
    /// final state. Returns a pointer to the (T·B, V) logits in this network's own buffer, valid
    /// until its next call (another network on the same weights never touches it).
    /// - Parameters:
    ///   - dropoutMasks: in training, masks to use instead of drawing them: L + 1 of them, for the
    ///     embedding output (T·B·E values) and each layer's output (T·B·H), each value 0 or
    ///     1/(1−p). For checking against another implementation's masks; nil draws from `rng`.
    ///   - lastStepOnly: run the decoder on the last step's B rows only (priming generation with a
    ///     prompt, whose earlier logits nobody reads); the result then holds (B, V) logits.
    ///   - distribution: false when the caller reads only `lossAndGradient` (training, scoring):
    ///     an adaptive-softmax model then skips its full distribution, whose place the loss's
    ///     head and touched clusters take, and the returned buffer's contents are unspecified. A
    ///     model with the full softmax computes its logits either way.
    ///
    /// An adaptive-softmax model's "logits" are its log-probabilities log p(w): a softmax of them
    /// is the model's distribution, as a softmax of logits is.
    @discardableResult
    package func forward(inputs: [Int32], steps t: Int, batch b: Int, state: inout RecurrentState,
                        training: Bool, rng: inout SeededGenerator, dropoutMasks: [[Float]]? = nil,
                        lastStepOnly: Bool = false, distribution: Bool = true) -> UnsafeMutablePointer<Float> {
        precondition(!training || isTrainable, "a training forward pass on read-only weights")
        precondition(dropoutMasks == nil || dropoutMasks!.count == config.layers + 1, "dropout masks: one per site, L + 1")
        precondition(inputs.count == t * b, "inputs hold \(inputs.count) ids for T=\(t), B=\(b)")
        precondition(state.batchSize == b && state.layers == config.layers && state.hiddenSize == config.hiddenSize
                     && state.cell.isEmpty != config.cell.hasCellState, "state does not fit the model and batch")
        // The embedding lookup reads unchecked memory, so out-of-range ids must stop here.
        let v32 = Int32(config.vocabularySize)
        precondition(inputs.allSatisfy { $0 >= 0 && $0 < v32 }, "input id outside 0..<\(config.vocabularySize)")
        steps = t
        batch = b
        trained = training
        inputIDs = inputs
        let locked = training && regularization.lockedDropout
        let x0 = embed(inputs, batch: b, training: training, rng: &rng, mask: dropoutMasks?[0], locked: locked)
        for (k, layer) in layers.enumerated() {
            if training {
                layer.core.dropRecurrentWeights(probability: regularization.weightDrop, rng: &rng, given: givenMasks.weightDrop?[k])
            } else {
                layer.core.keepRecurrentWeights()
            }
        }
        let top = runLayers(from: x0, steps: t, batch: b, state: &state, training: training, rng: &rng,
                            dropoutMasks: dropoutMasks, locked: locked)
        if adaptive != nil && !distribution { return logitsBuffer.pointer }
        return decode(top, rows: lastStepOnly ? b : t * b, skipping: lastStepOnly ? (t - 1) * b : 0)
    }

    /// (T·B, E) embedding rows of `inputs` (whole rows dropped by embedding dropout), then
    /// dropout in place.
    private func embed(_ inputs: [Int32], batch b: Int, training: Bool, rng: inout SeededGenerator, mask: [Float]?,
                       locked: Bool) -> UnsafePointer<Float> {
        let e = config.embeddingSize, rows = inputs.count
        let x0 = embedded.buffer(rows * e)
        let table = parameters.pointer("encoder.weight")
        let rowFactors = drawEmbeddingMask(training: training, rng: &rng)
        Profiler.measure(.embedding) {
            for r in 0..<rows {
                let id = Int(inputs[r])
                (x0 + r * e).update(from: table + id * e, count: e)
                if let rowFactors, rowFactors[id] != 1 { for j in 0..<e { x0[r * e + j] *= rowFactors[id] } }
            }
        }
        Profiler.measure(.dropout) {
            dropouts[0].forward(x0, into: x0, count: rows * e, training: training, rng: &rng, given: mask,
                                lockedPeriod: locked ? b * e : nil)
        }
        return UnsafePointer(x0)
    }

    /// Every layer from `x0`, each followed by its dropout, advancing `state`; records each
    /// layer's input for backward and returns the (T·B, H) input of the decoder.
    private func runLayers(from x0: UnsafePointer<Float>, steps t: Int, batch b: Int, state: inout RecurrentState,
                           training: Bool, rng: inout SeededGenerator, dropoutMasks: [[Float]]?, locked: Bool) -> UnsafePointer<Float> {
        let h = config.hiddenSize, rows = t * b
        var input = x0
        layerInputs = [input]
        var hidden = state.hidden, cell = state.cell
        hidden.withUnsafeMutableBufferPointer { hs in
            cell.withUnsafeMutableBufferPointer { cs in
                for (k, layer) in layers.enumerated() {
                    let offset = k * b * h
                    layer.forward(input: input, steps: t, batch: b, h0: hs.baseAddress! + offset,
                                  c0: cs.baseAddress.map { $0 + offset })
                    var output = layer.output
                    if let attention, k == config.attentionLayer {
                        output = Profiler.measure(.attention) {
                            attention.forward(input: layer.output, steps: t, batch: b, memory: &state.memory,
                                              lengths: &state.memoryLengths)
                        }
                    }
                    Profiler.measure(.dropout) {
                        if training && config.dropout > 0 {
                            let y = between[k].buffer(rows * h)
                            dropouts[k + 1].forward(output, into: y, count: rows * h, training: true, rng: &rng,
                                                    given: dropoutMasks?[k + 1], lockedPeriod: locked ? b * h : nil)
                            input = UnsafePointer(y)
                        } else {
                            dropouts[k + 1].forward(output, into: output, count: rows * h, training: false, rng: &rng)
                            input = UnsafePointer(output)
                        }
                    }
                    layerInputs.append(input)
                }
            }
        }
        state.hidden = hidden
        state.cell = cell
        return input
    }

    /// Layer `k`'s activations in the last forward, read in place (valid until this network's
    /// next call): output and cell state (T·B, H) after each step, and the activated gates
    /// (T·B, G·H) in the cell's block order. `cell` is nil without a cell state, `gates` nil for a
    /// vanilla RNN. In evaluation the output is also what the next layer read (no dropout), except
    /// below an attention head, whose output the next layer reads instead.
    package func activations(layer k: Int) -> (output: UnsafePointer<Float>, cell: UnsafePointer<Float>?,
                                               gates: UnsafePointer<Float>?) {
        precondition(k >= 0 && k < layers.count, "layer \(k) of \(layers.count)")
        return (UnsafePointer(layers[k].output), layers[k].cellStates, layers[k].activatedGates)
    }

    /// The attention head's weights in the last forward, read in place (valid until this
    /// network's next forward), or nil without a head: for batch row b and step s, the P + T
    /// weights at `weights + (b·T + s)·(P + T)`; column j < P is the memory slot holding the state
    /// P − j positions before the window, column P + j the window's step j. A row sums to 1 over
    /// the positions it may attend (itself and at most M before it, within the row's memory) and
    /// is 0 elsewhere. With batch 1 and the state carried from a zero start, column j of the
    /// window starting at stream position `start` is stream position start − P + j.
    package func attentionWeights() -> (weights: UnsafePointer<Float>, past: Int)? {
        guard let attention else { return nil }
        let last = attention.lastWeights
        precondition(last.steps > 0, "attention weights read before a forward")
        return (last.pointer, last.past)
    }

    /// The (T·B, H) rows the decoder read in the last forward, in place (valid until this
    /// network's next forward): the top layer's output, or the attention head's above it. A
    /// neural cache keys on these.
    package func decoderInput() -> UnsafePointer<Float> {
        precondition(layerInputs.count == config.layers + 1, "decoder input read before a forward")
        return layerInputs[config.layers]
    }

    /// Decoder: logits = Y·Wᵀ + b for `rows` rows of `top` after the first `skipping`, one GEMM.
    private func decode(_ top: UnsafePointer<Float>, rows: Int, skipping: Int) -> UnsafeMutablePointer<Float> {
        let h = config.hiddenSize, v = config.vocabularySize
        let logits = logitsBuffer.buffer(rows * v)
        if let adaptive {
            adaptive.logProbabilities(input: top + skipping * h, rows: rows, into: logits)
            return logits
        }
        let bias = parameters.pointer("decoder.bias")
        let decoderWeight = parameters.pointer(decoderWeightName)
        Profiler.measure(.headGEMM) {
            GEMM.multiply(m: rows, n: v, k: h, a: top + skipping * h, lda: h, b: decoderWeight, ldb: h,
                          transposeB: true, beta: 0, c: logits, ldc: v, bias: bias)
        }
        return logits
    }

    /// Mean cross-entropy of the last forward's logits against (T, B) targets, counting only
    /// positions whose mask is 1. Replaces the logits by the loss's gradient unless
    /// `computeGradient` is false.
    /// - Returns: the summed loss (nats) over counted positions and how many positions counted.
    package func lossAndGradient(targets: [Int32], mask: [Float]?, computeGradient: Bool = true)
        -> (sum: Double, count: Int) {
        let rows = steps * batch
        precondition(targets.count == rows && (mask?.count ?? rows) == rows)
        let v32 = Int32(config.vocabularySize)
        precondition(targets.allSatisfy { $0 >= 0 && $0 < v32 }, "target id outside 0..<\(config.vocabularySize)")
        let counted = mask.map { Int($0.reduce(0, +)) } ?? rows
        if rowLosses.count < rows { rowLosses = [Double](repeating: 0, count: rows) }
        if let adaptive {
            let sum = targets.withUnsafeBufferPointer { tp in
                mask.withUnsafeOptionalBuffer { mp in
                    rowLosses.withUnsafeMutableBufferPointer { losses in
                        adaptive.loss(input: layerInputs[config.layers], rows: rows, targets: tp.baseAddress!, mask: mp,
                                      scale: 1 / Float(max(1, counted)), computeGradient: computeGradient,
                                      rowLosses: losses.baseAddress!)
                    }
                }
            }
            return (sum, counted)
        }
        let logits = logitsBuffer.pointer, classes = config.vocabularySize
        let sum = Profiler.measure(.softmaxLoss) { targets.withUnsafeBufferPointer { tp in
            mask.withUnsafeOptionalBuffer { mp in
                rowLosses.withUnsafeMutableBufferPointer { losses in
                    Softmax.crossEntropy(logits: logits, rows: rows, classes: classes,
                                         targets: tp.baseAddress!, mask: mp, scale: 1 / Float(max(1, counted)),
                                         computeGradient: computeGradient, rowLosses: losses.baseAddress!)
                }
            }
        } }
        return (sum, counted)
    }

    /// Position `r`'s loss (nats, row `t·B + b`) in the last `lossAndGradient`; 0 on a masked row.
    package func positionLoss(_ r: Int) -> Double {
        precondition(r >= 0 && r < steps * batch, "position \(r) of \(steps * batch)")
        return rowLosses[r]
    }

    /// Backpropagates the gradient left in the logits by `lossAndGradient`, adding every
    /// parameter's gradient into `gradients`.
    /// - Parameter stateGradient: when given, receives the gradient with respect to the initial
    ///   state (h0, c0) of the last forward.
    package func backward(stateGradient: UnsafeMutablePointer<RecurrentState>? = nil) {
        precondition(isTrainable, "backward through a forward-only network")
        let t = steps, b = batch, rows = t * b
        let e = config.embeddingSize, h = config.hiddenSize
        let decoderInput = layerInputs[config.layers]
        let width = max(e, h)
        var dOut = gradA.buffer(rows * width)
        var dIn = gradB.buffer(rows * width)
        if let adaptive {
            adaptive.backward(input: decoderInput, inputGrad: dOut)
        } else {
            decoderBackward(input: decoderInput, rows: rows, inputGrad: dOut)
        }

        // The memory gets no gradient, so its (zero) share of the state's is built only for a
        // caller that asks for the state's gradient: a fresh M·B·H buffer a step otherwise.
        var initial = stateGradient == nil
            ? RecurrentState(layers: config.layers, batchSize: b, hiddenSize: h, hasCellState: config.cell.hasCellState)
            : RecurrentState(config: config, batchSize: b)
        initial.hidden.withUnsafeMutableBufferPointer { dh in
            initial.cell.withUnsafeMutableBufferPointer { dc in
                for k in stride(from: config.layers - 1, through: 0, by: -1) {
                    let last = k == config.layers - 1
                    if last { addActivationPenaltyGradient(to: dOut, temporal: false) }
                    Profiler.measure(.dropout) { dropouts[k + 1].backward(dOut) }
                    if last { addActivationPenaltyGradient(to: dOut, temporal: true) }
                    if let attention, k == config.attentionLayer { Profiler.measure(.attentionBackward) { attention.backward(dOut) } }
                    let offset = k * b * h
                    layers[k].backward(input: layerInputs[k], outputGrad: dOut, inputGrad: dIn,
                                       hiddenGrad: dh.baseAddress! + offset, cellGrad: dc.baseAddress.map { $0 + offset })
                    swap(&dOut, &dIn)
                }
            }
        }
        stateGradient?.pointee = initial

        // Embedding: scatter-add rows of dX0 in input order (one thread, fixed order).
        Profiler.measure(.dropout) { dropouts[0].backward(dOut) }
        let dTable = gradients.pointer("encoder.weight")
        let rowFactors = dropsEmbeddingRows ? UnsafePointer(embeddingMask.pointer) : nil
        Profiler.measure(.embeddingBackward) {
            for r in 0..<rows {
                let id = Int(inputIDs[r])
                let dst = dTable + id * e, src = dOut + r * e
                if let rowFactors {
                    let f = rowFactors[id]
                    if f != 0 { for j in 0..<e { dst[j] += src[j] * f } }
                } else {
                    for j in 0..<e { dst[j] += src[j] }
                }
            }
        }
    }

    /// Decoder: dW += dLogitsᵀ·Y, db += Σ rows, dY = dLogits·W, from the gradient
    /// `lossAndGradient` left in the logits.
    private func decoderBackward(input y: UnsafePointer<Float>, rows: Int, inputGrad dY: UnsafeMutablePointer<Float>) {
        let h = config.hiddenSize, v = config.vocabularySize
        let dLogits = UnsafePointer(logitsBuffer.pointer)
        let decoderWeight = parameters.pointer(decoderWeightName), decoderGrad = gradients.pointer(decoderWeightName)
        let biasGrad = gradients.pointer("decoder.bias")
        Profiler.measure(.headBackward) {
            GEMM.multiply(m: v, n: h, k: rows, a: dLogits, lda: v, transposeA: true, b: y, ldb: h,
                          beta: 1, c: decoderGrad, ldc: h)
            ColumnSums.add(dLogits, rows: rows, columns: v, into: biasGrad)
            GEMM.multiply(m: rows, n: h, k: v, a: dLogits, lda: v, b: decoderWeight, ldb: h,
                          beta: 0, c: dY, ldc: h)
        }
    }

    /// Embedding dropout's factor per vocabulary row for this forward (0 or 1/(1−p)), or nil when
    /// it is off. Drawn from `rng` in row order.
    private func drawEmbeddingMask(training: Bool, rng: inout SeededGenerator) -> UnsafePointer<Float>? {
        let p = regularization.embeddingDropout, v = config.vocabularySize
        dropsEmbeddingRows = training && (p > 0 || givenMasks.embedding != nil)
        guard dropsEmbeddingRows else { return nil }
        let m = embeddingMask.buffer(v)
        if let given = givenMasks.embedding {
            precondition(given.count == v, "an embedding mask of \(given.count) values for \(v) rows")
            given.withUnsafeBufferPointer { m.update(from: $0.baseAddress!, count: v) }
        } else {
            let scale = 1 / (1 - p)
            for i in 0..<v { m[i] = rng.nextUniform() < p ? 0 : scale }
        }
        return UnsafePointer(m)
    }

    /// The activation penalties of the last training forward (`Regularization.activation` and
    /// `.temporalActivation`): α·mean(y²) over the decoder's input (the last layer's output after
    /// dropout) plus β·mean((h_t − h_{t−1})²) over the last layer's output before dropout. Zero
    /// when both are off. Not part of `lossAndGradient`'s sum, which stays the cross-entropy.
    package func activationPenalty() -> Double {
        let (alpha, beta) = (Double(regularization.activation), Double(regularization.temporalActivation))
        let h = config.hiddenSize, rows = steps * batch
        var total = 0.0
        guard trained else { return 0 }
        if alpha > 0 {
            let y = layerInputs[config.layers]
            var sum = 0.0
            for i in 0..<(rows * h) { sum += Double(y[i]) * Double(y[i]) }
            total += alpha * sum / Double(rows * h)
        }
        if beta > 0 && steps > 1 {
            let y = siteOutput(config.layers - 1), n = (rows - batch) * h
            var sum = 0.0
            for i in 0..<n { let d = Double(y[i + batch * h]) - Double(y[i]); sum += d * d }
            total += beta * sum / Double(n)
        }
        return total
    }

    /// What layer k hands to its dropout: the attention head's output after the attended layer,
    /// the layer's own output elsewhere.
    private func siteOutput(_ k: Int) -> UnsafeMutablePointer<Float> {
        if let attention, k == config.attentionLayer { return attention.output.pointer }
        return layers[k].output
    }

    /// Adds the gradient of `activationPenalty` to `grad`: AR's with respect to the dropped-out
    /// output (`temporal` false, before dropout's backward), TAR's with respect to the output
    /// before dropout (`temporal` true, after it).
    private func addActivationPenaltyGradient(to grad: UnsafeMutablePointer<Float>, temporal: Bool) {
        let h = config.hiddenSize, rows = steps * batch, stride = batch * h
        guard trained else { return }
        if !temporal, regularization.activation > 0 {
            let y = layerInputs[config.layers], scale = 2 * regularization.activation / Float(rows * h)
            for i in 0..<(rows * h) { grad[i] += scale * y[i] }
        }
        if temporal, regularization.temporalActivation > 0, steps > 1 {
            let y = UnsafePointer(siteOutput(config.layers - 1))
            let scale = 2 * regularization.temporalActivation / Float((rows - batch) * h)
            // d/dy_t of Σ (y_t − y_{t−1})²: (y_t − y_{t−1}) from its own term, −(y_{t+1} − y_t) from the next.
            for i in 0..<(rows * h) {
                var g: Float = 0
                if i >= stride { g += y[i] - y[i - stride] }
                if i + stride < rows * h { g -= y[i + stride] - y[i] }
                grad[i] += scale * g
            }
        }
    }
}
