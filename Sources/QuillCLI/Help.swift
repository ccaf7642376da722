/// Help text for `quill --help` and `quill COMMAND --help`, generated from the specs so every flag
/// and its default is listed.
enum Help {
    static let version = "quill 0.1.0"

    static func overview(_ commands: [CommandSpec]) -> String {
        var lines = [
            "usage: quill COMMAND [ARGUMENTS] [OPTIONS]",
            "",
            "Quill trains character- or word-level recurrent language models (LSTM, GRU or",
            "vanilla RNN) on a text file, generates text from a prompt and measures perplexity",
            "on held-out text.",
            "",
            "commands:",
        ]
        let width = commands.map(\.name.count).max() ?? 0
        for command in commands {
            lines.append("  " + command.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + command.summary)
        }
        lines += [
            "",
            "  --help, -h     show this help; 'quill COMMAND --help' shows a command's options",
            "  --version      print the version",
            "",
            "Exit status: 0 on success, 1 when a file or run fails, 2 on bad usage.",
        ]
        return lines.joined(separator: "\n")
    }

    static func command(_ spec: CommandSpec) -> String {
        var lines = ["usage: quill \(spec.name)\(spec.positionals.map { " " + $0 }.joined()) [OPTIONS]", "", spec.summary]
        if !spec.options.isEmpty {
            lines += ["", "options:"]
            let left = spec.options.map { option -> String in
                let placeholder = option.placeholder
                return "--\(option.name)" + (placeholder.isEmpty ? "" : " \(placeholder)")
            }
            let width = min(34, (left.map(\.count).max() ?? 0) + 2)
            for (option, label) in zip(spec.options, left) {
                var help = option.help
                if let value = option.defaultValue, !isFlag(option) { help += " (default: \(value.isEmpty ? "\"\"" : value))" }
                if label.count + 2 > width {
                    lines.append("  " + label)
                    lines.append("  " + String(repeating: " ", count: width) + help)
                } else {
                    lines.append("  " + label.padding(toLength: width, withPad: " ", startingAt: 0) + help)
                }
            }
            lines.append("  " + "--help".padding(toLength: width, withPad: " ", startingAt: 0) + "show this help")
        }
        if !spec.notes.isEmpty { lines += [""] + spec.notes }
        if !spec.examples.isEmpty { lines += ["", "examples:"] + spec.examples.map { "  " + $0 } }
        return lines.joined(separator: "\n")
    }

    private static func isFlag(_ option: OptionSpec) -> Bool {
        if case .flag = option.kind { return true }
        return false
    }
}
