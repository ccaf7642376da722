import Foundation
import XCTest

/// `quill generate --interactive` with prompt characters the model never saw.
extension CLITests {
    func testInteractiveUnknownCharactersKeepTheSession() throws {
        let model = try trainSmallCharModel()
        let args = ["generate", model, "--interactive", "--length", "12", "--seed", "4", "--stop-at-eos"]
        // A bell, an escape sequence and a euro sign: refused with one line naming them by code
        // point, no raw control byte; the session goes on with its context.
        let refused = try quill(args, input: "the\nlamp \u{07}\u{1B}[2J€\nthe\n")
        XCTAssertEqual(refused.status, 0, refused.stderr)
        let complaint = refused.stderr.split(separator: "\n")
        XCTAssertEqual(complaint.count, 1, refused.stderr)
        for fragment in ["quill: ", "U+0007", "U+001B", "'€' (U+20AC)", "--unknown", "not used"] {
            XCTAssertTrue(refused.stderr.contains(fragment), "'\(fragment)' not in: \(refused.stderr)")
        }
        XCTAssertFalse(refused.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, refused.stderr)
        // The refused line changed nothing: the output is that of the two good lines alone.
        let without = try quill(args, input: "the\nthe\n")
        XCTAssertEqual(refused.stdout, without.stdout)
        XCTAssertEqual(refused.stdout.split(separator: "\n", omittingEmptySubsequences: false).count, 3, refused.stdout)

        // skip and unk go on with the line: skip reads it as if the characters were not there.
        let skipped = try quill(args + ["--unknown", "skip"], input: "the\nla\u{07}mp€\nthe\n")
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertEqual(skipped.stderr, "")
        XCTAssertEqual(skipped.stdout, try quill(args, input: "the\nlamp\nthe\n").stdout)
        let unk = try quill(args + ["--unknown", "unk"], input: "the\nla\u{07}mp\nthe\n")
        XCTAssertEqual(unk.status, 0, unk.stderr)
        XCTAssertEqual(unk.stdout.split(separator: "\n", omittingEmptySubsequences: false).count, 4, unk.stdout)
    }
}

extension CLITests {
    /// At word level an unknown word is read as <unk> with a warning; the warning shows control
    /// characters (C0 and C1) escaped, never raw, in `--interactive` and in `--prompt`.
    func testUnknownWordWarningsEscapeControlCharacters() throws {
        let text = write(String(repeating: "the keeper lit the lamp\nwind from the west\n", count: 40), "words.txt")
        let out = folder + "/words"
        XCTAssertEqual(try quill(["train", text, "--level", "word", "--out", out, "--embed", "8", "--hidden", "16", "--batch", "4",
                                  "--seq-len", "8", "--max-steps", "3", "--quiet"]).status, 0)
        let word = "ev\u{1B}[2Jil\u{9B}31m"
        let interactive = try quill(["generate", out, "--interactive", "--length", "3", "--seed", "1"], input: "the \(word) lamp\n")
        XCTAssertEqual(interactive.status, 0, interactive.stderr)
        let prompted = try quill(["generate", out, "--prompt", "the \(word) lamp", "--length", "3", "--seed", "1"])
        XCTAssertEqual(prompted.status, 0, prompted.stderr)
        for run in [interactive, prompted] {
            XCTAssertTrue(run.stderr.contains("read as <unk>: ev\\u{1B}[2Jil\\u{9B}31m"), run.stderr)
            XCTAssertFalse(run.stderr.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) },
                           run.stderr)
        }
    }
}
