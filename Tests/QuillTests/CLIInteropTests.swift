import Foundation
import XCTest

/// Fine-tuning, JSON vocabularies, `quill import` and pretrained embeddings through the
/// executable, as a user runs them.
extension CLITests {
    func testFineTuningFromACheckpoint() throws {
        let sentences = ["the keeper lit the lamp", "wind from the west", "a ship passed the rock"]
        let base = write((0..<150).map { sentences[$0 % 3] + "." }.joined(separator: "\n") + "\n", "base.txt")
        let small = ["--embed", "8", "--hidden", "16", "--batch", "4", "--seq-len", "8", "--quiet"]
        XCTAssertEqual(try quill(["train", base, "--out", folder + "/base", "--max-steps", "6"] + small).status, 0)
        let letters = write(String(repeating: "the lamp — Élodie.\n", count: 50), "letters.txt")
        let refused = try quill(["train", letters, "--from", folder + "/base", "--out", folder + "/tuned", "--max-steps", "4"])
        assertError(refused, status: 2, "not in the model's vocabulary", "--unknown", "—")
        let tuned = try quill(["train", letters, "--from", folder + "/base", "--out", folder + "/tuned", "--max-steps", "4",
                               "--unknown", "skip", "--lr", "0.001", "--batch", "4", "--seq-len", "8"])
        XCTAssertEqual(tuned.status, 0, tuned.stderr)
        XCTAssertTrue(tuned.stderr.contains("fine-tuning from"), tuned.stderr)
        XCTAssertTrue(tuned.stderr.contains("left out"), tuned.stderr)
        XCTAssertEqual(try quill(["generate", folder + "/tuned", "--prompt", "the", "--length", "10"]).status, 0)
        assertError(try quill(["train", letters, "--from", folder + "/base", "--hidden", "32"]), status: 2, "--hidden", "--from")
        assertError(try quill(["train", letters, "--unknown", "skip"]), status: 2, "--unknown", "--from")
        // The base model's own folder is refused, however it is spelt, even with --overwrite.
        assertError(try quill(["train", letters, "--from", "./base", "--out", folder + "/base/", "--overwrite", "--unknown", "skip"]),
                    status: 2, "folder of the --from checkpoint")
        // Resuming may change the limits and the learning rate, nothing else.
        let resumed = try quill(["train", "--resume", folder + "/tuned", "--max-steps", "6", "--lr", "0.0002", "--log-every", "1"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("lr 0.0002"), resumed.stderr)
        assertError(try quill(["train", "--resume", folder + "/tuned", "--batch", "2"]), status: 2, "--batch")
    }

    func testCharacterVocabularyAsJSONLoadsAStateDict() throws {
        let text = write(String(repeating: "the keeper lit the lamp.\nwind from the west.\n", count: 40), "char.txt")
        let out = folder + "/char"
        XCTAssertEqual(try quill(["train", text, "--out", out, "--embed", "8", "--hidden", "16", "--batch", "4", "--seq-len", "8",
                                  "--max-steps", "5", "--quiet"]).status, 0)
        let vocab = folder + "/vocab.json"
        let export = try quill(["export-vocab", out, vocab])
        XCTAssertEqual(export.status, 0, export.stderr)
        let tokens = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: vocab))) as! [String]
        XCTAssertTrue(tokens.contains("\n") && tokens.contains(" "))
        let direct = try quill(["perplexity", out, text, "--json"])
        let viaStateDict = try quill(["perplexity", out + "/model.safetensors", text, "--vocab", vocab, "--level", "char", "--json"])
        XCTAssertEqual(viaStateDict.status, 0, viaStateDict.stderr)
        XCTAssertEqual(direct.stdout, viaStateDict.stdout)
    }

    func testImportedStateDictWorksWithEveryCommand() throws {
        let fixture = ParityTests.committed + "/import_char_lstm_tied.safetensors"
        let meta = try JSONSerialization.jsonObject(with: Data(try SafeTensorsFixture.metadata(fixture)["fixture"]!.utf8)) as! [String: Any]
        let vocab = folder + "/vocab.json"
        try JSONSerialization.data(withJSONObject: meta["vocab"]!).write(to: URL(fileURLWithPath: vocab))
        let text = write(meta["text"] as! String, "text.txt")
        let out = folder + "/imported"
        let imported = try quill(["import", fixture, "--vocab", vocab, "--level", "char", "--out", out])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("(tied)"), imported.stdout)
        assertError(try quill(["import", fixture, "--vocab", vocab, "--level", "char", "--out", out]), status: 2, "already holds")

        let ppl = try JSONSerialization.jsonObject(with: Data(try quill(["perplexity", out, text, "--batch", "1", "--json"]).stdout.utf8)) as! [String: Any]
        let expected = meta["cross_entropy"] as! Double
        XCTAssertEqual(ppl["cross_entropy"] as! Double, expected, accuracy: 1e-4 * expected)
        XCTAssertEqual(try quill(["generate", out, "--prompt", "The", "--length", "20"]).status, 0)
        let info = try JSONSerialization.jsonObject(with: Data(try quill(["info", out, "--json"]).stdout.utf8)) as! [String: Any]
        XCTAssertEqual(info["tie_weights"] as? Bool, true)
        XCTAssertEqual(info["cell"] as? String, "lstm")
        // Trained further: by --from, and by resuming the imported folder with a text.
        let from = try quill(["train", text, "--from", out, "--out", folder + "/tuned", "--max-steps", "3", "--batch", "2",
                              "--seq-len", "8", "--quiet"])
        XCTAssertEqual(from.status, 0, from.stderr)
        assertError(try quill(["train", "--resume", out]), status: 2, "name the text")
        let resumed = try quill(["train", text, "--resume", out, "--max-steps", "3", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let after = try JSONSerialization.jsonObject(with: Data(try quill(["info", out + "/latest.safetensors", "--json"]).stdout.utf8)) as! [String: Any]
        XCTAssertEqual(after["steps"] as? Int, 3)

        // A vanilla RNN's nonlinearity is asked for, never guessed.
        let relu = ParityTests.committed + "/import_word_rnn_relu.safetensors"
        let reluMeta = try JSONSerialization.jsonObject(with: Data(try SafeTensorsFixture.metadata(relu)["fixture"]!.utf8)) as! [String: Any]
        let words = folder + "/words.json"
        try JSONSerialization.data(withJSONObject: reluMeta["vocab"]!).write(to: URL(fileURLWithPath: words))
        assertError(try quill(["import", relu, "--vocab", words, "--level", "word", "--out", folder + "/relu"]), status: 2, "--cell", "rnn-relu")
        XCTAssertEqual(try quill(["import", relu, "--vocab", words, "--level", "word", "--cell", "rnn-relu", "--out", folder + "/relu"]).status, 0)
        assertError(try quill(["import", relu, "--vocab", words, "--out", folder + "/x"]), status: 2, "--level")
    }

    func testPretrainedEmbeddingsReportCoverage() throws {
        let text = write(String(repeating: "the keeper lit the lamp\nwind from the west\n", count: 40), "words.txt")
        let vectors = write("the 1 0 0 0\nkeeper 0 1 0 0\nwest 0 0 1 0\nzebra 0 0 0 1\n", "glove.txt")
        let run = try quill(["train", text, "--level", "word", "--embed", "4", "--hidden", "8", "--batch", "2", "--seq-len", "4",
                             "--max-steps", "3", "--embeddings", vectors, "--freeze-embeddings", "--out", folder + "/glove"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("embeddings: 3 of"), run.stderr)
        assertError(try quill(["train", text, "--level", "word", "--embed", "8", "--embeddings", vectors, "--out", folder + "/e8"]),
                    status: 2, "--embeddings", "--embed is 8", "4-dimensional")
    }
}

/// Reads a safetensors file's metadata without the library (the CLI tests stay black-box).
enum SafeTensorsFixture {
    static func metadata(_ path: String) throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as! [String: Any]
        return header["__metadata__"] as? [String: String] ?? [:]
    }
}
