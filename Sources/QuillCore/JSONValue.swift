import Foundation

/// A JSON value decoded strictly: a number is never read as a boolean or the reverse (Foundation's
/// JSONSerialization hands both back as NSNumber), so files and requests can be checked field by
/// field with errors that name the field.
package enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Decodes whatever JSON value comes next.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// Parses `data` as one JSON value; nil when it is not JSON.
    public static func parse(_ data: Data) -> JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: data) }

    /// The number, when this is one.
    public var number: Double? { if case .number(let n) = self { return n } else { return nil } }
    /// The number, when this is a whole number that fits an Int.
    public var integer: Int? {
        guard let n = number, n.rounded() == n, abs(n) < 9e15 else { return nil }
        return Int(n)
    }
    /// The boolean, when this is one.
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    /// The string, when this is one.
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The elements of an array, or this value alone.
    public var items: [JSONValue] { if case .array(let a) = self { return a } else { return [self] } }
    /// The members, when this is an object.
    public var object: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }
}
