import Foundation
import QuillCore

extension Vocabulary {
    /// A bpe vocabulary as a Hugging Face `tokenizer.json`: a `BPE` model whose vocab maps each
    /// token (in `ByteAlphabet` characters) to its Quill id and whose merges are this vocabulary's
    /// in rank order, the `ByteLevel` pre-tokenizer and decoder (GPT-2's pattern, no prefix space),
    /// the tokens that are no symbol (specials) as added tokens, and a normalizer turning CR LF into LF as Quill reads text.
    /// `tokenizers.Tokenizer.from_file` then encodes text to Quill's ids. Throws for a vocabulary
    /// without merges.
    public func tokenizerJSONText() throws -> String {
        guard let merges else { throw QuillError.runtime("only a bpe vocabulary can be written as a tokenizer.json") }
        var vocab: [String: Int] = [:]
        for (id, token) in tokens.enumerated() { vocab[token] = id }
        let symbols = merges.tokenStrings
        // "left right": byte-level tokens never hold a plain space (it is Ġ), so one space parts them.
        let mergeLines = merges.pairs.map { symbols[Int($0.left)] + " " + symbols[Int($0.right)] }
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
        let object: [String: Any] = [
            "version": "1.0",
            "truncation": NSNull(),
            "padding": NSNull(),
            "added_tokens": tokens.indices.filter { idSymbols[$0] < 0 }.map { id -> [String: Any] in
                ["id": id, "content": tokens[id], "single_word": false, "lstrip": false, "rstrip": false,
                 "normalized": false, "special": true]
            },
            "normalizer": ["type": "Replace", "pattern": ["String": "\r\n"], "content": "\n"] as [String: Any],
            "pre_tokenizer": byteLevel,
            "post_processor": NSNull(),
            "decoder": byteLevel,
            "model": [
                "type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                "vocab": vocab, "merges": mergeLines,
            ] as [String: Any],
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A bpe vocabulary from a Hugging Face `tokenizer.json` of GPT-2's kind, keeping its ids: a
    /// `BPE` model (no unknown token, prefix or suffix) under the `ByteLevel` pre-tokenizer with
    /// GPT-2's pattern and no prefix space. Its merges ("left right" strings or [left, right]
    /// pairs) become Quill's in the same rank order; added tokens (`<|endoftext|>`) stay tokens
    /// that text never encodes to. Any other kind of tokenizer is refused, naming what differs.
    /// - Parameter path: names the file in errors.
    public init(tokenizerJSON data: [UInt8], path: String) throws {
        func fail(_ problem: String) -> QuillError { .badText(path: path, problem: problem) }
        // Strictly first: a vocab naming a token twice must not be read one way or the other.
        do { _ = try JSONParser.parse(data) } catch { throw fail("not JSON: \(error)") }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any],
              let model = object["model"] as? [String: Any] else {
            throw fail("not a tokenizer.json (a JSON object with a \"model\")")
        }
        guard model["type"] as? String == "BPE" else {
            throw fail("its model is \(model["type"] as? String ?? "untyped"), not BPE; Quill reads byte-level BPE tokenizers (GPT-2's kind)")
        }
        let preTokenizer = object["pre_tokenizer"] as? [String: Any]
        guard preTokenizer?["type"] as? String == "ByteLevel", preTokenizer?["add_prefix_space"] as? Bool != true,
              preTokenizer?["use_regex"] as? Bool != false else {
            throw fail("its pre-tokenizer is not ByteLevel with GPT-2's pattern and no prefix space, which is the only one Quill splits text as")
        }
        for key in ["unk_token", "continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[key] as? String, !value.isEmpty { throw fail("its BPE model has a \(key) (\(value)), which byte-level BPE does not use") }
        }
        if let normalizer = object["normalizer"] as? [String: Any], normalizer["type"] as? String != "Replace" {
            throw fail("it has a \(normalizer["type"] as? String ?? "") normalizer; Quill reads text unnormalised (but for CR LF as LF)")
        }
        guard let vocab = model["vocab"] as? [String: Int], !vocab.isEmpty else { throw fail("its BPE model has no vocab") }
        var tokens = [String?](repeating: nil, count: vocab.count)
        for (token, id) in vocab {
            guard id >= 0 && id < vocab.count, tokens[id] == nil else { throw fail("its vocab ids are not 0 to \(vocab.count - 1), each once (id \(id))") }
            tokens[id] = token
        }
        var symbols: [String: Int32] = [:]
        for b in 0..<256 { symbols[ByteAlphabet.string([UInt8(b)])] = Int32(b) }
        var made = 256
        var pairs: [BytePairMerges.Pair] = []
        for (k, entry) in ((model["merges"] as? [Any]) ?? []).enumerated() {
            let parts: [String]
            if let line = entry as? String { parts = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init) }
            else if let pair = entry as? [String] { parts = pair }
            else { throw fail("merge \(k) is neither \"left right\" nor [left, right]") }
            guard parts.count == 2, let left = symbols[parts[0]], let right = symbols[parts[1]] else {
                throw fail("merge \(k) (\(parts.joined(separator: " "))) joins tokens that are not bytes or earlier merges")
            }
            pairs.append(.init(left, right))
            // Numbered as `BytePairMerges` numbers them: a merge of bytes already seen makes that symbol.
            if symbols[parts[0] + parts[1]] == nil {
                symbols[parts[0] + parts[1]] = Int32(made)
                made += 1
            }
        }
        let merges: BytePairMerges
        do { merges = try BytePairMerges(pairs: pairs) } catch { throw fail("\(error)") }
        let list = tokens.map { $0! }
        do {
            try self.init(tokens: list, specialCount: Self.leadingSpecials(list), merges: merges)
        } catch { throw fail("\(error)") }
    }

    /// Reads `init(tokenizerJSON:path:)`'s file.
    public init(tokenizerFile path: String) throws {
        guard !path.isEmpty else { throw QuillError.badText(path: "\"\"", problem: "the tokenizer path is empty") }
        try self.init(tokenizerJSON: try TextFile(path: path).bytes, path: path)
    }
}
