import Foundation
import Quill

/// The body of `POST /v1/inspect`: `{"text": "…", "top_k": 5, "cells": 5}`, checked field by field
/// like a completion request.
public struct InspectRequest: Equatable, Sendable {
    /// The text to inspect, at most `maximumCharacters` Unicode scalars.
    public var text = ""
    /// Guesses kept per token.
    public var topK = 5
    /// Cells listed per feature.
    public var cells = 5

    /// The fields a request may hold.
    public static let fields = ["text", "top_k", "cells"]
    /// The longest text served: an inspection's page data grows by about 100 bytes a character
    /// and its activations by L·H·8 bytes a token while it runs.
    public static let maximumCharacters = 10_000

    /// Parses a JSON body.
    public init(json body: [UInt8]) throws {
        typealias Invalid = CompletionRequest.Invalid
        let object = try CompletionRequest.object(body, fields: Self.fields)
        guard let text = object["text"]?.string else { throw Invalid(field: "text", message: "'text' must be a string") }
        let count = text.unicodeScalars.count
        guard count <= Self.maximumCharacters else {
            throw Invalid(field: "text", message: "'text' holds \(count) characters; this server inspects at most \(Self.maximumCharacters)")
        }
        self.text = text
        if let v = object["top_k"] {
            guard let k = v.integer, k >= 1, k <= 20 else { throw Invalid(field: "top_k", message: "'top_k' must be a whole number from 1 to 20") }
            topK = k
        }
        if let v = object["cells"] {
            guard let n = v.integer, n >= 1, n <= 20 else { throw Invalid(field: "cells", message: "'cells' must be a whole number from 1 to 20") }
            cells = n
        }
    }
}
