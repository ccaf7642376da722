import Foundation
import Quill

/// The body of `POST /v1/completions`, checked field by field: unknown fields, wrong types and
/// values out of range are refused with a message naming the field.
public struct CompletionRequest: Equatable, Sendable {
    public var prompt = ""
    public var maxTokens = 16
    public var temperature = 1.0
    public var topK: Int?
    public var topP: Double?
    public var seed: UInt64?
    public var stop: String?
    public var stream = false

    /// The fields a request may hold.
    public static let fields = ["prompt", "max_tokens", "temperature", "top_k", "top_p", "seed", "stop", "stream", "model"]

    /// A field that cannot be served, and why.
    public struct Invalid: Error, Equatable, Sendable {
        public let field: String?
        public let message: String
    }

    /// The members of a request body that must be a JSON object of only `fields` (read strictly:
    /// `JSONParser`); what is wrong is said as a 400 would say it.
    static func object(_ body: [UInt8], fields: [String]) throws -> [String: JSONValue] {
        let value: JSONValue
        do { value = try JSONParser.parse(body) } catch { throw Invalid(field: nil, message: "the body is not valid JSON: \(error)") }
        guard let object = value.object else { throw Invalid(field: nil, message: "the body must be a JSON object") }
        for key in object.keys.sorted() where !fields.contains(key) {
            throw Invalid(field: key, message: "unknown field '\(key)' (known: \(fields.joined(separator: ", ")))")
        }
        return object
    }

    /// Parses a JSON body; `maximumTokens` bounds `max_tokens`.
    public init(json body: [UInt8], maximumTokens: Int) throws {
        let object = try Self.object(body, fields: Self.fields)
        func fail(_ field: String, _ what: String) -> Invalid { Invalid(field: field, message: "'\(field)' must be \(what)") }
        if let v = object["prompt"] {
            guard let s = v.string else { throw fail("prompt", "a string") }
            prompt = s
        }
        if let v = object["max_tokens"] {
            guard let n = v.integer, n >= 1, n <= maximumTokens else { throw fail("max_tokens", "a whole number from 1 to \(maximumTokens)") }
            maxTokens = n
        }
        if let v = object["temperature"] {
            guard let t = v.number, t >= 0, t <= 100 else { throw fail("temperature", "a number from 0 (greedy) to 100") }
            temperature = t
        }
        if let v = object["top_k"], v != .null {
            guard let k = v.integer, k >= 0 else { throw fail("top_k", "a whole number, 0 or more (0: off)") }
            topK = k == 0 ? nil : k
        }
        if let v = object["top_p"], v != .null {
            guard let p = v.number, p > 0, p <= 1 else { throw fail("top_p", "a number above 0 and at most 1") }
            topP = p == 1 ? nil : p
        }
        if let v = object["seed"], v != .null {
            guard let s = v.integer, s >= 0 else { throw fail("seed", "a whole number, 0 or more") }
            seed = UInt64(s)
        }
        if let v = object["stop"], v != .null {
            let items = v.items.compactMap(\.string)
            guard items.count == v.items.count, items.count <= 1, items.allSatisfy({ !$0.isEmpty }) else {
                throw fail("stop", "a non-empty string (or a list of one)")
            }
            stop = items.first
        }
        if let v = object["stream"] {
            guard let b = v.bool else { throw fail("stream", "true or false") }
            stream = b
        }
        if let v = object["model"], v.string == nil { throw fail("model", "a string") }
    }
}
