import Foundation
import Quill

/// `quill generate CHECKPOINT`: sample text from a saved model.
enum GenerateCommand {
    static let spec = CommandSpec(
        name: "generate",
        summary: "Generate text from a checkpoint, primed with a prompt.",
        positionals: ["CHECKPOINT"],
        options: [
            OptionSpec("prompt", .string, default: "", "text that primes the model"),
            OptionSpec("length", .int, default: "500", "tokens to generate"),
            OptionSpec("temperature", .float, default: "1", "sampling temperature; 0 picks the most likely token"),
            OptionSpec("top-k", .int, "sample only among the K most likely tokens"),
            OptionSpec("top-p", .float, "sample only among the most likely tokens whose mass reaches P"),
            OptionSpec("seed", .int, default: "1", "random seed"),
            OptionSpec("samples", .int, default: "1", "independent samples, computed as one batch"),
            OptionSpec("no-prompt", .flag, "do not echo the prompt"),
            OptionSpec("stop-at-eos", .flag, "end a sample at <eos> (at the end of a line for a character model)"),
            OptionSpec("stop", .string, "end a sample when it produces this text"),
            OptionSpec("unknown", .choice(["error", "skip", "unk"]), default: "error", "char level: what to do with prompt characters the model does not know"),
            ModelLoading.weightsOption,
            OptionSpec("interactive", .flag, "read prompts line by line from stdin and stream each continuation; the context carries over (/reset, /help, /quit)"),
            OptionSpec("json", .flag, "print one JSON object per sample"),
        ] + ModelLoading.stateDictOptions,
        examples: ["quill generate checkpoints/lighthouse --prompt \"The keeper\" --length 300 --temperature 0.8",
                   "quill generate checkpoints/lighthouse --interactive --length 200 --stop-at-eos --weights int8"]
    )

    static func run(_ args: ParsedArguments) throws {
        let path = try args.positional(0)
        let sampler = try Sampler(temperature: args.double("temperature")!, topK: args.int("top-k"), topP: args.double("top-p"))
        let length = try args.int("length", atLeast: 0)!
        let samples = try args.int("samples", atLeast: 1)!
        let seed = try args.int("seed", atLeast: 0)!
        let loaded = try ModelLoading.load(path, args)
        if args.flag("stop-at-eos") && loaded.vocabulary.eosID == nil && loaded.vocabulary.lineEndID(level: loaded.level) == nil {
            throw CLIError.usage("--stop-at-eos: this model's vocabulary has neither <eos> nor a newline")
        }
        let generator = Generator(loaded: loaded, sampler: sampler)
        if args.flag("interactive") {
            for flag in ["prompt", "samples", "json", "no-prompt"] where args.isSet(flag) {
                throw CLIError.usage("--\(flag) does not apply to --interactive (prompts come from stdin, one sample at a time)")
            }
            Signals.installInterrupting()
            let status = try InteractiveLoop(generator: generator, seed: UInt64(seed), length: length,
                                             stopAtEOS: args.flag("stop-at-eos"), stop: args.string("stop"),
                                             policy: Generator.UnknownPolicy(rawValue: args.string("unknown")!)!).run()
            exit(status)
        }
        let prompt = args.string("prompt")!
        let policy = Generator.UnknownPolicy(rawValue: args.string("unknown")!)!
        let (ids, unknown) = try generator.encodePrompt(prompt, policy: policy)
        if !unknown.isEmpty && loaded.level == .word {
            StandardError.write("quill: warning: prompt words not in the vocabulary, read as <unk>: \(unknown.joined(separator: " "))")
        }
        let echo = !args.flag("no-prompt")
        let json = args.flag("json")
        let stream = samples == 1 && !json
        let output = StandardOutput()
        if stream && echo { output.write(prompt) }
        let results = try generator.generate(prompt: ids, samples: samples, length: length, seed: UInt64(seed),
                                             stopAtEOS: args.flag("stop-at-eos"), stop: args.string("stop"),
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
}
