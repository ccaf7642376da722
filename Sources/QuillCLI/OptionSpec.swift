/// One long flag of a subcommand: its name (kebab-case, without `--`), what it takes, its default
/// and a line of help.
struct OptionSpec {
    enum Kind {
        /// A whole number.
        case int
        /// A decimal number.
        case float
        /// Free text.
        case string
        /// One of the listed words.
        case choice([String])
        /// A length of time such as `90s`, `10m`, `2h` or plain seconds.
        case duration
        /// On when present; takes no value.
        case flag
    }

    let name: String
    let kind: Kind
    /// Shown in help; nil means "no default" (the option is unset unless given).
    let defaultValue: String?
    let help: String

    init(_ name: String, _ kind: Kind, default defaultValue: String? = nil, _ help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
    }

    /// What follows the flag in help, such as `N`, `F`, `char|word`.
    var placeholder: String {
        switch kind {
        case .int: return "N"
        case .float: return "F"
        case .string: return "TEXT"
        case .choice(let words): return words.joined(separator: "|")
        case .duration: return "TIME"
        case .flag: return ""
        }
    }
}

/// A subcommand: name, one-line summary, positional arguments and options.
struct CommandSpec {
    let name: String
    let summary: String
    /// Positional argument names in order, such as `["CHECKPOINT", "FILE"]`.
    let positionals: [String]
    let options: [OptionSpec]
    /// Lines of extra help printed after the options.
    var notes: [String] = []
    var examples: [String] = []

    func option(_ name: String) -> OptionSpec? { options.first { $0.name == name } }
}
