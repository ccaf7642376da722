import Foundation
import QuillCore
import QuillInference
import QuillKernels
import QuillModel
import QuillText

/// Scores a text while adapting to it: dynamic evaluation (`DynamicEvaluation`), a neural cache
/// (`CacheSettings`), or both. The text is read as ONE stream (batch 1) in segments, the state
/// carried across them, so the result depends on no batch split; each segment runs on the
/// threaded kernels, which give the same bits at any thread count. Dynamic evaluation adapts a
/// copy of the weights: the loaded model, and the checkpoint it came from, stay as they were.
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
        /// Positions scored (the text's tokens − 1).
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

    /// - Parameter window: tokens per forward pass when only the cache is on (the cache's result
    ///   does not depend on it beyond rounding).
    public init(loaded: LoadedModel, dynamic: DynamicEvaluation?, cache: CacheSettings?, window: Int = 64) throws {
        guard window > 0 else { throw QuillError.invalidSetting(.positive(.sequenceLength, window)) }
        if loaded.mode == .lines {
            throw QuillError.runtime("adapted scoring reads the text as one stream, but this model was trained in lines mode (one line per sample), which dynamic evaluation and the cache do not support")
        }
        self.loaded = loaded
        self.dynamic = dynamic
        self.cache = cache
        self.window = window
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
    /// it; returns the adapted model (float32 weights) and the document's perplexity under the
    /// loaded weights and under the adapted ones (both scored as one stream).
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
        let path = text.path
        let ids = try encode(text)
        let network = Network(training: loaded.model)
        _ = try run(network: network, ids: ids, training: try training.map { (try encode($0), $0.path) }, path: path)
        // Rounded back to the format the caller loaded (`--weights`), which generation then runs in.
        let adapted = LoadedModel(model: network.snapshot(), vocabulary: loaded.vocabulary, level: loaded.level,
                                  mode: loaded.mode, summary: loaded.summary, weightFormat: loaded.weightFormat)
        let plain = try AdaptiveScorer(loaded: loaded, dynamic: nil, cache: nil, window: window).score(text: text, training: nil)
        let after = try AdaptiveScorer(loaded: adapted, dynamic: nil, cache: nil, window: window).score(text: text, training: nil)
        return (adapted, plain.perplexity, after.perplexity)
    }

    private func score(text: TextFile, training: TextFile?) throws -> Result {
        let started = MonotonicClock.seconds()
        var unknown = 0
        let ids = try encode(text, unknown: &unknown)
        let trainingIDs = try training.map { (try encode($0), $0.path) }
        let network = dynamic == nil ? Network(model: loaded.model) : Network(training: loaded.model)
        let (sum, statistics) = try run(network: network, ids: ids, training: trainingIDs, path: text.path)
        let count = ids.count - 1
        let crossEntropy = sum / Double(count)
        let characters = UTF8Scanner.scalarCount(text.bytes)
        let bits = characters > 0
            ? loaded.level.bitsPerCharacter(natsPerToken: crossEntropy, tokensPerCharacter: Double(ids.count) / Double(characters),
                                          unknownTokens: unknown)
            : nil
        return Result(tokens: count, crossEntropy: crossEntropy, bitsPerCharacter: bits, seconds: MonotonicClock.seconds() - started,
                      statistics: statistics)
    }

    private func encode(_ text: TextFile) throws -> [Int32] {
        var unknown = 0
        return try encode(text, unknown: &unknown)
    }

    /// The ids of `text`; `unknown` counts its tokens the vocabulary lacks (bits per character
    /// compare across levels only when there are none, as static scoring reports them).
    private func encode(_ text: TextFile, unknown: inout Int) throws -> [Int32] {
        let encoded = loaded.level.tokenizer.encode(text.bytes, vocabulary: loaded.vocabulary)
        unknown = encoded.unknown
        try encoded.requireSomeKnown(level: loaded.level, vocabulary: loaded.vocabulary, path: text.path)
        guard encoded.ids.count >= 2 else {
            throw QuillError.badText(path: text.path, problem: "it has \(encoded.ids.count) tokens; scoring needs at least 2")
        }
        return encoded.ids.map { Int32($0) }
    }

    /// The summed loss (nats) of one adapting pass over `ids`; the network's weights end adapted.
    private func run(network: Network, ids: [Int32], training: (ids: [Int32], path: String)?, path: String) throws
        -> (sum: Double, statistics: StatisticsSource?) {
        var update: DynamicUpdate?
        var statistics: StatisticsSource?
        if let dynamic {
            let source = training?.ids ?? ids
            let tokens = min(source.count, dynamic.statisticsTokens + 1)
            let squares = DynamicUpdate.meanSquares(network: network, ids: source[0..<tokens], segment: dynamic.segment)
            update = DynamicUpdate(network: network, meanSquares: squares, settings: dynamic)
            // Reported as the positions predicted (tokens after the first), what the help counts.
            statistics = training.map { .trainingText(path: $0.path, tokens: tokens - 1) } ?? .scoredText(tokens: tokens - 1)
        }
        let cacheState = cache.map { NeuralCache(settings: $0, hiddenSize: network.config.hiddenSize) }
        let segment = dynamic?.segment ?? window
        var total = 0.0
        network.forEachSegment(of: ids[...], length: segment) { n, targets in
            // Scored before the weights learn from this segment.
            let (plain, _) = network.lossAndGradient(targets: Array(targets), mask: nil, computeGradient: update != nil)
            var sum = plain
            if let cacheState {
                let losses = cacheState.mix(states: network.decoderInput(), targets: targets, rows: n,
                                            modelLoss: network.positionLoss)
                sum = 0
                for loss in losses { sum += loss }
            }
            total += sum
            if let update {
                network.backward()
                update.apply(to: network)
            }
        }
        guard total.isFinite else {
            // An InvalidSetting, so the CLI names the flag; the rate it blames is the step's.
            throw QuillError.invalidSetting(InvalidSetting(.dynamicLearningRate, dynamic?.learningRate ?? 0,
                "the adapted predictions on \(path) are not finite (cross-entropy \(total / Double(max(1, ids.count - 1)))); try a smaller dynamicLearningRate"))
        }
        return (total, statistics)
    }
}
