import Foundation

/// A JSON value read strictly (see `JSONParser`): a number is never read as a boolean or the
/// reverse (Foundation's JSONSerialization hands both back as NSNumber), and a text with a
/// trailing comma or a repeated key is not JSON, so files and requests can be checked field by
/// field with errors that name the field.
package enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The value as compact JSON text, for an error that quotes what a file said (strings with
    /// their quotes and backslashes escaped; object keys sorted).
    package var jsonText: String {
        func quoted(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n.rounded() == n && abs(n) < 1e15 ? String(Int(n)) : String(n)
        case .string(let s): return quoted(s)
        case .array(let a): return "[" + a.map(\.jsonText).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.keys.sorted().map { quoted($0) + ": " + o[$0]!.jsonText }.joined(separator: ", ") + "}"
        }
    }

    /// Parses `data` as one JSON value; nil when it is not JSON.
    package static func parse(_ data: Data) -> JSONValue? { try? JSONParser.parse([UInt8](data)) }

    /// The number, when this is one.
    package var number: Double? { if case .number(let n) = self { return n } else { return nil } }
    /// The number, when this is a whole number that fits an Int.
    package var integer: Int? {
        guard let n = number, n.rounded() == n, abs(n) < 9e15 else { return nil }
        return Int(n)
    }
    /// The boolean, when this is one.
    package var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    /// The string, when this is one.
    package var string: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The elements of an array, or this value alone.
    package var items: [JSONValue] { if case .array(let a) = self { return a } else { return [self] } }
    /// The members, when this is an object.
    package var object: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }
}
