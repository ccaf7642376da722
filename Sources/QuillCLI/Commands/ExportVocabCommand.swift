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
        throw CLIError.usage("'quill export-vocab' is not available yet")
    }
}
