import Foundation
import Quill
import XCTest

/// Bits per character at word level: reported where every word of the text is known, as the
/// nats over its words and line ends spread over all its characters; "not comparable" otherwise;
/// and in `quill info` by the same rule.
extension CLITests {
    func testWordModelsReportBitsPerCharacterOnlyWhenEveryWordIsKnown() throws {
        // Runs of spaces and a tab: characters count them, words do not.
        let line = "the lamp  was lit\tat dusk ."
        let text = write(String(repeating: line + "\n", count: 80), "words.txt")
        let out = folder + "/words"
        let train = try quill(["train", text, "--level", "word", "--val", text, "--out", out, "--embed", "8", "--hidden", "16",
                               "--batch", "4", "--seq-len", "8", "--max-steps", "6", "--eval-every", "3"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let validations = train.stderr.split(separator: "\n").filter { $0.hasPrefix("validation |") }
        XCTAssertFalse(validations.isEmpty, train.stderr)
        for v in validations { XCTAssertTrue(v.contains("bits/char") && !v.contains("bits/byte"), "ASCII: \(v)") }

        let scored = try quill(["perplexity", out, text, "--json", "--batch", "2"])
        XCTAssertEqual(scored.status, 0, scored.stderr)
        let result = try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(result["unknown"] as? Int, 0)
        // Counted here from the text: 7 words and one <eos> a line; every scalar, spaces included.
        XCTAssertEqual(result["text_tokens"] as? Int, 8 * 80)
        let characters = Double((line.unicodeScalars.count + 1) * 80)
        let expected = (result["cross_entropy"] as! Double) * Double(8 * 80) / characters / log(2.0)
        XCTAssertEqual(result["bits_per_char"] as! Double, expected, accuracy: 1e-12)
        XCTAssertEqual(result["bits_per_byte"] as! Double, expected, accuracy: 1e-12) // ASCII: a byte a character

        // The checkpoint keeps the validation text's tokens per character, so info reports its best
        // validation loss in the same unit.
        let info = try JSONSerialization.jsonObject(with: Data(try quill(["info", out, "--json"]).stdout.utf8)) as! [String: Any]
        XCTAssertEqual(try XCTUnwrap(info["best_validation_bits_per_char"] as? Double),
                       (info["best_validation_loss"] as! Double) * Double(8 * 80) / characters / log(2.0), accuracy: 1e-12)
        XCTAssertTrue(try quill(["info", out]).stdout.contains(" bits/char"))

        // One unknown word: a figure over characters would not compare with the other levels'.
        let other = write(String(repeating: line + "\n", count: 5) + "the keeper slept\n", "unknown.txt")
        let unknown = try quill(["perplexity", out, other, "--json", "--batch", "1"])
        XCTAssertEqual(unknown.status, 0, unknown.stderr)
        let withUnknown = try JSONSerialization.jsonObject(with: Data(unknown.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(withUnknown["unknown"] as? Int, 2)
        XCTAssertTrue(withUnknown["bits_per_char"] is NSNull)
        XCTAssertTrue(withUnknown["bits_per_byte"] is NSNull)
        let plain = try quill(["perplexity", out, other, "--batch", "1"])
        XCTAssertTrue(plain.stdout.contains("bits per char   not comparable: 2 of the text's words are unknown"), plain.stdout)

        // Validated on that text, a run has no such figure, and info says none.
        let unknownOut = folder + "/words-unknown"
        let second = try quill(["train", text, "--level", "word", "--val", other, "--out", unknownOut, "--embed", "8", "--hidden", "16",
                                "--batch", "4", "--seq-len", "8", "--max-steps", "3", "--quiet"])
        XCTAssertEqual(second.status, 0, second.stderr)
        let secondInfo = try JSONSerialization.jsonObject(with: Data(try quill(["info", unknownOut, "--json"]).stdout.utf8)) as! [String: Any]
        XCTAssertNotNil(secondInfo["best_validation_loss"] as? Double)
        XCTAssertTrue(secondInfo["best_validation_bits_per_char"] is NSNull)
        XCTAssertFalse(try quill(["info", unknownOut]).stdout.contains("bits/char"))
    }
}
