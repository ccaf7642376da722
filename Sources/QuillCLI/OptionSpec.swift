/// One long flag of a subcommand: its name (kebab-case, without `--`), what it takes, its default,
/// the whole numbers it accepts and a line of help.
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
    /// Shown in help and read when the option is not given; nil means "no default" (the option
    /// is unset unless given).
    let defaultValue: String?
    /// Said in help in place of `defaultValue` when the default depends on other options.
    let defaultNote: String?
    let help: String
    /// The smallest and largest whole number taken, so no size can overflow what is computed from
    /// it or ask for memory in the petabytes (the memory a training run needs is checked
    /// separately, against the machine, before anything is allocated).
    let minimum: Int?, maximum: Int?
    /// Whether the option may be given more than once, each value kept (otherwise the last counts).
    let repeatable: Bool
    /// What help shows after the flag, when the kind's word (`TEXT`) says too little.
    let valueName: String?

    init(_ name: String, _ kind: Kind, default defaultValue: String? = nil, _ help: String,
         defaultNote: String? = nil, minimum: Int? = nil, maximum: Int? = nil, repeatable: Bool = false, valueName: String? = nil) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.defaultNote = defaultNote
        self.help = help
        self.minimum = minimum
        self.maximum = maximum
        self.repeatable = repeatable
        self.valueName = valueName
    }

    /// What follows the flag in help, such as `N`, `F`, `char|word`.
    var placeholder: String {
        if let valueName { return valueName }
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

/// A positional argument: its name in usage lines (`FILE`) and a line of help.
struct Positional {
    let name: String
    let help: String

    init(_ name: String, _ help: String) {
        self.name = name
        self.help = help
    }
}

/// A subcommand: name, one-line summary, positional arguments and options.
struct CommandSpec {
    let name: String
    let summary: String
    /// Positional arguments in order.
    let positionals: [Positional]
    let options: [OptionSpec]
    /// Lines of extra help printed after the options.
    var notes: [String] = []
    var examples: [String] = []

    /// The spec of a command whose options are `Option`'s cases, in their declared order.
    init<Option: CommandOption>(name: String, summary: String, positionals: [Positional], options: Option.Type,
                                notes: [String] = [], examples: [String] = []) {
        self.name = name
        self.summary = summary
        self.positionals = positionals
        self.options = Option.allCases.map(\.spec)
        self.notes = notes
        self.examples = examples
    }

    func option(_ name: String) -> OptionSpec? { options.first { $0.name == name } }

    /// The positionals as a usage line shows them: `CHECKPOINT FILE`.
    var positionalUsage: String { positionals.map(\.name).joined(separator: " ") }
}
