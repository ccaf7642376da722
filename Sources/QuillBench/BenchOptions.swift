/// The benchmark's flag parsing: `--name value` or `--name=value`, every flag with a default.
struct BenchOptions {
    struct UsageError: Error, CustomStringConvertible { let description: String }

    private(set) var values: [String: String]
    private(set) var positional: [String] = []

    init(_ arguments: [String], flags defaults: [String: String]) throws {
        values = defaults
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            if argument.hasPrefix("--") {
                var name = String(argument.dropFirst(2))
                var value: String? = nil
                if let eq = name.firstIndex(of: "=") {
                    value = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                guard defaults[name] != nil else { throw UsageError(description: "unknown flag --\(name)") }
                if value == nil {
                    if defaults[name] == "false" {
                        value = "true"
                    } else {
                        i += 1
                        guard i < arguments.count else { throw UsageError(description: "--\(name) needs a value") }
                        value = arguments[i]
                    }
                }
                values[name] = value
            } else {
                positional.append(argument)
            }
            i += 1
        }
    }

    func string(_ name: String) -> String { values[name]! }

    func int(_ name: String) throws -> Int {
        guard let v = Int(values[name]!), v > 0 else {
            throw UsageError(description: "--\(name) needs a positive whole number, got '\(values[name]!)'")
        }
        return v
    }

    func bool(_ name: String) -> Bool { values[name] == "true" }
}
