/// The values of one parsed command line, read by name with the option's default applied.
struct ParsedArguments {
    let spec: CommandSpec
    let values: [String: String]
    let positionals: [String]

    private func raw(_ name: String) -> String? {
        precondition(spec.option(name) != nil, "no option --\(name) in \(spec.name)")
        return values[name] ?? spec.option(name)!.defaultValue
    }

    func isSet(_ name: String) -> Bool { values[name] != nil }

    func flag(_ name: String) -> Bool { raw(name) == "true" }

    func string(_ name: String) -> String? { raw(name) }

    func int(_ name: String) -> Int? { raw(name).flatMap { Int($0) } }

    func double(_ name: String) -> Double? { raw(name).flatMap { Double($0) } }

    func seconds(_ name: String) -> Double? { raw(name).flatMap(Duration.seconds) }

    /// A whole number that must be at least `minimum`.
    func int(_ name: String, atLeast minimum: Int) throws -> Int? {
        guard let v = int(name) else { return nil }
        guard v >= minimum else {
            throw CLIError.usage("--\(name) must be at least \(minimum), got \(v)")
        }
        return v
    }

    /// A number within `range` (closed).
    func double(_ name: String, in range: ClosedRange<Double>, open: Bool = false) throws -> Double? {
        guard let v = double(name) else { return nil }
        let inside = open ? (v > range.lowerBound && v < range.upperBound) : range.contains(v)
        guard inside else {
            let bounds = open ? "between \(range.lowerBound) and \(range.upperBound) (exclusive)"
                              : "between \(range.lowerBound) and \(range.upperBound)"
            throw CLIError.usage("--\(name) must be \(bounds), got \(v)")
        }
        return v
    }

    /// Positional argument `index`, or a usage error naming it.
    func positional(_ index: Int) throws -> String {
        guard index < positionals.count else {
            throw CLIError.usage("missing \(spec.positionals[index]); usage: quill \(spec.name) \(spec.positionals.joined(separator: " "))")
        }
        return positionals[index]
    }
}
