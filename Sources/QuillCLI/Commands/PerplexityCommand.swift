import Foundation
import Quill

/// `quill perplexity CHECKPOINT FILE`: score held-out text.
enum PerplexityCommand: Command {
    enum Option: ModelLoadingOption {
        case batch, seqLen, json
        case model(ModelLoading.Option)

        static var allCases: [Option] { [.batch, .seqLen, .model(.weights), .json] + ModelLoading.Option.stateDict.map(Option.model) }

        var spec: OptionSpec {
            switch self {
            case .batch:
                OptionSpec("batch", .int, default: "10", "contiguous streams scored side by side; each starts from a zero state, so B changes the result slightly (1 scores the text as one stream)",
                           minimum: 1, maximum: 1 << 16)
            case .seqLen: OptionSpec("seq-len", .int, default: "64", "time steps per window; the state is carried across windows", minimum: 1, maximum: 1 << 16)
            case .json: OptionSpec("json", .flag, "print one JSON object")
            case .model(let option): option.spec
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
        let loaded = try ModelLoading.load(path, args)
        let result = try PerplexityEvaluator(loaded: loaded, batchSize: batch, steps: steps).evaluate(file: file)
        let bitsPerChar = result.bitsPerCharacter
        if args.flag(.json) {
            print(try JSONText.line([
                "file": file, "level": loaded.level.rawValue, "tokens": result.tokens, "unknown": result.unknown,
                "unknown_share": result.unknownShare, "cross_entropy": result.crossEntropy,
                "perplexity": result.perplexity, "bits_per_char": bitsPerChar as Any? ?? NSNull(), "text_tokens": result.textTokens,
                "bits_per_byte": result.bitsPerByte as Any? ?? NSNull(),
                "batch": batch, "seq_len": steps, "weights": loaded.weightFormat.rawValue,
            ] as [String: Any]))
            return
        }
        print("file            \(file)")
        print("tokens scored   \(result.tokens) (\(loaded.level.rawValue) level, --batch \(batch), --seq-len \(steps), \(loaded.weightFormat.rawValue) weights)")
        print(String(format: "unknown         %d (%.2f%% of the text's tokens)", result.unknown, result.unknownShare * 100))
        print(String(format: "cross-entropy   %.6f nats per token", result.crossEntropy))
        print(String(format: "perplexity      %.4f", result.perplexity))
        if let bitsPerChar {
            let note = loaded.level != .char ? String(format: " (%d tokens over %d characters)", result.textTokens, result.characters) : ""
            print(String(format: "bits per char   %.6f", bitsPerChar) + note)
        } else {
            print("bits per char   not comparable: \(result.unknown) of the text's words are unknown to the model")
        }
    }
}
