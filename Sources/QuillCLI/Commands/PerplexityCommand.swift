import Foundation
import Quill

/// `quill perplexity CHECKPOINT FILE`: score held-out text.
enum PerplexityCommand {
    static let spec = CommandSpec(
        name: "perplexity",
        summary: "Measure a checkpoint's cross-entropy and perplexity on a text file.",
        positionals: ["CHECKPOINT", "FILE"],
        options: [
            OptionSpec("batch", .int, default: "10", "contiguous streams scored side by side; each starts from a zero state, so B changes the result slightly (1 scores the text as one stream)"),
            OptionSpec("seq-len", .int, default: "64", "time steps per window; the state is carried across windows"),
            OptionSpec("vocab", .string, "vocabulary file (one token per line) for a plain PyTorch state_dict"),
            OptionSpec("level", .choice(["char", "word"]), "tokenization of a plain PyTorch state_dict"),
            OptionSpec("json", .flag, "print one JSON object"),
        ]
    )

    static func run(_ args: ParsedArguments) throws {
        throw CLIError.usage("'quill perplexity' is not available yet")
    }
}
