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
            OptionSpec("stop-at-eos", .flag, "end a sample at <eos>"),
            OptionSpec("stop", .string, "end a sample when it produces this text"),
            OptionSpec("unknown", .choice(["error", "skip", "unk"]), default: "error", "char level: what to do with prompt characters the model does not know"),
            OptionSpec("vocab", .string, "vocabulary file (one token per line) for a plain PyTorch state_dict"),
            OptionSpec("level", .choice(["char", "word"]), "tokenization of a plain PyTorch state_dict"),
            OptionSpec("json", .flag, "print one JSON object per sample"),
        ],
        examples: ["quill generate checkpoints/lighthouse --prompt \"The keeper\" --length 300 --temperature 0.8"]
    )

    static func run(_ args: ParsedArguments) throws {
        throw CLIError.usage("'quill generate' is not available yet")
    }
}
