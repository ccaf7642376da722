import Quill

/// Our own command-line parsing: kebab-case long flags, `--flag value` and `--flag=value`,
/// positionals anywhere, `--` ends the flags. Values are checked against the option's kind as they
/// are read, so a bad number is reported before any work starts.
struct ArgumentParser<Option: CommandOption> {
    let spec: CommandSpec

    func parse(_ arguments: [String]) throws -> ParsedArguments<Option> {
        var values: [String: String] = [:]
        var repeated: [String: [String]] = [:]
        var positionals: [String] = []
        var i = 0
        var flagsEnded = false
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            if flagsEnded || !argument.hasPrefix("-") || argument == "-" || isNegativeNumber(argument) {
                positionals.append(argument)
                continue
            }
            if argument == "--" { flagsEnded = true; continue }
            guard argument.hasPrefix("--") else {
                throw CLIError.usage("unknown option '\(argument)' (options are long, like --help); see 'quill \(spec.name) --help'")
            }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let option = spec.option(name) else {
                throw CLIError.usage("unknown option '--\(name)' for 'quill \(spec.name)'; see 'quill \(spec.name) --help'")
            }
            if case .flag = option.kind {
                if let value, !["true", "false"].contains(value) {
                    throw CLIError.usage("--\(name) takes no value")
                }
                values[name] = value ?? "true"
                continue
            }
            if value == nil {
                guard i < arguments.count, !arguments[i].hasPrefix("--") else {
                    throw CLIError.usage("--\(name) needs a value (\(option.placeholder))")
                }
                value = arguments[i]
                i += 1
            }
            guard let value else { continue }
            try validate(value, for: option)
            values[name] = value
            if option.repeatable { repeated[name, default: []].append(value) }
        }
        if positionals.count > spec.positionals.count {
            let extra = positionals[spec.positionals.count]
            throw CLIError.usage("unexpected argument '\(extra)'; usage: quill \(spec.name) \(spec.positionalUsage)")
        }
        try validateDefaults()
        return ParsedArguments(spec: spec, values: values, repeated: repeated, positionals: positionals)
    }

    /// A default that its own option refuses is a mistake in the spec: reported (never read as
    /// nothing), so every test that runs the command finds it.
    private func validateDefaults() throws {
        for option in spec.options {
            guard let value = option.defaultValue, !isSwitch(option) else { continue }
            do { try validate(value, for: option) } catch {
                throw CLIError.failure("internal error: the default of --\(option.name) is not valid: \(error)")
            }
        }
    }

    private func isSwitch(_ option: OptionSpec) -> Bool {
        if case .flag = option.kind { return true }
        return false
    }

    private func isNegativeNumber(_ text: String) -> Bool {
        text.count > 1 && text.hasPrefix("-") && DecimalNumber.parse(text) != nil
    }

    private func validate(_ value: String, for option: OptionSpec) throws {
        switch option.kind {
        case .int:
            guard let v = Int(value) else {
                throw CLIError.usage("--\(option.name) needs a whole number, got '\(value)'")
            }
            if let limit = option.maximum, v > limit {
                throw CLIError.usage("--\(option.name) must be at most \(limit), got \(value)")
            }
            if let limit = option.minimum, v < limit {
                throw CLIError.usage("--\(option.name) must be at least \(limit), got \(v)")
            }
        case .float:
            guard let v = DecimalNumber.parse(value), v.isFinite else {
                throw CLIError.usage("--\(option.name) needs a decimal number, got '\(value)'")
            }
        case .choice(let words):
            guard words.contains(value) else {
                throw CLIError.usage("--\(option.name) must be one of \(words.joined(separator: ", ")), got '\(value)'")
            }
        case .duration:
            guard let seconds = TimeSpan.seconds(value) else {
                throw CLIError.usage("--\(option.name) needs a time like 90s, 10m, 2h or 4m11s (digits and units, at most \(TimeSpan.maximumText)), got '\(value)'")
            }
            if let problem = TimeSpan.problem(seconds) {
                throw CLIError.usage("--\(option.name) \(problem), got '\(value)'")
            }
        case .string, .flag:
            break
        }
    }
}

/// A plain decimal number: digits, one point, an exponent. `Double(_:)` also takes hexadecimal
/// (`0x10` is 16), `inf` and `nan`, none of which a user means on a command line.
enum DecimalNumber {
    static func parse(_ text: String) -> Double? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) || $0 == 46 || $0 == 101 || $0 == 69 || $0 == 43 || $0 == 45 }),
              text.utf8.contains(where: { (48...57).contains($0) }) else { return nil }
        return Double(text)
    }
}
