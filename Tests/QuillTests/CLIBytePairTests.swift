import Foundation
import Quill
import XCTest

/// The bpe level through the executable: learning, training, info, generation, perplexity.
extension CLITests {
    func testBytePairLevelTrainsGeneratesAndScores() throws {
        let lines = ["the keeper lit the lamp", "wind from the west — Élodie", "a ship passed the rock 😀"]
        let text = write((0..<120).map { lines[$0 % 3] + "." }.joined(separator: "\r\n") + "\r\n", "bpe.txt")
        let out = folder + "/bpe"
        let train = try quill(["train", text, "--level", "bpe", "--vocab-size", "300", "--out", out, "--embed", "8", "--hidden", "16",
                               "--batch", "4", "--seq-len", "8", "--max-steps", "4", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let info = try quill(["info", out, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(object["level"] as? String, "bpe")
        XCTAssertEqual(object["vocabulary_size"] as? Int, 300)
        XCTAssertEqual(object["merges"] as? Int, 300 - 1 - 256)
        assertError(try quill(["train", text, "--level", "bpe", "--vocab-size", "200", "--out", folder + "/small"]), status: 2, "--vocab-size", "256")
        // No bpe token ends a line, so lines mode would train on one long line: refused.
        assertError(try quill(["train", text, "--level", "bpe", "--mode", "lines", "--out", folder + "/lines"]), status: 2, "--mode", "stream")

        // Output is whole characters; --stop-at-eos ends at the first newline of the text.
        for seed in 1...4 {
            let run = try quill(["generate", out, "--prompt", "the ", "--length", "30", "--seed", "\(seed)", "--stop-at-eos", "--json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let sample = try JSONSerialization.jsonObject(with: Data(run.stdout.split(separator: "\n")[0].utf8)) as! [String: Any]
            let generated = sample["text"] as! String
            XCTAssertFalse(generated.contains("\n"))
            if sample["stop_reason"] as? String == "eos" { XCTAssertLessThan(sample["tokens"] as! Int, 30) }
        }
        let scored = try quill(["perplexity", out, text, "--json", "--batch", "2"])
        XCTAssertEqual(scored.status, 0, scored.stderr)
        let result = try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as! [String: Any]
        let characters = Double(((lines.map { $0.unicodeScalars.count + 2 }.reduce(0, +)) * 40))
        let expected = (result["cross_entropy"] as! Double) * Double(result["text_tokens"] as! Int) / characters / log(2.0)
        XCTAssertEqual(result["bits_per_char"] as! Double, expected, accuracy: 1e-9)
        let bytes = Double(((lines.map { $0.utf8.count + 2 }.reduce(0, +)) * 40))
        XCTAssertEqual(result["bits_per_byte"] as! Double, expected * characters / bytes, accuracy: 1e-9)
        XCTAssertEqual(result["unknown"] as? Int, 0)
        let plain = try quill(["perplexity", out, text, "--batch", "2"]).stdout
        XCTAssertTrue(plain.contains(String(format: "bits per byte   %.6f (%d UTF-8 bytes)", result["bits_per_byte"] as! Double, Int(bytes))), plain)
        // Validated on the text itself, the checkpoint's best loss reads in the same bits per character.
        let validated = folder + "/bpe-validated"
        let validating = try quill(["train", text, "--level", "bpe", "--vocab-size", "300", "--val", text, "--out", validated, "--embed", "8",
                                    "--hidden", "16", "--batch", "4", "--seq-len", "8", "--max-steps", "2"])
        XCTAssertEqual(validating.status, 0, validating.stderr)
        let validatedInfo = try JSONSerialization.jsonObject(with: Data(try quill(["info", validated, "--json"]).stdout.utf8)) as! [String: Any]
        XCTAssertEqual(try XCTUnwrap(validatedInfo["best_validation_bits_per_char"] as? Double),
                       (validatedInfo["best_validation_loss"] as! Double) * Double(result["text_tokens"] as! Int) / characters / log(2.0),
                       accuracy: 1e-9)
        // Its validation line gives bits per byte too, the text having characters beyond ASCII.
        let line = try XCTUnwrap(validating.stderr.split(separator: "\n").last { $0.hasPrefix("validation |") })
        let lineBits = try XCTUnwrap(validatedInfo["best_validation_bits_per_char"] as? Double)
        XCTAssertTrue(line.contains(String(format: "%.4f bits/char, %.4f bits/byte", lineBits, lineBits * characters / bytes)), String(line))

        let vocab = try quill(["vocab", text, "--level", "bpe", "--vocab-size", "280", "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(vocab.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(report["vocabulary_size"] as? Int, 280)
        let longest = report["longest"] as! [String]
        XCTAssertTrue(lines.joined().contains(longest[0].trimmingCharacters(in: .whitespaces)), "\(longest)")
    }

    /// A bpe model's state dict comes back in through its tokenizer.json, and the run's text
    /// trains on that tokenizer with the same ids.
    func testBytePairTokenizerJSONImportsAStateDictAndTrains() throws {
        let text = write(String(repeating: "the keeper lit the lamp — Élodie 😀.\n", count: 60), "bpe2.txt")
        let out = folder + "/bpe2"
        XCTAssertEqual(try quill(["train", text, "--level", "bpe", "--vocab-size", "290", "--out", out, "--embed", "8", "--hidden", "8",
                                  "--batch", "2", "--seq-len", "8", "--max-steps", "2", "--quiet"]).status, 0)
        let tokenizer = folder + "/tokenizer.json"
        XCTAssertEqual(try quill(["export-vocab", out, tokenizer]).status, 0)
        var stateDict = try SafeTensors(contentsOf: out + "/model.safetensors")
        stateDict.metadata = [:]
        try stateDict.write(to: folder + "/state.safetensors")
        let imported = try quill(["import", folder + "/state.safetensors", "--tokenizer", tokenizer, "--out", folder + "/imported"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertEqual(try quill(["perplexity", folder + "/imported", text, "--json"]).stdout, try quill(["perplexity", out, text, "--json"]).stdout)
        assertError(try quill(["import", folder + "/state.safetensors", "--tokenizer", tokenizer, "--level", "char", "--out", folder + "/x"]),
                    status: 2, "--tokenizer", "bpe")
        assertError(try quill(["import", folder + "/state.safetensors", "--vocab", tokenizer, "--level", "bpe", "--out", folder + "/x"]),
                    status: 2, "--tokenizer")
        let retrained = try quill(["train", text, "--level", "bpe", "--tokenizer", tokenizer, "--out", folder + "/again", "--embed", "8",
                                   "--hidden", "8", "--batch", "2", "--seq-len", "8", "--max-steps", "1", "--quiet"])
        XCTAssertEqual(retrained.status, 0, retrained.stderr)
        XCTAssertEqual(try quill(["encode", folder + "/again", text]).stdout, try quill(["encode", out, text]).stdout)
        assertError(try quill(["train", text, "--tokenizer", tokenizer, "--out", folder + "/y"]), status: 2, "--tokenizer", "--level")
    }
}
