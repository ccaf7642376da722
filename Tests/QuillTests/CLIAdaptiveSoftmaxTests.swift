import Foundation
import Quill
import XCTest

/// `--adaptive-softmax` through the command line: training (stream and lines), info, perplexity,
/// generation, quantizing, `--from`, and the refusals.
extension CLITests {
    func testAdaptiveSoftmaxEndToEnd() throws {
        let words = (0..<60).map { "w\($0)" }
        var state: UInt64 = 7 // a fixed linear congruential sequence: the same text every run
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) % 60 }
        let lines = (0..<200).map { _ in (0..<8).map { _ in words[next()] }.joined(separator: " ") }
        let text = write(lines.joined(separator: "\n") + "\n", "words.txt")
        let out = folder + "/adaptive"
        let common = ["--level", "word", "--embed", "8", "--hidden", "16", "--batch", "4", "--seq-len", "8", "--quiet"]
        let trained = try quill(["train", text, "--out", out, "--adaptive-softmax", "10, 30", "--adaptive-div", "2",
                                 "--max-steps", "30"] + common)
        XCTAssertEqual(trained.status, 0, trained.stderr)

        let info = try quill(["info", out])
        XCTAssertTrue(info.stdout.contains("adaptive softmax shortlist 10, clusters 10..<30 via 8, 30..<"), info.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(try quill(["info", out, "--json"]).stdout.utf8)) as! [String: Any]
        let adaptive = json["adaptive_softmax"] as! [String: Any]
        XCTAssertEqual(adaptive["cutoffs"] as? [Int], [10, 30])
        XCTAssertEqual(adaptive["projections"] as? [Int], [8, 4])

        // Perplexity (the chunked path) is the validation's figure for the same batches, and a
        // bf16 copy scores within a hair of it.
        func crossEntropy(_ model: String) throws -> Double {
            let run = try quill(["perplexity", model, text, "--json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
            return object["cross_entropy"] as! Double
        }
        let full = try crossEntropy(out)
        XCTAssertLessThan(full, log(61.0) + 0.5)
        XCTAssertEqual(try quill(["quantize", out, folder + "/adaptive-bf16", "--to", "bf16"]).status, 0)
        XCTAssertEqual(try crossEntropy(folder + "/adaptive-bf16"), full, accuracy: 0.02 * full)

        let generated = try quill(["generate", out, "--prompt", "w1 w2", "--length", "12", "--seed", "3"])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        XCTAssertGreaterThan(generated.stdout.split(separator: " ").count, 4, generated.stdout)
        XCTAssertEqual(try quill(["generate", out, "--prompt", "w1 w2", "--length", "12", "--seed", "3"]).stdout, generated.stdout)

        // --from takes the softmax from the model; lines mode trains with one too.
        let tuned = try quill(["train", text, "--from", out, "--out", folder + "/tuned", "--max-steps", "3", "--batch", "4",
                               "--seq-len", "8", "--quiet"])
        XCTAssertEqual(tuned.status, 0, tuned.stderr)
        XCTAssertTrue(try quill(["info", folder + "/tuned"]).stdout.contains("adaptive softmax"))
        let lined = try quill(["train", text, "--out", folder + "/lines", "--mode", "lines", "--adaptive-softmax", "20",
                               "--max-steps", "3"] + common)
        XCTAssertEqual(lined.status, 0, lined.stderr)

        // Refusals: one line, the flags named, no stack trace.
        for (extra, expected) in [(["--level", "char", "--adaptive-softmax", "5"], "--adaptive-softmax is for word models"),
                                  (["--level", "word", "--adaptive-softmax", "9,3"], "positive and increasing"),
                                  (["--level", "word", "--adaptive-softmax", "10,500"], "below the vocabulary size"),
                                  (["--level", "word", "--adaptive-softmax", "10", "--tie-weights", "--embed", "16", "--hidden", "16"],
                                   "--tie-weights cannot be used with --adaptive-softmax"),
                                  (["--level", "word", "--adaptive-div", "2"], "--adaptive-div applies with --adaptive-softmax or --adaptive-from only"),
                                  (["--level", "word", "--adaptive-softmax", "10;30"], "increasing whole numbers separated by commas")] {
            let refused = try quill(["train", text, "--out", folder + "/refused", "--max-steps", "1"] + extra)
            XCTAssertNotEqual(refused.status, 0)
            XCTAssertTrue(refused.stderr.hasPrefix("quill: ") && refused.stderr.contains(expected), refused.stderr)
            XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        }
    }

    /// `--adaptive-from N` (which a time-only word run's recipe sets) takes an adaptive softmax with
    /// the default cutoffs once the vocabulary has N tokens, and the run resumes with it; below N
    /// the model keeps its full softmax.
    func testAdaptiveSoftmaxFromAVocabularySize() throws {
        let words = (0..<10_050).map { "w\($0)" }
        let text = write(words.joined(separator: " ") + "\n" + words.prefix(3000).joined(separator: " ") + "\n", "many.txt")
        let common = ["--level", "word", "--embed", "16", "--hidden", "16", "--batch", "2", "--seq-len", "4", "--quiet"]
        let out = folder + "/from"
        let trained = try quill(["train", text, "--out", out, "--adaptive-from", "10001", "--max-steps", "2"] + common)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let cutoffs = ModelConfig.AdaptiveSoftmax.defaultCutoffs
        XCTAssertTrue(try quill(["info", out]).stdout.contains("adaptive softmax shortlist \(cutoffs[0]), clusters \(cutoffs[0])..<\(cutoffs[1])"))
        let resumed = try quill(["train", "--resume", out, "--max-steps", "3", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)

        let full = try quill(["train", text, "--out", folder + "/full", "--adaptive-from", "20000", "--max-steps", "1"] + common)
        XCTAssertEqual(full.status, 0, full.stderr)
        XCTAssertFalse(try quill(["info", folder + "/full"]).stdout.contains("adaptive"))

        for (extra, expected) in [(["--level", "char", "--adaptive-from", "20000"], "--adaptive-from is for word models"),
                                  (["--level", "word", "--adaptive-from", "10000"], "--adaptive-from must be more than 10000"),
                                  (["--level", "word", "--adaptive-from", "20000", "--tie-weights", "--embed", "16", "--hidden", "16"],
                                   "--tie-weights cannot be used with --adaptive-from"),
                                  (["--level", "word", "--adaptive-from", "20000", "--hidden", "8"], "--adaptive-div")] {
            let refused = try quill(["train", text, "--out", folder + "/refused", "--max-steps", "1"] + extra)
            XCTAssertNotEqual(refused.status, 0)
            XCTAssertTrue(refused.stderr.hasPrefix("quill: ") && refused.stderr.contains(expected), refused.stderr)
        }
    }
}
