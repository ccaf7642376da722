import Quill

/// The values of one parsed command line, read by option with the option's default applied. The
/// parser has checked every value (and every default) against its option's kind and limits, so
/// the typed readers below only fail when a required option has no value at all.
struct ParsedArguments<Option: CommandOption> {
    let spec: CommandSpec
    /// Values given on the command line, by option name (a switch given is "true").
    let values: [String: String]
    /// Every value of each repeatable option given, in command-line order.
    let repeated: [String: [String]]
    let positionals: [String]

    private func raw(_ option: Option) -> String? { values[option.spec.name] ?? option.spec.defaultValue }

    /// Whether the option was given on the command line (a default does not count).
    func isSet(_ option: Option) -> Bool { values[option.spec.name] != nil }

    /// The options given on the command line, in the spec's order.
    var given: [Option] { Option.allCases.filter(isSet) }

    func flag(_ option: Option) -> Bool { raw(option) == "true" }

    func optionalString(_ option: Option) -> String? { raw(option) }

    func optionalInt(_ option: Option) -> Int? { raw(option).flatMap { Int($0) } }

    func optionalDouble(_ option: Option) -> Double? { raw(option).flatMap(DecimalNumber.parse) }

    func optionalSeconds(_ option: Option) -> Double? { raw(option).flatMap(TimeSpan.seconds) }

    /// Every value given to a repeatable option (none when it was not given).
    func strings(_ option: Option) -> [String] { repeated[option.spec.name] ?? [] }

    func string(_ option: Option) throws -> String { try required(option, optionalString(option)) }

    func int(_ option: Option) throws -> Int { try required(option, optionalInt(option)) }

    func double(_ option: Option) throws -> Double { try required(option, optionalDouble(option)) }

    func seconds(_ option: Option) throws -> Double { try required(option, optionalSeconds(option)) }

    /// One of a choice option's words, as the type whose raw values they are.
    func choice<T: RawRepresentable>(_ option: Option, as type: T.Type = T.self) throws -> T where T.RawValue == String {
        try required(option, raw(option).flatMap(T.init(rawValue:)))
    }

    private func required<T>(_ option: Option, _ value: T?) throws -> T {
        guard let value else { throw CLIError.usage("--\(option.spec.name) needs a value (\(option.spec.placeholder))") }
        return value
    }

    /// Positional argument `index`, or a usage error naming it.
    func positional(_ index: Int) throws -> String {
        guard index < positionals.count else {
            throw CLIError.usage("missing \(spec.positionals[index].name); usage: quill \(spec.name) \(spec.positionalUsage)")
        }
        return positionals[index]
    }
}
