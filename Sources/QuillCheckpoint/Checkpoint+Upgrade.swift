import Foundation
import QuillCore

/// The one path by which an older checkpoint is read: `FormatVersion.checkpoint.upgrade` runs
/// these steps on its metadata before anything decodes it, so `Checkpoint` and `ModelConfig`
/// read only the current layout. docs/file-format.md lists the versions.
extension Checkpoint {
    /// Turns version `from`'s metadata into version `from + 1`'s.
    ///
    /// - 1 → 2: `quill.config` lists every `ModelConfig` field. Version 1 files written before a
    ///   field existed lack it; the step writes the value those models were built with (dropout
    ///   0, untied weights, an LSTM cell, PyTorch's initialisation, range 0.1).
    /// - 2 → 3: `quill.config` may hold `attention` (absent: no attention head) and the weights
    ///   the head's `attention.*` tensors; the bpe level's vocabulary (`quill.vocabulary`) holds
    ///   `merges`. A version 2 file has neither (no attention, a char or word level), which is what
    ///   an absent field reads as, so the step changes nothing.
    /// - 3 → 4: `quill.config` may hold `adaptiveSoftmax` (absent: the full softmax) and the
    ///   weights then hold `decoder.head.*` and `decoder.tail.*` in place of `decoder.weight` and
    ///   `decoder.bias`. A version 3 file has none, so the step changes nothing; the version rises
    ///   so that a Quill reading up to 3 refuses such a file by its version rather than by a
    ///   missing `decoder.weight`.
    static func upgrade(from version: Int, _ metadata: inout [String: String]) throws {
        switch version {
        case 1:
            metadata[Key.config] = metadata[Key.config].map { addingMissingFields(to: $0, Self.configFieldsBeforeVersion2) }
        case 2, 3:
            break
        default:
            // Unreachable from a file: FormatVersion asks only for versions below the current one,
            // each of which has its case above. A version raised without its step lands here.
            throw QuillError.runtime("this Quill has no upgrade step from checkpoint format \(version)")
        }
    }

    /// The `ModelConfig` fields a version 1 file may lack, with the values those files meant.
    static var configFieldsBeforeVersion2: [String: Any] {
        ["dropout": 0, "tieWeights": false, "cell": "lstm", "initialization": "pytorch", "initializationRange": 0.1]
    }

    /// `json` with each of `fields` it lacks added; text that is not a JSON object is returned as
    /// it is, for the decoder to refuse with its own message.
    static func addingMissingFields(to json: String, _ fields: [String: Any]) -> String {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else { return json }
        object.merge(fields) { stored, _ in stored }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return json }
        return String(decoding: data, as: UTF8.self)
    }
}
