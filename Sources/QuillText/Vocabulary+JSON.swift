import Foundation
import QuillCore

extension Vocabulary {
    private struct Stored: Codable {
        var tokens: [String]
        var specials: Int
        /// A bpe vocabulary's merges, `[left, right]` symbol pairs in rank order (absent otherwise).
        var merges: [[Int32]]?
    }

    /// The vocabulary as a compact JSON object `{"specials": N, "tokens": [...]}`, with
    /// `"merges": [[left, right], ...]` for a bpe vocabulary.
    public func jsonString() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(Stored(tokens: tokens, specials: specialCount, merges: storedMerges))
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads what `jsonString()` wrote.
    public init(jsonString: String) throws {
        guard let stored = try? JSONDecoder().decode(Stored.self, from: Data(jsonString.utf8)) else {
            throw QuillError.runtime("vocabulary is not valid JSON of the form {\"specials\": N, \"tokens\": [...]}")
        }
        try self.init(tokens: stored.tokens, specialCount: stored.specials, merges: try stored.merges.map(Self.merges(stored:)))
    }
}

extension Vocabulary {
    /// The vocabulary as a JSON array of tokens in id order: what `quill export-vocab` writes to a
    /// `.json` file, and what PyTorch code reads with `json.load` as its `idx2word`. Unlike the
    /// one-token-per-line format it holds any token, newlines and spaces included.
    public func jsonArrayText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(tokens), as: UTF8.self) + "\n"
    }

    /// Reads a vocabulary file in either format: a JSON array of tokens in id order (a `.json`
    /// file, or any file whose first non-blank character is `[`), else one token per line.
    /// Leading specials (`<pad>`, `<unk>`, `<bos>`, `<eos>`) count as specials in both.
    /// - Parameter level: the tokens are checked for it (`validate(level:)`; nil checks only
    ///   what holds at every level), and a problem is reported against this file.
    public init(file path: String, level: TokenLevel? = nil) throws {
        guard !path.isEmpty else { throw QuillError.badText(path: "\"\"", problem: "the vocabulary path is empty") }
        let text = try TextFile(path: path)
        let firstVisible = text.bytes.first { !ASCII.isWhitespace($0) }
        let tokens: [String]
        if path.lowercased().hasSuffix(".json") || firstVisible == UInt8(ascii: "[") {
            guard let decoded = try? JSONDecoder().decode([String].self, from: Data(text.bytes)) else {
                throw QuillError.badText(path: path, problem: "not a JSON array of strings (a vocabulary in id order)")
            }
            tokens = decoded
        } else {
            tokens = try Self.lines(of: text, path: path)
        }
        do {
            try self.init(tokens: tokens, specialCount: Self.leadingSpecials(tokens))
            try validate(level: level)
        } catch let error as QuillError {
            throw QuillError.badText(path: path, problem: error.description)
        }
    }
}
