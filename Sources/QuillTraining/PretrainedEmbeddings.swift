import Foundation
import QuillCore
import QuillText

/// Word vectors in the text format GloVe and word2vec write: one `token v1 … vd` line per token,
/// fields separated by any run of spaces or tabs, with an optional `count d` header line
/// (word2vec). Numbers are plain decimals (`-0.25`, `3`, `1e-3`): hexadecimal, `nan` and `inf`
/// are refused, as are values too large for a float. Only the vectors of
/// tokens in a vocabulary are kept, so a large file costs one pass and little memory.
public struct PretrainedEmbeddings: Sendable {
    /// How much of a vocabulary a vectors file covered.
    public struct Coverage: Sendable, Equatable {
        /// Vectors in the file.
        public let vectors: Int
        /// Numbers per vector.
        public let dimension: Int
        /// Vocabulary tokens found as they are spelt.
        public let exact: Int
        /// Vocabulary tokens found only in lower case ("The" from "the"), as GloVe's are cased.
        public let lowercase: Int
        /// Tokens in the vocabulary.
        public let vocabularySize: Int

        /// Vocabulary tokens given a vector.
        public var covered: Int { exact + lowercase }
        /// Share of the vocabulary covered.
        public var share: Double { vocabularySize == 0 ? 0 : Double(covered) / Double(vocabularySize) }
    }

    /// Row of the embedding matrix for each covered vocabulary id.
    public let rows: [Int: [Float]]
    /// What the file covered.
    public let coverage: Coverage

    /// Reads `path` for the tokens of `vocabulary`; throws when the file is not in the format, or
    /// its vectors are not `dimension` long (the model's embedding size).
    public init(path: String, vocabulary: Vocabulary, dimension: Int) throws {
        guard !path.isEmpty else { throw QuillError.badText(path: "\"\"", problem: "the vectors file's path is empty") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QuillError.io(path: path, problem: "cannot read the vectors file")
        }
        var lowercaseIDs: [String: [Int]] = [:]
        for (id, token) in vocabulary.tokens.enumerated() where token.lowercased() != token {
            lowercaseIDs[token.lowercased(), default: []].append(id)
        }
        var exact: [Int: [Float]] = [:], lowered: [Int: [Float]] = [:]
        var fileDimension: Int?
        var vectors = 0
        let lines = data.split(separator: ASCII.newline, omittingEmptySubsequences: true)
        for (number, line) in lines.enumerated() {
            let fields = line.split(omittingEmptySubsequences: true, whereSeparator: ASCII.isWhitespace)
                .map { String(decoding: $0, as: UTF8.self) }
            guard !fields.isEmpty else { continue } // a blank line (spaces, a lone \r)
            if number == 0, fields.count == 2, Int(fields[0]) != nil, let d = Int(fields[1]) {
                fileDimension = d // word2vec's "count dimension" header
                continue
            }
            if fileDimension == nil { fileDimension = fields.count - 1 }
            let d = fileDimension!
            guard d >= 1, fields.count > d else {
                throw QuillError.badText(path: path, problem: "line \(number + 1) has \(fields.count) fields; a vectors file has a token and \(d) numbers per line")
            }
            vectors += 1
            let token = fields[..<(fields.count - d)].joined(separator: " ")
            let exactID = vocabulary.id(for: token)
            let lowerIDs = lowercaseIDs[token] ?? []
            guard exactID != nil || !lowerIDs.isEmpty else { continue }
            let vector = try fields[(fields.count - d)...].map { field in
                guard let value = Self.decimal(field) else {
                    throw QuillError.badText(path: path, problem: "line \(number + 1): '\(field)' is not a finite decimal number")
                }
                return value
            }
            if let exactID { exact[exactID] = vector }
            for id in lowerIDs where lowered[id] == nil { lowered[id] = vector }
        }
        guard let found = fileDimension, vectors > 0 else {
            throw QuillError.badText(path: path, problem: "holds no vectors")
        }
        guard found == dimension else {
            throw QuillError.invalidSetting(InvalidSetting(.embeddingsFile, path, "embeddingsFile \(path) holds \(found)-dimensional vectors but embeddingSize is \(dimension)", related: [.embeddingSize]))
        }
        var rows = exact
        for (id, vector) in lowered where rows[id] == nil { rows[id] = vector }
        self.rows = rows
        coverage = Coverage(vectors: vectors, dimension: found, exact: exact.count, lowercase: rows.count - exact.count,
                            vocabularySize: vocabulary.count)
    }

    /// `text` as a float when it is a plain decimal that float holds finitely: an optional sign,
    /// digits with an optional point (at least one digit), an optional exponent `e`/`E` with an
    /// optional sign and digits. `Float(_:)` alone would take `0x1p3`, `nan` and `inf` too.
    static func decimal(_ text: String) -> Float? {
        var bytes = Substring(text).utf8[...]
        func digits() -> Int {
            let run = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
            bytes = bytes.dropFirst(run)
            return run
        }
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        var mantissa = digits()
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            mantissa += digits()
        }
        guard mantissa > 0 else { return nil }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return nil }
        }
        guard bytes.isEmpty, let value = Float(text), value.isFinite else { return nil }
        return value
    }

    /// Writes the covered rows into a `[V, dimension]` embedding matrix.
    public func apply(to embedding: UnsafeMutablePointer<Float>) {
        for (id, vector) in rows {
            vector.withUnsafeBufferPointer { (embedding + id * coverage.dimension).update(from: $0.baseAddress!, count: $0.count) }
        }
    }
}
