import Foundation
import Quill

/// `quill info CHECKPOINT`: what a checkpoint holds.
enum InfoCommand {
    static let spec = CommandSpec(
        name: "info",
        summary: "Show a checkpoint's configuration, size, vocabulary and training history.",
        positionals: ["CHECKPOINT"],
        options: [OptionSpec("json", .flag, "print one JSON object")]
    )

    static func run(_ args: ParsedArguments) throws {
        throw CLIError.usage("'quill info' is not available yet")
    }
}
