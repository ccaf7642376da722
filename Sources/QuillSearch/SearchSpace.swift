import Foundation
import QuillCheckpoint
import QuillCore
import QuillKernels
import QuillModel
import QuillText
import QuillTraining

/// The ranges `quill search` samples trials from. Learning rates are drawn log-uniformly, dropout
/// probabilities uniformly, and sizes, lengths, batches, the optimizer and locked dropout from
/// lists. A range whose ends are equal, or a list of one value, fixes the parameter.
public struct SearchSpace: Codable, Equatable, Sendable {
    /// Adam, AdamW and RMSprop learning rates (log-uniform). Trials decay their rate to zero over a short
    /// budget, which wants a higher start than a constant rate would (on PTB, a cosine from 0.002
    /// lost to a constant 0.002 at equal steps).
    public var learningRate: ClosedRange<Double> = 0.001...0.01
    /// SGD learning rates (log-uniform).
    public var sgdLearningRate: ClosedRange<Double> = 0.5...20
    /// Hidden sizes H.
    public var hiddenSizes = [128, 256, 384, 512]
    /// Layer counts L.
    public var layers = [1, 2, 3]
    /// Embedding sizes E (a tied trial's E is its H).
    public var embeddingSizes = [32, 64, 128]
    /// Whether the decoder shares the embedding (word models gain most from it).
    public var tieWeights = [false]
    /// Dropout probabilities (uniform).
    public var dropout: ClosedRange<Double> = 0...0.4
    /// Weight-drop probabilities (uniform).
    public var weightDrop: ClosedRange<Double> = 0...0.4
    /// Embedding-dropout probabilities (uniform).
    public var embeddingDropout: ClosedRange<Double> = 0...0.1
    /// Whether dropout masks are locked.
    public var lockedDropout = [false, true]
    /// Window lengths T.
    public var sequenceLengths = [32, 64, 128]
    /// Batch sizes B.
    public var batchSizes = [16, 32, 64]
    /// Optimizers (SGD is left out by default: at these budgets it rarely catches up with Adam).
    public var optimizers: [Optimizer.Kind] = [.adam, .adamw, .rmsprop]
    /// Bpe vocabulary sizes (`--vocab-size`); nil, the default, leaves every trial the run's own
    /// size. Searched, they make trials' losses per token incomparable, so the search then ranks
    /// trials by nats per character (`HyperparameterSearch`).
    public var vocabularySizes: [Int]? = nil

    /// Attention memories M to draw from, 0 for a model without the head. nil means [0] and draws
    /// nothing, so a character or bpe space without the key samples the same trials as before it
    /// existed; the word space's default is [0, 256] (the short word recipe has the head).
    public var attentionMemories: [Int]? = nil

    /// `attentionMemories` with its default filled in.
    var attentionChoices: [Int] { attentionMemories ?? [0] }

    /// The default space for a level: word models get word-sized layers and embeddings.
    public init(level: TokenLevel = .char) {
        if level == .word {
            hiddenSizes = [256, 400, 512, 650]
            embeddingSizes = [100, 200, 400]
            tieWeights = [true, false]
            sequenceLengths = [35, 64]
            batchSizes = [20, 32]
            // Up to the heaviest pair the word recipe takes for a text it reads often (BudgetRecipe).
            dropout = 0...0.7
            weightDrop = 0...0.5
            // With and without the head the short word recipe has (docs/attention.md).
            attentionMemories = [0, ModelConfig.Attention.defaultMemory]
        }
    }

    /// The keys a space file may hold: the training settings' search keys (`TrainingSetting`),
    /// with `sgd_lr`, SGD's learning rates, after `lr`.
    public static let keys: [String] = TrainingSetting.all.compactMap(\.searchKey).flatMap { $0 == "lr" ? [$0, "sgd_lr"] : [$0] }

    /// Reads a JSON object whose keys (`keys`) replace the default ranges: `[low, high]` or one
    /// number for ranges, a list or one value for the others. Throws `QuillError.invalidValue`
    /// naming the file and the key at fault.
    public init(json text: String, level: TokenLevel = .char, path: String = "space") throws {
        self.init(level: level)
        let example = "write one such as {\"hidden\": [256, 512], \"lr\": [0.001, 0.005]}"
        let parsed: JSONValue
        do { parsed = try JSONParser.parse(Array(text.utf8)) } catch {
            throw QuillError.invalidValue(name: "the search space \(path)", value: "not JSON (\(error))", problem: example)
        }
        guard let object = parsed.object else {
            throw QuillError.invalidValue(name: "the search space \(path)", value: "not a JSON object", problem: example)
        }
        for key in object.keys.sorted() where !Self.keys.contains(key) {
            throw QuillError.invalidValue(name: "\(path): key '\(key)'", value: "unknown",
                                          problem: "the known keys are \(Self.keys.joined(separator: ", "))")
        }
        func fail(_ key: String, _ what: String) -> QuillError {
            .invalidValue(name: "\(path): '\(key)'", value: object[key]?.jsonText ?? "missing", problem: "it must be \(what)")
        }
        func list<T>(_ key: String, _ what: String, _ convert: (JSONValue) -> T?) throws -> [T]? {
            guard let value = object[key] else { return nil }
            let items = value.items.compactMap(convert)
            guard !items.isEmpty, items.count == value.items.count else { throw fail(key, what) }
            return items
        }
        func range(_ key: String, within limits: ClosedRange<Double>, positive: Bool = false) throws -> ClosedRange<Double>? {
            let what = "[low, high] or one number, with low ≤ high, within \(limits.lowerBound)…\(limits.upperBound)\(positive ? " and above 0" : "")"
            guard let values = try list(key, what, \.number) else { return nil }
            guard values.count <= 2, let low = values.first, let high = values.last, low <= high,
                  limits.contains(low), limits.contains(high), !positive || low > 0 else { throw fail(key, what) }
            return low...high
        }
        func integers(_ key: String) throws -> [Int]? {
            try list(key, "a positive whole number or a list of them") { v in
                v.number.flatMap { $0 >= 1 && $0 <= 1_000_000 && $0.rounded() == $0 ? Int($0) : nil }
            }
        }
        if let r = try range("lr", within: 0...1e6, positive: true) { learningRate = r }
        if let r = try range("sgd_lr", within: 0...1e6, positive: true) { sgdLearningRate = r }
        if let r = try range("dropout", within: 0...0.95) { dropout = r }
        if let r = try range("weight_drop", within: 0...0.95) { weightDrop = r }
        if let r = try range("embedding_dropout", within: 0...0.95) { embeddingDropout = r }
        if let v = try integers("hidden") { hiddenSizes = v }
        if let v = try integers("layers") { layers = v }
        if let v = try integers("embed") { embeddingSizes = v }
        if let v = try integers("seq_len") { sequenceLengths = v }
        if let v = try integers("batch") { batchSizes = v }
        if let v = try list("locked_dropout", "true, false or a list of them", \.bool) { lockedDropout = v }
        if let v = try list("tie", "true, false or a list of them", \.bool) { tieWeights = v }
        if object["vocab_size"] != nil {
            let least = Vocabulary.bytePairSpecials(sequenceMode: false).count + 256
            guard level == .bpe else { throw fail("vocab_size", "left out at the \(level.rawValue) level: a bpe vocabulary's size is searched at --level bpe only") }
            let what = "a whole number from \(least) (the specials and 256 bytes) to \(ModelConfig.limits.vocabulary), or a list of them"
            guard let v = try list("vocab_size", what, { v in
                v.number.flatMap { $0 >= Double(least) && $0 <= Double(ModelConfig.limits.vocabulary) && $0.rounded() == $0 ? Int($0) : nil }
            }) else { throw fail("vocab_size", what) }
            vocabularySizes = v
        }
        // false: no head; true: the head with `quill train`'s default memory; a number: that memory.
        let attentionWhat = "true, false, a memory size from 1 to \(ModelConfig.Attention.memoryLimit) or a list of them"
        if let v = try list("attention", attentionWhat, { value -> Int? in
            if let on = value.bool { return on ? ModelConfig.Attention.defaultMemory : 0 }
            return value.number.flatMap { $0 >= 1 && $0 <= Double(ModelConfig.Attention.memoryLimit) && $0.rounded() == $0 ? Int($0) : nil }
        }) {
            attentionMemories = v
        }
        let names = Optimizer.Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        if let v = try list("optimizer", "one of \(names) or a list of them", { $0.string.flatMap(Optimizer.Kind.init(rawValue:)) }) {
            optimizers = v
        }
    }

    /// Draws one trial's parameters from `rng`, always in the same order.
    package func sample(_ rng: inout SeededGenerator) -> TrialParameters {
        func pick<T>(_ list: [T]) -> T { list[rng.nextInt(below: list.count)] }
        func uniform(_ r: ClosedRange<Double>) -> Double { r.lowerBound + (r.upperBound - r.lowerBound) * rng.nextUniformDouble() }
        func logUniform(_ r: ClosedRange<Double>) -> Double { exp(uniform(log(r.lowerBound)...log(r.upperBound))) }
        /// Rounded to 3 significant digits, so the winner's command reads well and reproduces it
        /// (and kept within the range the rounding may have stepped out of).
        func round3(_ x: Double, in r: ClosedRange<Double>) -> Double {
            guard x > 0 else { return 0 }
            let scale = pow(10, 2 - floor(log10(x)))
            // Below about 1e-306 the scale overflows (and x·∞/∞ is NaN): such a value stays as drawn.
            let rounded = scale.isFinite ? (x * scale).rounded() / scale : x
            return min(max(rounded, r.lowerBound), r.upperBound)
        }
        let optimizer = pick(optimizers)
        let rates = optimizer == .sgd ? sgdLearningRate : learningRate
        let hidden = pick(hiddenSizes), layerCount = pick(layers), embedding = pick(embeddingSizes), tied = pick(tieWeights)
        var p = TrialParameters(
            learningRate: round3(logUniform(rates), in: rates), hiddenSize: hidden, layers: layerCount,
            embeddingSize: tied ? hidden : embedding, tieWeights: tied, dropout: Float(round3(uniform(dropout), in: dropout)),
            weightDrop: Float(round3(uniform(weightDrop), in: weightDrop)),
            embeddingDropout: Float(round3(uniform(embeddingDropout), in: embeddingDropout)), lockedDropout: pick(lockedDropout),
            sequenceLength: pick(sequenceLengths), batchSize: pick(batchSizes), optimizer: optimizer)
            // Drawn last and only when searched, so a space without it draws what it always drew.
            .with(vocabularySize: vocabularySizes.map(pick))
        // Drawn after the vocabulary size, and only when there is a choice, so the draws before it stay those of a space without the key.
        let memory = attentionChoices.count > 1 ? pick(attentionChoices) : attentionChoices[0]
        p.attentionMemory = memory > 0 ? memory : nil
        return p
    }

    /// Whether `p` lies in this space.
    public func contains(_ p: TrialParameters) -> Bool {
        let rates = p.optimizer == .sgd ? sgdLearningRate : learningRate
        // Probabilities are stored as Float: compared at that precision.
        func holds(_ r: ClosedRange<Double>, _ x: Float) -> Bool { Float(r.lowerBound) <= x && x <= Float(r.upperBound) }
        return rates.contains(p.learningRate) && hiddenSizes.contains(p.hiddenSize) && layers.contains(p.layers)
            && tieWeights.contains(p.tieWeights) && (p.tieWeights ? p.embeddingSize == p.hiddenSize : embeddingSizes.contains(p.embeddingSize))
            && holds(dropout, p.dropout) && holds(weightDrop, p.weightDrop)
            && holds(embeddingDropout, p.embeddingDropout) && lockedDropout.contains(p.lockedDropout)
            && sequenceLengths.contains(p.sequenceLength) && batchSizes.contains(p.batchSize) && optimizers.contains(p.optimizer)
            && (vocabularySizes.map { sizes in p.vocabularySize.map(sizes.contains) ?? false } ?? (p.vocabularySize == nil))
            && attentionChoices.contains(p.attentionMemory ?? 0)
    }
}
