/// Help text for `quill --help` and `quill COMMAND --help` (or `quill help COMMAND`), generated from
/// the specs so every flag and its default is listed. The layout is swift-argument-parser's:
/// OVERVIEW, USAGE, ARGUMENTS and OPTIONS sections, each default shown as `(default: …)`.
enum Help {
    static let version = "quill 0.1.0"

    static func overview(_ commands: [CommandSpec]) -> String {
        var lines = [
            "OVERVIEW: Quill trains character- or word-level recurrent language models (LSTM, GRU or",
            "vanilla RNN) on a text file, generates text from a prompt and measures perplexity",
            "on held-out text.",
            "",
            "USAGE: quill <subcommand> [<options>] [ARGUMENTS]",
            "",
            "OPTIONS:",
        ]
        lines += rows([("--version", "Show the version."), ("-h, --help", "Show help information.")])
        lines += ["", "SUBCOMMANDS:"]
        lines += rows(commands.map { ($0.name, $0.summary) })
        lines += [
            "",
            "  See 'quill help <subcommand>' for detailed help.",
            "",
            "Exit status: 0 on success, 1 when a file or run fails, 2 on bad usage.",
        ]
        return lines.joined(separator: "\n")
    }

    static func command(_ spec: CommandSpec) -> String {
        var lines = ["OVERVIEW: \(spec.summary)"]
        if !spec.notes.isEmpty { lines += [""] + spec.notes }
        lines += ["", "USAGE: quill \(spec.name) [<options>]\(spec.positionals.map { " " + $0.name }.joined())"]
        if !spec.positionals.isEmpty {
            lines += ["", "ARGUMENTS:"] + rows(spec.positionals.map { ($0.name, $0.help) })
        }
        lines += ["", "OPTIONS:"]
        lines += rows(spec.options.map { option in
            let placeholder = option.placeholder
            return ("--\(option.name)" + (placeholder.isEmpty ? "" : " \(placeholder)"), help(option))
        } + [("-h, --help", "Show help information.")])
        if !spec.examples.isEmpty { lines += ["", "EXAMPLES:"] + spec.examples.map { "  " + $0 } }
        return lines.joined(separator: "\n")
    }

    /// `text` in lines of at most `width` characters, broken at spaces.
    static func wrap(_ text: String, width: Int = 100) -> [String] {
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        return line.isEmpty ? lines : lines + [line]
    }

    /// An option's help with its default, unless it is a switch (off unless given).
    private static func help(_ option: OptionSpec) -> String {
        if case .flag = option.kind { return option.help }
        if option.repeatable { return option.help + " (repeatable)" }
        if let note = option.defaultNote { return option.help + " (default: \(note))" }
        guard let value = option.defaultValue else { return option.help }
        return option.help + " (default: \(value.isEmpty ? "\"\"" : value))"
    }

    /// Two columns: labels indented by two, texts aligned after the widest label (up to 34
    /// columns; a longer label gets its text on the next line).
    private static func rows(_ items: [(label: String, text: String)]) -> [String] {
        let width = min(34, (items.map(\.label.count).max() ?? 0) + 2)
        return items.flatMap { label, text -> [String] in
            if label.count + 2 > width { return ["  " + label, "  " + String(repeating: " ", count: width) + text] }
            return ["  " + label.padding(toLength: width, withPad: " ", startingAt: 0) + text]
        }
    }
}
