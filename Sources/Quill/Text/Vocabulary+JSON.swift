import Foundation

extension Vocabulary {
    private struct Stored: Codable {
        var tokens: [String]
        var specials: Int
    }

    /// The vocabulary as a compact JSON object `{"specials": N, "tokens": [...]}`.
    public func jsonString() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(Stored(tokens: tokens, specials: specialCount))
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads what `jsonString()` wrote.
    public init(jsonString: String) throws {
        guard let stored = try? JSONDecoder().decode(Stored.self, from: Data(jsonString.utf8)) else {
            throw QuillError.runtime("vocabulary is not valid JSON of the form {\"specials\": N, \"tokens\": [...]}")
        }
        try self.init(tokens: stored.tokens, specialCount: stored.specials)
    }
}
