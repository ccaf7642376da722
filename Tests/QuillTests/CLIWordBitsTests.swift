import Foundation
import Quill
import XCTest

/// Bits per character at word level: reported where every word of the text is known, as the
/// nats over its words and line ends spread over all its characters; "not comparable" otherwise.
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
        for v in validations { XCTAssertTrue(v.contains("bits/char"), String(v)) }

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
    }
}
