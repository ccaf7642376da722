import Foundation
import QuillCore
import QuillInference
import QuillKernels
import QuillModel
import QuillText

/// Scores a text while adapting to it: dynamic evaluation (`DynamicEvaluation`), a neural cache
/// (`CacheSettings`), or both. The text is cut into B contiguous streams read side by side in
/// segments, as static scoring at `--batch B` reads it, the state carried across segments; one
/// update is made from each segment of all B streams, and each stream has its own cache. So the
/// result depends on B (B = 1 is Krause's sequential pass over one stream) but on nothing else:
/// each segment runs on the threaded kernels, which give the same bits at any thread count.
/// Dynamic evaluation adapts a copy of the weights: the loaded model, and the checkpoint it came
/// from, stay as they were.
///
/// An int8 or bfloat16 model adapts its dequantized float32 weights (the values `LoadedModel`
/// already computes with); scoring runs on float32, and `adapt` rounds the copy back to the
/// loaded format.
public struct AdaptiveScorer {
    /// Where dynamic evaluation's gradient statistics came from.
    public enum StatisticsSource: Sendable, Equatable {
        /// The first `tokens` tokens of a separate training text.
        case trainingText(path: String, tokens: Int)
        /// The first `tokens` tokens of the scored text itself (which are scored too).
        case scoredText(tokens: Int)
    }

    /// The adapted score of one text.
    public struct Result: Sendable {
        /// Positions scored: the text's tokens − 1 for one stream; for B streams (L − 1)·B, with
        /// L = ⌊tokens / B⌋ (the positions static scoring at the same batch counts).
        public let tokens: Int
        /// Mean cross-entropy, nats per token.
        public let crossEntropy: Double
        /// exp(cross-entropy).
        public var perplexity: Double { Foundation.exp(crossEntropy) }
        /// Bits per character at the char and bpe levels (nil at word level).
        public let bitsPerCharacter: Double?
        /// Wall-clock seconds, gathering the gradient statistics included.
        public let seconds: Double
        /// Where the gradient statistics came from (nil without dynamic evaluation).
        public let statistics: StatisticsSource?
    }

    /// The model scored.
    public let loaded: LoadedModel
    /// Dynamic evaluation's settings, or nil for none.
    public let dynamic: DynamicEvaluation?
    /// The cache's settings, or nil for none.
    public let cache: CacheSettings?
    /// Tokens per forward pass without dynamic evaluation (with it: its segment).
    public let window: Int
    /// B: contiguous streams read side by side.
    public let streams: Int

    /// - Parameters:
    ///   - window: tokens per forward pass when only the cache is on (the cache's result does not
    ///     depend on it beyond rounding).
    ///   - streams: B contiguous streams read side by side, each from a zero state; one dynamic
    ///     update per segment of all B (their mean gradient), one cache per stream. More streams
    ///     share each weight read and update, so the pass is faster; 1 adapts most often.
    public init(loaded: LoadedModel, dynamic: DynamicEvaluation?, cache: CacheSettings?, window: Int = 64,
                streams: Int) throws {
        guard window > 0 else { throw QuillError.invalidSetting(.positive(.sequenceLength, window)) }
        guard streams > 0 else { throw QuillError.invalidSetting(.positive(.batchSize, streams)) }
        if loaded.mode == .lines {
            throw QuillError.runtime("adapted scoring reads the text as streams, but this model was trained in lines mode (one line per sample), which dynamic evaluation and the cache do not support")
        }
        let steps = dynamic?.segment ?? window
        // Dynamic evaluation keeps gradients and three more arrays per weight (θ₀, step and decay
        // scales), as an optimizer with three moments would; each stream's cache up to 2N + T
        // stored states and its scores, blocks of 256 rows against N + 256 columns.
        let cacheFloats = cache.map { c in
            Double(streams) * (Double(2 * c.size + steps) * Double(loaded.model.config.hiddenSize)
                               + Double(NeuralCache.blockRows) * Double(c.size + NeuralCache.blockRows))
        } ?? 0
        try MemoryEstimate(config: loaded.model.config, batch: streams, steps: steps, training: dynamic != nil,
                           optimizerMoments: dynamic != nil ? 3 : 0, extraActivationBytes: 4 * cacheFloats, distribution: false)
            .check(setting: dynamic != nil ? .dynamicSegment : .sequenceLength, related: [.batchSize],
                   parametersFrom: "the checkpoint", activationsFrom: "batchSize \(streams) × \(dynamic != nil ? "dynamicSegment" : "sequenceLength") \(steps)")
        self.loaded = loaded
        self.dynamic = dynamic
        self.cache = cache
        self.window = window
        self.streams = streams
    }

    /// Scores the text at `path`; `trainingFile` (dynamic evaluation only) is the text whose
    /// gradients set the step sizes, by default the scored text's first tokens.
    public func score(file path: String, trainingFile: String? = nil) throws -> Result {
        try score(text: try TextFile(path: path), training: try trainingFile.map { try TextFile(path: $0) })
    }

    /// Scores text in memory (see `score(file:trainingFile:)`).
    public func score(text: String, trainingText: String? = nil) throws -> Result {
        try score(text: try TextFile(path: "text", bytes: Array(text.utf8)),
                  training: try trainingText.map { try TextFile(path: "training text", bytes: Array($0.utf8)) })
    }

    /// Adapts a copy of the weights to the document at `path` by one dynamic-evaluation pass over
    /// it (in `streams` streams); returns the adapted model (rounded to the loaded weight format)
    /// and the document's perplexity under the loaded weights and under the adapted ones (both
    /// scored as one stream in windows of `window`).
    public func adapt(toFile path: String, trainingFile: String? = nil) throws
        -> (model: LoadedModel, before: Double, after: Double) {
        try adapt(to: try TextFile(path: path), training: try trainingFile.map { try TextFile(path: $0) })
    }

    /// Adapts to text in memory (see `adapt(toFile:trainingFile:)`).
    public func adapt(toText text: String, trainingText: String? = nil) throws
        -> (model: LoadedModel, before: Double, after: Double) {
        try adapt(to: try TextFile(path: "text", bytes: Array(text.utf8)),
                  training: try trainingText.map { try TextFile(path: "training text", bytes: Array($0.utf8)) })
    }

    private func adapt(to text: TextFile, training: TextFile?) throws -> (model: LoadedModel, before: Double, after: Double) {
        guard dynamic != nil else { throw QuillError.runtime("adapting needs dynamic evaluation settings") }
        let ids = try encode(text)
        let network = Network(training: loaded.model)
        _ = try run(network: network, ids: ids, training: try training.map { (try encode($0), $0.path) }, path: text.path)
        // Rounded back to the format the caller loaded (`--weights`), which generation then runs in.
        let adapted = LoadedModel(model: network.snapshot(), vocabulary: loaded.vocabulary, level: loaded.level,
                                  mode: loaded.mode, summary: loaded.summary, weightFormat: loaded.weightFormat)
        return (adapted, try plainPerplexity(loaded.model, ids), try plainPerplexity(adapted.model, ids))
    }

    /// The perplexity of `ids` under fixed weights, read as one stream in windows of `window`.
    private func plainPerplexity(_ model: LanguageModel, _ ids: TokenIDs) throws -> Double {
        let score = Evaluator.score(model: model, batcher: .stream(try StreamBatcher(ids: ids, batchSize: 1, steps: window)))
        return Foundation.exp(score.sum / Double(score.count))
    }

    private func score(text: TextFile, training: TextFile?) throws -> Result {
        let started = MonotonicClock.seconds()
        var unknown = 0
        let ids = try encode(text, unknown: &unknown)
        let trainingIDs = try training.map { (try encode($0), $0.path) }
        let network = dynamic == nil ? Network(model: loaded.model) : Network(training: loaded.model)
        let (sum, count, statistics) = try run(network: network, ids: ids, training: trainingIDs, path: text.path)
        let crossEntropy = sum / Double(count)
        let characters = UTF8Scanner.scalarCount(text.bytes)
        let bits = characters > 0
            ? loaded.level.bitsPerCharacter(natsPerToken: crossEntropy, tokensPerCharacter: Double(ids.count) / Double(characters),
                                          unknownTokens: unknown)
            : nil
        return Result(tokens: count, crossEntropy: crossEntropy, bitsPerCharacter: bits, seconds: MonotonicClock.seconds() - started,
                      statistics: statistics)
    }

    private func encode(_ text: TextFile) throws -> TokenIDs {
        var unknown = 0
        return try encode(text, unknown: &unknown)
    }

    /// The ids of `text`; `unknown` counts its tokens the vocabulary lacks (bits per character
    /// compare across levels only when there are none, as static scoring reports them).
    private func encode(_ text: TextFile, unknown: inout Int) throws -> TokenIDs {
        let encoded = loaded.level.tokenizer.encode(text.bytes, vocabulary: loaded.vocabulary)
        unknown = encoded.unknown
        try encoded.requireSomeKnown(level: loaded.level, vocabulary: loaded.vocabulary, path: text.path)
        guard encoded.ids.count >= 2 else {
            throw QuillError.badText(path: text.path, problem: "it has \(encoded.ids.count) tokens; scoring needs at least 2")
        }
        return encoded.ids
    }

    /// The summed loss (nats) and the positions scored of one adapting pass over `ids`; the
    /// network's weights end adapted.
    private func run(network: Network, ids: TokenIDs, training: (ids: TokenIDs, path: String)?, path: String) throws
        -> (sum: Double, count: Int, statistics: StatisticsSource?) {
        var update: DynamicUpdate?
        var statistics: StatisticsSource?
        if let dynamic {
            let source = training?.ids ?? ids
            let tokens = min(source.count, dynamic.statisticsTokens + 1)
            // The statistics' batches are shaped as the scoring pass's (fewer streams when the
            // source is too short for B streams of two tokens).
            let batcher = try StreamBatcher(ids: TokenIDs(source.prefix(tokens), vocabularySize: loaded.vocabulary.count),
                                            batchSize: max(1, min(streams, tokens / 2)), steps: dynamic.segment)
            let squares = DynamicUpdate.meanSquares(network: network, batcher: batcher)
            update = DynamicUpdate(network: network, meanSquares: squares, settings: dynamic)
            // Reported as the positions predicted, what the help counts (B streams predict all
            // but their first tokens and the remainder of the split).
            let predicted = batcher.targetCount
            statistics = training.map { .trainingText(path: $0.path, tokens: predicted) } ?? .scoredText(tokens: predicted)
        }
        let b = streams, h = network.config.hiddenSize
        let batcher = try StreamBatcher(ids: ids, batchSize: b, steps: dynamic?.segment ?? window)
        let caches = cache.map { settings in (0..<b).map { _ in NeuralCache(settings: settings, hiddenSize: h) } }
        var total = 0.0
        network.forEachWindow(of: batcher) { batch in
            // Scored before the weights learn from this segment.
            let (plain, _) = network.lossAndGradient(targets: batch.targets, mask: nil, computeGradient: update != nil)
            var sum = plain
            if let caches {
                // Each stream's rows (t·B + b for its b) against its own cache, summed back in row
                // order, as the plain loss is: at λ = 0 the two sums are the same bits.
                let states = network.decoderInput(), t = batch.steps
                var mixed = [Double](repeating: 0, count: t * b)
                for stream in 0..<b {
                    let targets = (0..<t).map { batch.targets[$0 * b + stream] }
                    let losses = caches[stream].mix(states: states + stream * h, rowStride: b * h, targets: targets[...], rows: t,
                                                    modelLoss: { network.positionLoss($0 * b + stream) })
                    for s in 0..<t { mixed[s * b + stream] = losses[s] }
                }
                sum = 0
                for loss in mixed { sum += loss }
            }
            total += sum
            if let update {
                network.backward()
                update.apply(to: network)
            }
        }
        let count = batcher.targetCount
        guard total.isFinite, Foundation.exp(total / Double(count)).isFinite else {
            let problem = "the adapted predictions on \(path) are not finite (cross-entropy \(total / Double(count)) nats per token)"
            guard let dynamic else { throw QuillError.runtime(problem + "; the model's own scores overflow") }
            // An InvalidSetting, so the CLI names the flag; the rate it blames is the step's.
            throw QuillError.invalidSetting(InvalidSetting(.dynamicLearningRate, dynamic.learningRate,
                                                           problem + "; try a smaller dynamicLearningRate"))
        }
        return (total, count, statistics)
    }
}
