import Foundation
import Quill

/// `quill perplexity CHECKPOINT FILE`: score held-out text.
enum PerplexityCommand: Command {
    enum Option: ModelLoadingOption, AdaptiveOption {
        case batch, seqLen, json, dynamic, cache
        case model(ModelLoading.Option)
        case adaptive(AdaptiveOptions.Option)

        static var allCases: [Option] {
            [.batch, .seqLen, .model(.weights), .json, .dynamic] + AdaptiveOptions.Option.update.map(Option.adaptive)
                + [.cache] + AdaptiveOptions.Option.cache.map(Option.adaptive) + ModelLoading.Option.stateDict.map(Option.model)
        }

        var spec: OptionSpec {
            switch self {
            case .batch:
                OptionSpec("batch", .int, default: "10", "contiguous streams scored side by side; each starts from a zero state, so B changes the result slightly (1 scores the text as one stream); an adapted pass reads the same streams: more of them run faster but adapt less (docs/dynamic-evaluation.md)",
                           minimum: 1, maximum: 1 << 16)
            case .seqLen: OptionSpec("seq-len", .int, default: "64", "time steps per window; the state is carried across windows", minimum: 1, maximum: 1 << 16)
            case .json: OptionSpec("json", .flag, "print one JSON object")
            case .dynamic: OptionSpec("dynamic", .flag, "also score with dynamic evaluation: a copy of the weights learns from each segment of the --batch streams after scoring it (--batch 1: one stream, the most updates; docs/dynamic-evaluation.md)")
            case .cache: OptionSpec("cache", .flag, "also score with a neural cache over the last positions' hidden states (alone or with --dynamic)")
            case .model(let option): option.spec
            case .adaptive(let option): option.spec
            }
        }
    }

    static let spec = CommandSpec(
        name: "perplexity",
        summary: "Measure a checkpoint's cross-entropy and perplexity on a text file.",
        positionals: [Positional("CHECKPOINT", "a checkpoint folder or .safetensors file (or a PyTorch state dict with --vocab)"),
                      Positional("FILE", "the held-out text to score")],
        options: Option.self
    )

    static func run(_ args: ParsedArguments<Option>) throws {
        let path = try args.positional(0)
        let file = try args.positional(1)
        let batch = try args.int(.batch)
        let steps = try args.int(.seqLen)
        let dynamicOn = args.flag(.dynamic), cacheOn = args.flag(.cache)
        try AdaptiveOptions.checkUsed(args, AdaptiveOptions.Option.update, with: "--dynamic", on: dynamicOn)
        try AdaptiveOptions.checkUsed(args, AdaptiveOptions.Option.cache, with: "--cache", on: cacheOn)
        let loaded = try ModelLoading.load(path, args)
        let dynamic = dynamicOn ? try AdaptiveOptions.dynamic(args, level: loaded.level, streams: batch) : nil
        let cache = cacheOn ? try AdaptiveOptions.cache(args, level: loaded.level) : nil
        let scorer = dynamicOn || cacheOn
            ? try AdaptiveScorer(loaded: loaded, dynamic: dynamic, cache: cache, window: steps, streams: batch) : nil
        // A missing training text is said before the static pass, not after it.
        if let training = args.optionalString(.adaptive(.dynamicTrain)), !FileManager.default.fileExists(atPath: training) {
            throw QuillError.io(path: training, problem: "no such file")
        }
        let started = Date()
        let result = try PerplexityEvaluator(loaded: loaded, batchSize: batch, steps: steps).evaluate(file: file)
        let seconds = Date().timeIntervalSince(started)
        let adapted = try scorer?.score(file: file, trainingFile: args.optionalString(.adaptive(.dynamicTrain)))
        let bitsPerChar = result.bitsPerCharacter
        if args.flag(.json) {
            var object: [String: Any] = [
                "file": file, "level": loaded.level.rawValue, "tokens": result.tokens, "unknown": result.unknown,
                "unknown_share": result.unknownShare, "cross_entropy": result.crossEntropy,
                "perplexity": result.perplexity, "bits_per_char": bitsPerChar as Any? ?? NSNull(), "text_tokens": result.textTokens,
                "bits_per_byte": result.bitsPerByte as Any? ?? NSNull(),
                "batch": batch, "seq_len": steps, "weights": loaded.weightFormat.rawValue,
            ]
            if let adapted {
                object["seconds"] = seconds
                object["adapted"] = adaptedJSON(adapted, dynamic: dynamic, cache: cache, window: steps, batch: batch)
            }
            print(try JSONText.line(object))
            return
        }
        print("file            \(file)")
        print("tokens scored   \(result.tokens) (\(loaded.level.rawValue) level, --batch \(batch), --seq-len \(steps), \(loaded.weightFormat.rawValue) weights)")
        print(String(format: "unknown         %d (%.2f%% of the text's tokens)", result.unknown, result.unknownShare * 100))
        guard let adapted else {
            print(String(format: "cross-entropy   %.6f nats per token", result.crossEntropy))
            print(String(format: "perplexity      %.4f", result.perplexity))
            if let bitsPerChar {
                let note = loaded.level != .char ? String(format: " (%d tokens over %d characters)", result.textTokens, result.characters) : ""
                print(String(format: "bits per char   %.6f", bitsPerChar) + note)
                if let bitsPerByte = result.bitsPerByte {
                    print(String(format: "bits per byte   %.6f (%d UTF-8 bytes)", bitsPerByte, result.bytes))
                }
            } else {
                print("bits per char   not comparable: \(result.unknown) of the text's words are unknown to the model")
            }
            return
        }
        // Side by side: the static score as the plain command gives it, and the adapted one.
        print("                static          adapted")
        print(String(format: "cross-entropy   %-15.6f %.6f nats per token", result.crossEntropy, adapted.crossEntropy))
        print(String(format: "perplexity      %-15.4f %.4f", result.perplexity, adapted.perplexity))
        if let bitsPerChar, let adaptedBits = adapted.bitsPerCharacter {
            print(String(format: "bits per char   %-15.6f %.6f", bitsPerChar, adaptedBits))
        } else if bitsPerChar == nil {
            print("bits per char   not comparable: \(result.unknown) of the text's words are unknown to the model")
        }
        print(String(format: "seconds         %-15.2f %.2f", seconds, adapted.seconds))
        print("adapted pass    \(batch == 1 ? "one stream" : "\(batch) streams side by side") (--batch \(batch)), \(adapted.tokens) positions")
        if let dynamic, let source = adapted.statistics {
            print("dynamic         \(AdaptiveOptions.describe(dynamic)); \(AdaptiveOptions.describe(source, scored: file))")
        }
        if let cache {
            print("cache           \(AdaptiveOptions.describe(cache))" + (dynamic == nil ? ", windows of --seq-len \(steps)" : ""))
        }
    }

    /// The `adapted` object of `--json`.
    private static func adaptedJSON(_ adapted: AdaptiveScorer.Result, dynamic: DynamicEvaluation?, cache: CacheSettings?,
                                    window: Int, batch: Int) -> [String: Any] {
        var dynamicObject: Any = NSNull()
        if let dynamic, let source = adapted.statistics {
            var statistics: [String: Any]
            switch source {
            case .trainingText(let path, let tokens): statistics = ["source": "training_text", "file": path, "tokens": tokens]
            case .scoredText(let tokens): statistics = ["source": "scored_text", "tokens": tokens]
            }
            dynamicObject = ["lr": dynamic.learningRate, "decay": dynamic.decay, "segment": dynamic.segment,
                             "epsilon": dynamic.epsilon, "statistics": statistics] as [String: Any]
        }
        var cacheObject: Any = NSNull()
        if let cache { cacheObject = ["size": cache.size, "theta": cache.theta, "lambda": cache.lambda] as [String: Any] }
        return [
            "cross_entropy": adapted.crossEntropy, "perplexity": adapted.perplexity,
            "bits_per_char": adapted.bitsPerCharacter as Any? ?? NSNull(), "seconds": adapted.seconds,
            "tokens": adapted.tokens, "batch": batch, "window": dynamic?.segment ?? window,
            "dynamic": dynamicObject, "cache": cacheObject,
        ]
    }
}
