import Foundation
import QuillCore

extension Vocabulary {
    /// A bpe vocabulary as a Hugging Face `tokenizer.json`: a `BPE` model whose vocab maps each
    /// token (in `ByteAlphabet` characters) to its Quill id and whose merges are this vocabulary's
    /// in rank order, the `ByteLevel` pre-tokenizer and decoder (GPT-2's pattern, no prefix space),
    /// the specials as added tokens, and a normalizer turning CR LF into LF as Quill reads text.
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
            "added_tokens": (0..<specialCount).map { id -> [String: Any] in
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
}
