import Foundation
import Quill

/// `quill generate CHECKPOINT`: sample text from a saved model.
enum GenerateCommand: Command {
    enum Option: ModelLoadingOption, AdaptiveOption {
        case prompt, length, temperature, topK, topP, seed, samples, noPrompt, stopAtEOS, stop, unknown, interactive, json, adapt
        case model(ModelLoading.Option)
        case adaptive(AdaptiveOptions.Option)

        static var allCases: [Option] {
            [.prompt, .length, .temperature, .topK, .topP, .seed, .samples, .noPrompt, .stopAtEOS, .stop, .unknown, .model(.weights),
             .interactive, .json, .adapt] + AdaptiveOptions.Option.update.map(Option.adaptive) + ModelLoading.Option.stateDict.map(Option.model)
        }

        var spec: OptionSpec {
            switch self {
            case .prompt: OptionSpec("prompt", .string, default: "", "text that primes the model")
            case .length: OptionSpec("length", .int, default: "500", "tokens to generate", minimum: 0, maximum: 1 << 24)
            case .temperature: OptionSpec("temperature", .float, default: "1", "sampling temperature; 0 picks the most likely token")
            case .topK: OptionSpec("top-k", .int, "sample only among the K most likely tokens", maximum: ModelConfig.limits.vocabulary)
            case .topP: OptionSpec("top-p", .float, "sample only among the most likely tokens whose mass reaches P")
            case .seed: OptionSpec("seed", .int, default: "1", "random seed", minimum: 0)
            case .samples: OptionSpec("samples", .int, default: "1", "independent samples, computed as one batch", minimum: 1, maximum: 4096)
            case .noPrompt: OptionSpec("no-prompt", .flag, "do not echo the prompt")
            case .stopAtEOS: OptionSpec("stop-at-eos", .flag, "end a sample at <eos> (at the end of a line for a character model)")
            case .stop: OptionSpec("stop", .string, "end a sample when it produces this text")
            case .unknown: OptionSpec("unknown", .choice(UnknownTokenPolicy.allCases.map(\.spelling)), default: "error",
                                      "char level: what to do with prompt characters the model does not know")
            case .interactive: OptionSpec("interactive", .flag, "read prompts line by line from stdin and stream each continuation; the context carries over (/reset, /help, /quit)")
            case .json: OptionSpec("json", .flag, "print one JSON object per sample")
            case .adapt: OptionSpec("adapt", .string, "first adapt a copy of the weights to this text by dynamic evaluation (quill perplexity --dynamic's update); prints the text's perplexity before and after", valueName: "FILE")
            case .model(let option): option.spec
            case .adaptive(let option): option.spec(oneStream: true)
            }
        }
    }

    static let spec = CommandSpec(
        name: "generate",
        summary: "Generate text from a checkpoint, primed with a prompt.",
        positionals: [Positional("CHECKPOINT", "a checkpoint folder or .safetensors file (or a PyTorch state dict with --vocab)")],
        options: Option.self,
        examples: ["quill generate checkpoints/lighthouse --prompt \"The keeper\" --length 300 --temperature 0.8",
                   "quill generate checkpoints/lighthouse --interactive --length 200 --stop-at-eos --weights int8"]
    )

    static func run(_ args: ParsedArguments<Option>) throws {
        let path = try args.positional(0)
        let sampler = try Sampler(temperature: try args.double(.temperature), topK: args.optionalInt(.topK), topP: args.optionalDouble(.topP))
        let length = try args.int(.length)
        let samples = try args.int(.samples)
        let seed = try args.int(.seed)
        try AdaptiveOptions.checkUsed(args, AdaptiveOptions.Option.update, with: "--adapt", on: args.isSet(.adapt))
        var loaded = try ModelLoading.load(path, args)
        if let document = args.optionalString(.adapt) {
            let dynamic = try AdaptiveOptions.dynamic(args, level: loaded.level, streams: 1)
            let adapted = try AdaptiveScorer(loaded: loaded, dynamic: dynamic, cache: nil, streams: 1)
                .adapt(toFile: document, trainingFile: args.optionalString(.adaptive(.dynamicTrain)))
            loaded = adapted.model
            StandardError.write(String(format: "quill: adapted to %@ (%@): perplexity %.3f before, %.3f after", document,
                                       AdaptiveOptions.describe(dynamic), adapted.before, adapted.after))
        }
        if args.flag(.stopAtEOS) && loaded.vocabulary.eosID == nil && loaded.vocabulary.lineEndID(level: loaded.level) == nil {
            throw CLIError.usage("--stop-at-eos: this model's vocabulary has neither <eos> nor a newline")
        }
        let generator = Generator(loaded: loaded, sampler: sampler)
        if args.flag(.interactive) {
            for option in [Option.prompt, .samples, .json, .noPrompt] where args.isSet(option) {
                throw CLIError.usage("--\(option.spec.name) does not apply to --interactive (prompts come from stdin, one sample at a time)")
            }
            Signals.installInterrupting()
            let status = try InteractiveLoop(generator: generator, seed: UInt64(seed), length: length,
                                             stopAtEOS: args.flag(.stopAtEOS), stop: args.optionalString(.stop),
                                             policy: try unknownPolicy(args)).run()
            exit(status)
        }
        let prompt = try args.string(.prompt)
        let policy = try unknownPolicy(args)
        let (ids, unknown) = try generator.encodePrompt(prompt, policy: policy)
        if !unknown.isEmpty && loaded.level == .word {
            StandardError.write("quill: warning: prompt words not in the vocabulary, read as <unk>: \(unknown.map(Display.token).joined(separator: " "))")
        }
        let echo = !args.flag(.noPrompt)
        let json = args.flag(.json)
        let stream = samples == 1 && !json
        let output = StandardOutput()
        if stream && echo { output.write(prompt) }
        let results = try generator.generate(prompt: ids, samples: samples, length: length, seed: UInt64(seed),
                                             stopAtEOS: args.flag(.stopAtEOS), stop: args.optionalString(.stop),
                                             promptHasText: !ids.isEmpty && echo) { _, piece in
            if stream { output.write(piece) }
        }
        if stream {
            output.write("\n")
            return
        }
        for (index, sample) in results.enumerated() {
            if json {
                output.write(try JSONText.line([
                    "sample": index + 1, "prompt": prompt, "text": sample.text, "tokens": sample.tokens,
                    "seconds": sample.seconds, "tokens_per_second": Double(sample.tokens) / max(1e-9, sample.seconds),
                    "stop_reason": sample.stopReason.rawValue,
                ] as [String: Any]) + "\n")
            } else {
                output.write("=== sample \(index + 1) of \(samples) ===\n")
                output.write((echo ? prompt : "") + sample.text + "\n")
            }
        }
    }

    /// `--unknown`, spelt as the user typed it ("error" refuses).
    private static func unknownPolicy(_ args: ParsedArguments<Option>) throws -> UnknownTokenPolicy {
        let text = try args.string(.unknown)
        guard let policy = UnknownTokenPolicy(spelling: text) else { throw CLIError.usage("--unknown must be error, skip or unk, not \(text)") }
        return policy
    }
}
