import Foundation
import Quill

/// `quill encode CHECKPOINT FILE`: the token ids a checkpoint's tokenizer makes of a text, as
/// training and scoring read it (CR LF as LF); what the tokenizer.json interop test compares.
enum EncodeCommand: Command {
    enum Option: CommandOption {
        case json

        var spec: OptionSpec { OptionSpec("json", .flag, "print one JSON object {\"ids\": [...], \"tokens\": N, \"unknown\": N}") }
    }

    static let spec = CommandSpec(
        name: "encode",
        summary: "Print the token ids of a text file under a checkpoint's vocabulary (one line, separated by spaces).",
        positionals: [Positional("CHECKPOINT", "a checkpoint folder or .safetensors file"), Positional("FILE", "the text to encode")],
        options: Option.self,
        examples: ["quill encode bpe-model text.txt --json"]
    )

    static func run(_ args: ParsedArguments<Option>) throws {
        let checkpoint = try Checkpoint(contentsOf: try args.positional(0))
        let text = try TextFile(path: try args.positional(1))
        let encoded = checkpoint.summary.level.tokenizer.encode(text.bytes, vocabulary: checkpoint.vocabulary)
        let ids = encoded.ids.map { Int($0) }
        if args.flag(.json) {
            print(try JSONText.line(["ids": ids, "tokens": encoded.tokenCount, "unknown": encoded.unknown] as [String: Any]))
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }
}
