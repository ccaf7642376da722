import Foundation
import Quill

/// `quill export-vocab CHECKPOINT FILE`: the vocabulary as PyTorch's `idx2word`, one token a line.
enum ExportVocabCommand {
    static let spec = CommandSpec(
        name: "export-vocab",
        summary: "Write a checkpoint's vocabulary as one token per line, in id order (PyTorch's idx2word).",
        positionals: ["CHECKPOINT", "FILE"],
        options: []
    )

    static func run(_ args: ParsedArguments) throws {
        let checkpoint = try Checkpoint(contentsOf: try args.positional(0))
        let out = try args.positional(1)
        if let bad = checkpoint.vocabulary.tokens.first(where: { $0.contains("\n") || $0.isEmpty }) {
            throw CLIError.failure("token \(Display.token(bad)) cannot be written one per line (character models have a newline token); this format suits word-level models")
        }
        try AtomicFile.write(checkpoint.vocabulary.lineFileText(), to: out)
        print("wrote \(checkpoint.vocabulary.count) tokens to \(out)")
    }
}
