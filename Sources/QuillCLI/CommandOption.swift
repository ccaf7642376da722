/// The options of one command, as a type: a command reads its parsed values by these cases, so a
/// misspelt or undeclared option is a compile error, and each case's `spec` (an exhaustive
/// switch) is the one place its name, kind, default, limits and help are written.
protocol CommandOption: Hashable, CaseIterable {
    var spec: OptionSpec { get }
}

/// A subcommand: its spec, built from its options, and what it does with them.
protocol Command {
    associatedtype Option: CommandOption
    static var spec: CommandSpec { get }
    static func run(_ args: ParsedArguments<Option>) throws
}

extension Command {
    /// Parses `arguments` against the spec and runs the command.
    static func parseAndRun(_ arguments: [String]) throws {
        try run(ArgumentParser<Option>(spec: spec).parse(arguments))
    }
}
