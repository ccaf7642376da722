import Foundation
import Quill

/// `quill export-vocab CHECKPOINT FILE`: the vocabulary in id order, as a JSON array (any level) or
/// one token a line (PyTorch word_language_model's `idx2word`, word level); a bpe model's `.json`
/// is a Hugging Face `tokenizer.json`.
enum ExportVocabCommand: Command {
    /// None: the command takes only its two arguments.
    enum Option: CommandOption {
        var spec: OptionSpec { switch self {} }
    }

    static let spec = CommandSpec(
        name: "export-vocab",
        summary: "Write a checkpoint's vocabulary in id order: a JSON array when FILE ends in .json (any level; a bpe model's is a Hugging Face tokenizer.json), else one token per line (word models).",
        positionals: [Positional("CHECKPOINT", "a checkpoint folder or .safetensors file"), Positional("FILE", "the vocabulary file to write")],
        options: Option.self,
        examples: ["quill export-vocab checkpoints/lighthouse vocab.json", "quill export-vocab bpe-model tokenizer.json"]
    )

    static func run(_ args: ParsedArguments<Option>) throws {
        for (index, name) in ["CHECKPOINT", "FILE"].enumerated() where try args.positional(index).isEmpty {
            throw CLIError.usage("\(name) is an empty path")
        }
        let checkpoint = try Checkpoint(contentsOf: try args.positional(0))
        let out = try args.positional(1)
        let vocabulary = checkpoint.vocabulary
        if out.lowercased().hasSuffix(".json") && vocabulary.merges != nil {
            try AtomicFile.write(try vocabulary.tokenizerJSONText(), to: out)
            print("wrote a tokenizer.json of \(vocabulary.count) tokens (\(vocabulary.merges!.pairs.count) merges) to \(out)")
            return
        } else if out.lowercased().hasSuffix(".json") {
            try AtomicFile.write(vocabulary.jsonArrayText(), to: out)
        } else {
            if let bad = vocabulary.tokens.first(where: { $0.contains("\n") || $0.contains("\r") || $0.isEmpty }) {
                throw CLIError.usage("token \(Display.token(bad)) cannot be written one per line (character models have a newline token); name the file *.json to write a JSON array")
            }
            try AtomicFile.write(vocabulary.lineFileText(), to: out)
        }
        print("wrote \(vocabulary.count) tokens to \(out)")
    }
}
