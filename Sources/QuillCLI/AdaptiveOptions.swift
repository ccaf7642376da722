import Foundation
import Quill

/// The options of scoring that adapts (dynamic evaluation and the neural cache), shared by
/// `quill perplexity` and `quill generate --adapt`. Their defaults depend on the model's level,
/// so they are read after the model is loaded.
enum AdaptiveOptions {
    enum Option: CaseIterable {
        case dynamicLR, dynamicDecay, dynamicSegment, dynamicTrain, cacheSize, cacheTheta, cacheLambda

        /// The options of dynamic evaluation's update.
        static let update: [Option] = [.dynamicLR, .dynamicDecay, .dynamicSegment, .dynamicTrain]
        /// The cache's options.
        static let cache: [Option] = [.cacheSize, .cacheTheta, .cacheLambda]

        var spec: OptionSpec { spec(oneStream: false) }

        /// - Parameter oneStream: the command always adapts as one stream (`generate --adapt`), so
        ///   only the one-stream defaults apply.
        func spec(oneStream: Bool) -> OptionSpec {
            let char = DynamicEvaluation.defaults(for: .char, streams: 1), word = DynamicEvaluation.defaults(for: .word, streams: 1)
            let charStreams = DynamicEvaluation.defaults(for: .char, streams: 10), wordStreams = DynamicEvaluation.defaults(for: .word, streams: 10)
            let charCache = CacheSettings.defaults(for: .char), wordCache = CacheSettings.defaults(for: .word)
            func note(_ c: Any, _ w: Any) -> String { "\(c)" == "\(w)" ? "\(c)" : "\(c) at char level, \(w) at word and bpe levels" }
            switch self {
            case .dynamicLR:
                let oneStreamNote = note(char.learningRate, word.learningRate)
                return OptionSpec("dynamic-lr", .float, "learning rate η of the RMS-normalised step",
                                  defaultNote: oneStream ? oneStreamNote
                                      : note(charStreams.learningRate, wordStreams.learningRate) + "; with --batch 1: " + oneStreamNote)
            case .dynamicDecay:
                return OptionSpec("dynamic-decay", .float, "λ in [0, 1): how strongly each step pulls the weights back toward the trained ones",
                                  defaultNote: note(char.decay, word.decay))
            case .dynamicSegment:
                return OptionSpec("dynamic-segment", .int, "tokens scored between two updates", defaultNote: note(char.segment, word.segment),
                                  minimum: 1, maximum: 1 << 16)
            case .dynamicTrain:
                return OptionSpec("dynamic-train", .string, "text whose gradients set the step sizes (default: the first \(char.statisticsTokens) tokens of the text adapted to)",
                                  valueName: "FILE")
            case .cacheSize:
                return OptionSpec("cache-size", .int, "positions the cache remembers", defaultNote: note(charCache.size, wordCache.size),
                                  minimum: 1, maximum: 1 << 20)
            case .cacheTheta:
                return OptionSpec("cache-theta", .float, "θ ≥ 0: how sharply the cache prefers states like the current one",
                                  defaultNote: note(charCache.theta, wordCache.theta))
            case .cacheLambda:
                return OptionSpec("cache-lambda", .float, "λ in [0, 1): the cache's share of the mixture", defaultNote: note(charCache.lambda, wordCache.lambda))
            }
        }
    }

    /// Dynamic evaluation's settings for `level` and `streams` side by side: the defaults, with
    /// the options given.
    static func dynamic<O: AdaptiveOption>(_ args: ParsedArguments<O>, level: TokenLevel, streams: Int) throws -> DynamicEvaluation {
        let base = DynamicEvaluation.defaults(for: level, streams: streams)
        return try DynamicEvaluation(learningRate: args.optionalDouble(.adaptive(.dynamicLR)) ?? base.learningRate,
                                     decay: args.optionalDouble(.adaptive(.dynamicDecay)) ?? base.decay,
                                     segment: args.optionalInt(.adaptive(.dynamicSegment)) ?? base.segment)
    }

    /// The cache's settings for `level`: the defaults, with the options given.
    static func cache<O: AdaptiveOption>(_ args: ParsedArguments<O>, level: TokenLevel) throws -> CacheSettings {
        let base = CacheSettings.defaults(for: level)
        return try CacheSettings(size: args.optionalInt(.adaptive(.cacheSize)) ?? base.size,
                                 theta: args.optionalDouble(.adaptive(.cacheTheta)) ?? base.theta,
                                 lambda: args.optionalDouble(.adaptive(.cacheLambda)) ?? base.lambda)
    }

    /// Refuses options of a mode that is off ("--cache-size applies only with --cache").
    static func checkUsed<O: AdaptiveOption>(_ args: ParsedArguments<O>, _ options: [Option], with mode: String, on: Bool) throws {
        guard !on else { return }
        for option in options where args.isSet(.adaptive(option)) {
            throw CLIError.usage("--\(option.spec.name) applies only with \(mode)")
        }
    }

    /// Dynamic evaluation's settings as the output names them.
    static func describe(_ d: DynamicEvaluation) -> String {
        "--dynamic-lr \(number(d.learningRate)) --dynamic-decay \(number(d.decay)) --dynamic-segment \(d.segment)"
    }

    /// The cache's settings as the output names them.
    static func describe(_ c: CacheSettings) -> String {
        "--cache-size \(c.size) --cache-theta \(number(c.theta)) --cache-lambda \(number(c.lambda))"
    }

    /// Where the gradient statistics came from, in words.
    static func describe(_ source: AdaptiveScorer.StatisticsSource, scored file: String) -> String {
        switch source {
        case .trainingText(let path, let tokens): "gradient statistics from the first \(tokens) tokens of \(path)"
        case .scoredText(let tokens): "gradient statistics from the first \(tokens) tokens of \(file) itself (no --dynamic-train; those tokens are scored too)"
        }
    }

    static func number(_ x: Double) -> String { String(format: "%g", x) }
}

/// A command's options that include the adaptive ones.
protocol AdaptiveOption: CommandOption {
    static func adaptive(_ option: AdaptiveOptions.Option) -> Self
}
