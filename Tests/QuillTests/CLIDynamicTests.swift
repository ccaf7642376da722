import Foundation
import XCTest

/// `quill perplexity --dynamic/--cache` and `quill generate --adapt` through the binary.
extension CLITests {
    func testAdaptedPerplexityKeepsTheStaticFieldsAndAddsAnAdaptedObject() throws {
        let model = try trainSmallCharModel()
        let text = write(String(repeating: "the lamp from the west.\n", count: 20), "held.txt")
        let plain = try quill(["perplexity", model, text, "--json"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let adapted = try quill(["perplexity", model, text, "--json", "--dynamic", "--dynamic-segment", "10", "--cache"])
        XCTAssertEqual(adapted.status, 0, adapted.stderr)
        var before = try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as! [String: Any]
        var after = try JSONSerialization.jsonObject(with: Data(adapted.stdout.utf8)) as! [String: Any]
        let object = try XCTUnwrap(after.removeValue(forKey: "adapted") as? [String: Any])
        XCTAssertNotNil(after.removeValue(forKey: "seconds") as? Double)
        before["file"] = nil
        after["file"] = nil
        XCTAssertEqual(NSDictionary(dictionary: before), NSDictionary(dictionary: after), "static fields differ from the plain command's")
        for key in ["cross_entropy", "perplexity", "bits_per_char", "seconds"] { XCTAssertNotNil(object[key] as? Double, key) }
        XCTAssertEqual((object["dynamic"] as? [String: Any])?["segment"] as? Int, 10)
        XCTAssertEqual(object["batch"] as? Int, 10, "the adapted pass reads the static pass's --batch streams")
        XCTAssertEqual(object["tokens"] as? Int, after["tokens"] as? Int, "the adapted pass scores the static pass's positions")
        XCTAssertEqual((object["dynamic"] as? [String: Any])?["lr"] as? Double, 6e-4, "the char default for several streams")
        let oneStream = try quill(["perplexity", model, text, "--json", "--dynamic", "--batch", "1"])
        let oneStreamObject = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(oneStream.stdout.utf8)) as? [String: Any])?["adapted"] as? [String: Any])
        XCTAssertEqual((oneStreamObject["dynamic"] as? [String: Any])?["lr"] as? Double, 3e-4, "the char default for one stream")
        XCTAssertNotNil((object["cache"] as? [String: Any])?["lambda"] as? Double)

        let textOutput = try quill(["perplexity", model, text, "--cache"])
        XCTAssertTrue(textOutput.stdout.contains("static          adapted"), textOutput.stdout)

        let generated = try quill(["generate", model, "--adapt", text, "--length", "5"])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        XCTAssertTrue(generated.stderr.contains("before") && generated.stderr.contains("after"), generated.stderr)

        assertError(try quill(["perplexity", model, text, "--cache-size", "5"]), status: 2, "--cache-size", "--cache")
        assertError(try quill(["perplexity", model, text, "--dynamic", "--dynamic-decay", "1"]), status: 2, "--dynamic-decay")
        assertError(try quill(["perplexity", model, text, "--cache", "--cache-theta", "x"]), status: 2, "--cache-theta")
        assertError(try quill(["generate", model, "--dynamic-lr", "1"]), status: 2, "--adapt")
        assertError(try quill(["perplexity", model, text, "--dynamic", "--dynamic-train", folder + "/missing.txt"]), status: 1, "missing.txt")
        // A step so large the predictions overflow is an error naming the rate, not "perplexity inf".
        let diverged = try quill(["perplexity", model, text, "--dynamic", "--dynamic-lr", "1e6", "--batch", "1"])
        XCTAssertNotEqual(diverged.status, 0, diverged.stdout)
        XCTAssertTrue(diverged.stderr.contains("--dynamic-lr"), diverged.stderr)
    }
}
