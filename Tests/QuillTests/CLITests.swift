import Foundation
import XCTest

/// End-to-end tests of the `quill` executable: exit statuses, one-line errors, output formats.
final class CLITests: XCTestCase {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("quill").path

    @discardableResult
    func quill(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Run {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw XCTSkip("the quill executable is not built at \(Self.binary); run 'swift build' first")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }

    var folder = ""
    override func setUp() { folder = SharedData.temporaryFolder(self) }

    func write(_ text: String, _ name: String) -> String { SharedData.write(text, name, in: folder) }

    /// Fails unless the run exited with `status` and printed exactly one line, starting "quill: ",
    /// that contains every fragment.
    func assertError(_ run: Run, status: Int32, _ fragments: String..., file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(run.status, status, run.stderr, file: file, line: line)
        let lines = run.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "stderr: \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stderr.hasPrefix("quill: "), run.stderr, file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(run.stderr.contains(fragment), "'\(fragment)' not in: \(run.stderr)", file: file, line: line)
        }
        XCTAssertFalse(run.stderr.contains("Fatal error") || run.stderr.contains("Stack dump"), file: file, line: line)
    }

    func testHelpAndVersion() throws {
        let help = try quill(["--help"])
        XCTAssertEqual(help.status, 0)
        for command in ["train", "generate", "perplexity", "vocab", "info", "export-vocab", "import"] {
            XCTAssertTrue(help.stdout.contains("\n  \(command) "), command)
        }
        let train = try quill(["train", "--help"])
        XCTAssertEqual(train.status, 0)
        for flag in ["--level char|word", "--embed N", "--hidden N", "--layers N", "--dropout F", "--tie-weights",
                     "--init pytorch|xavier", "--seed N", "--batch N", "--seq-len N", "--val TEXT", "--val-fraction F",
                     "--min-count N", "--max-vocab N", "--optimizer sgd|adam|adamw|rmsprop", "--lr F", "--weight-decay F",
                     "--clip F", "--lr-decay F", "--lr-decay-after N", "--patience N", "--epochs N", "--max-steps N",
                     "--max-time TIME", "--resume TEXT", "--mode stream|lines", "--max-len N", "--quiet"] {
            XCTAssertTrue(train.stdout.contains(flag), flag)
        }
        XCTAssertTrue(train.stdout.contains("(default: 256)"))
        let perplexity = try quill(["perplexity", "--help"])
        XCTAssertTrue(perplexity.stdout.contains("changes the result slightly"))
        let version = try quill(["--version"])
        XCTAssertTrue(version.stdout.hasPrefix("quill "))
    }

    func testUsageErrors() throws {
        let text = write("hello world\n", "t.txt")
        assertError(try quill(["vocab", text, "--bogus"]), status: 2, "--bogus")
        assertError(try quill(["vocab", text, "--top"]), status: 2, "--top needs a value")
        assertError(try quill(["vocab", text, "--top", "many"]), status: 2, "whole number")
        assertError(try quill(["vocab", text, "--level", "banana"]), status: 2, "char, word", "banana")
        assertError(try quill(["vocab", text, "--max-vocab", "0"]), status: 2, "--max-vocab")
        assertError(try quill(["vocab", text, "--min-count", "-1"]), status: 2, "--min-count")
        assertError(try quill(["vocab"]), status: 2, "missing FILE")
        assertError(try quill(["frobnicate"]), status: 2, "unknown command")
        assertError(try quill(["train", text, "--hidden", "0"]), status: 2, "--hidden")
        assertError(try quill(["train", text, "--lr", "-1"]), status: 2, "--lr")
        assertError(try quill(["train", text, "--embed", "32", "--tie-weights"]), status: 2, "--tie-weights")
        assertError(try quill(["train", text, "--max-time", "soon"]), status: 2, "--max-time")
        // Compound times, as `quill search` prints them, from the largest unit down, each once.
        for bad in ["5s1m", "1m1m", "1m-5s", "m", "1x", "0m0s"] {
            assertError(try quill(["train", text, "--max-time", bad]), status: 2, "--max-time")
        }
        assertError(try quill(["train", text, "--cell", "banana"]), status: 2, "lstm, gru, rnn-tanh, rnn-relu", "banana")
        XCTAssertEqual(try quill(["vocab", text, "--top=3"]).status, 0, "--flag=value form")
        let long = write(String(repeating: "the keeper lit the lamp at dusk.\n", count: 40), "long.txt")
        XCTAssertEqual(try quill(["train", long, "--max-time", "1h05m30s", "--max-steps", "1", "--hidden", "8", "--embed", "4",
                                  "--batch", "4", "--seq-len", "8", "--quiet", "--out", folder + "/compound"]).status, 0)
        let timed = try quill(["train", long, "--max-time", "0m2s", "--hidden", "8", "--embed", "4", "--batch", "4", "--seq-len", "8",
                               "--out", folder + "/timed"])
        XCTAssertEqual(timed.status, 0, timed.stderr)
        XCTAssertTrue((timed.stdout + timed.stderr).contains("time budget 2s:"), timed.stdout + timed.stderr)
    }

    func testBadTextFiles() throws {
        let cases: [(String, [UInt8], String)] = [
            ("empty.txt", [], "empty"), ("blank.txt", Array(" \n \n".utf8), "whitespace"),
            ("binary.bin", [0x89, 0x50, 0x4E, 0x47, 0, 0, 1], "binary"), ("latin1.txt", Array("caf".utf8) + [0xE9, 0x0A], "offset 3"),
        ]
        for (name, bytes, fragment) in cases {
            let path = folder + "/" + name
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            assertError(try quill(["vocab", path]), status: 1, name, fragment)
            assertError(try quill(["train", path, "--out", folder + "/x"]), status: 1, name, fragment)
        }
        assertError(try quill(["vocab", folder + "/missing.txt"]), status: 1, "missing.txt", "no such file")
        assertError(try quill(["vocab", folder]), status: 1, "directory")
        assertError(try quill(["train", write("abc", "short.txt"), "--out", folder + "/y"]), status: 2, "too short", "--batch 32")
    }

    func testVocabReports() throws {
        let run = try quill(["vocab", write("b a b\nc\n", "w.txt"), "--level", "word", "--json"])
        XCTAssertEqual(run.status, 0)
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(object["level"] as? String, "word")
        XCTAssertEqual(object["tokens"] as? Int, 6)
        XCTAssertEqual(object["distinct"] as? Int, 4)
        XCTAssertEqual(object["vocabulary_size"] as? Int, 6)
        XCTAssertEqual(object["unknown_tokens"] as? Int, 0)
        XCTAssertEqual((object["top"] as? [[Any]])?.first?.first as? String, "<eos>")
        let shakespeare = try SharedData.corpus("tinyshakespeare/input.txt")
        let chars = try quill(["vocab", shakespeare, "--json"])
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(chars.stdout.utf8)) as! [String: Any])["distinct"] as? Int, 65)
        let ptb = try quill(["vocab", try SharedData.corpus("ptb/ptb.valid.txt"), "--level", "word", "--json"])
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(ptb.stdout.utf8)) as! [String: Any])["distinct"] as? Int, 6022)
    }

    func corpus() -> String {
        write(String(repeating: "the lamp was lit at dusk.\nfog over the rock till dawn.\n", count: 60), "log.txt")
    }

    func testTrainGeneratePerplexityInfoExport() throws {
        let text = corpus()
        let out = folder + "/ck"
        let train = try quill(["train", text, "--out", out, "--embed", "16", "--hidden", "32", "--batch", "8",
                               "--seq-len", "16", "--max-steps", "30", "--log-every", "10"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("step 10/30"), train.stderr)
        XCTAssertTrue(train.stderr.contains("validation |") && train.stderr.contains("bits/char"), train.stderr)
        assertError(try quill(["train", text, "--out", out]), status: 2, "already holds a run", "--resume")

        let generate = ["generate", out, "--prompt", "the ", "--length", "40", "--seed", "3"]
        let first = try quill(generate), second = try quill(generate)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stdout, second.stdout)
        XCTAssertTrue(first.stdout.hasPrefix("the "))
        XCTAssertTrue(first.stdout.hasSuffix("\n") && first.stdout.count > 4 + 1)
        let noPrompt = try quill(generate + ["--no-prompt"])
        XCTAssertEqual("the " + noPrompt.stdout, first.stdout)
        let json = try quill(["generate", out, "--length", "10", "--samples", "3", "--json"])
        let lines = json.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        let sample = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        for key in ["prompt", "text", "tokens", "seconds", "tokens_per_second"] { XCTAssertNotNil(sample[key], key) }
        XCTAssertEqual(sample["tokens"] as? Int, 10)
        let many = try quill(["generate", out, "--length", "10", "--samples", "2"])
        XCTAssertTrue(many.stdout.contains("=== sample 2 of 2 ==="))
        assertError(try quill(["generate", out, "--prompt", "the €"]), status: 2, "€", "--unknown")
        XCTAssertEqual(try quill(["generate", out, "--prompt", "the €", "--unknown", "skip", "--length", "5"]).status, 0)
        for bad in [["--temperature", "-1"], ["--top-k", "0"], ["--top-p", "0"], ["--top-p", "1.5"], ["--length", "-3"]] {
            assertError(try quill(["generate", out] + bad), status: 2, bad[0])
        }

        let ppl = try quill(["perplexity", out, text, "--json"])
        XCTAssertEqual(ppl.status, 0, ppl.stderr)
        let result = try JSONSerialization.jsonObject(with: Data(ppl.stdout.utf8)) as! [String: Any]
        for key in ["tokens", "unknown", "cross_entropy", "perplexity", "bits_per_char"] { XCTAssertNotNil(result[key], key) }
        XCTAssertEqual(try quill(["perplexity", out, text, "--json"]).stdout, ppl.stdout, "deterministic")
        assertError(try quill(["perplexity", out, write("", "empty.txt")]), status: 1, "empty")

        let info = try quill(["info", out, "--json"])
        let summary = try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(summary["steps"] as? Int, 30)
        XCTAssertEqual(summary["hidden"] as? Int, 32)
        XCTAssertNotNil(summary["best_validation_loss"])
        XCTAssertTrue(try quill(["info", out]).stdout.contains("parameters"))
        assertError(try quill(["export-vocab", out, folder + "/v.txt"]), status: 2, "newline", ".json")
    }

    func testWordModelExportsAVocabularyThatLoadsAsAStateDict() throws {
        let text = corpus()
        let out = folder + "/words"
        XCTAssertEqual(try quill(["train", text, "--level", "word", "--out", out, "--embed", "8", "--hidden", "16",
                                  "--batch", "4", "--seq-len", "8", "--max-steps", "5", "--quiet"]).status, 0)
        let vocab = folder + "/idx2word.txt"
        XCTAssertEqual(try quill(["export-vocab", out, vocab]).status, 0)
        let direct = try quill(["perplexity", out, text, "--json"])
        let viaStateDict = try quill(["perplexity", out + "/model.safetensors", text, "--vocab", vocab, "--level", "word", "--json"])
        XCTAssertEqual(viaStateDict.status, 0, viaStateDict.stderr)
        XCTAssertEqual(direct.stdout, viaStateDict.stdout)
    }

    func testEveryCellTrainsGeneratesAndReportsItself() throws {
        let text = corpus()
        for cell in ["gru", "rnn-tanh", "rnn-relu"] {
            let out = folder + "/" + cell
            let train = try quill(["train", text, "--cell", cell, "--out", out, "--embed", "8", "--hidden", "16",
                                   "--batch", "4", "--seq-len", "8", "--max-steps", "6", "--quiet"])
            XCTAssertEqual(train.status, 0, train.stderr)
            let info = try JSONSerialization.jsonObject(with: Data(try quill(["info", out, "--json"]).stdout.utf8)) as! [String: Any]
            XCTAssertEqual(info["cell"] as? String, cell)
            XCTAssertEqual(try quill(["generate", out, "--length", "20"]).status, 0)
            XCTAssertEqual(try quill(["perplexity", out, text]).status, 0)
            let resumed = try quill(["train", "--resume", out, "--max-steps", "8", "--quiet"])
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
        }
        // A state dict whose shapes fit another cell is refused, naming the tensor and the shapes.
        let vocab = write(String(repeating: "x\n", count: 1), "v.txt")
        assertError(try quill(["perplexity", folder + "/gru/model.safetensors", text, "--vocab", vocab, "--cell", "lstm"]),
                    status: 1, "rnn.weight_hh_l0", "gru")
    }

    func testCorruptCheckpoints() throws {
        let text = corpus()
        let out = folder + "/ck"
        XCTAssertEqual(try quill(["train", text, "--out", out, "--embed", "8", "--hidden", "16", "--batch", "4",
                                  "--seq-len", "8", "--max-steps", "3", "--quiet"]).status, 0)
        let good = try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors"))
        func corrupt(_ name: String, _ bytes: Data) -> String {
            let path = folder + "/" + name
            _ = FileManager.default.createFile(atPath: path, contents: bytes)
            return path
        }
        var pastEnd = good
        pastEnd.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian, Array.init))
        var notJSON = good
        notJSON[8] = UInt8(ascii: "x")
        let cases: [(String, Data, String)] = [
            ("truncated.safetensors", good.prefix(5), "truncated"),
            ("past-end.safetensors", pastEnd, "past the end"),
            ("not-json.safetensors", notJSON, "not a JSON object"),
            ("cut.safetensors", good.prefix(good.count - 100), "outside the data"),
        ]
        for (name, bytes, fragment) in cases {
            assertError(try quill(["generate", corrupt(name, bytes), "--length", "5"]), status: 1, name, fragment)
            assertError(try quill(["perplexity", corrupt(name, bytes), text]), status: 1, name, fragment)
        }
        assertError(try quill(["generate", folder + "/nowhere"]), status: 1, "no such checkpoint")
        assertError(try quill(["generate", folder]), status: 1, "no model.safetensors")
        assertError(try quill(["train", "--resume", folder]), status: 1, "no resumable run")
    }

    /// Ctrl-C during training: the step finishes, the run is saved, the exit status is 130 and the
    /// saved run resumes.
    func testInterruptSavesAndResumes() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else { throw XCTSkip("quill not built") }
        let text = corpus()
        let out = folder + "/int"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["train", text, "--out", out, "--embed", "16", "--hidden", "64", "--batch", "4",
                             "--seq-len", "32", "--epochs", "1000", "--log-every", "1"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        try process.run()
        // Wait for the first step lines, then interrupt.
        var seen = Data()
        let handle = err.fileHandleForReading
        while !String(decoding: seen, as: UTF8.self).contains("step 3/") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        process.interrupt()
        seen += handle.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = String(decoding: seen, as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 130, stderr)
        XCTAssertTrue(stderr.contains("quill train --resume \(out)"), stderr)
        let info = try quill(["info", out + "/latest.safetensors", "--json"])
        let steps = (try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as! [String: Any])["steps"] as! Int
        XCTAssertGreaterThanOrEqual(steps, 3)
        let resumed = try quill(["train", "--resume", out, "--max-steps", "\(steps + 2)", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let after = try quill(["info", out + "/latest.safetensors", "--json"])
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as! [String: Any])["steps"] as? Int, steps + 2)
        assertError(try quill(["train", "--resume", out, "--hidden", "8"]), status: 2, "--hidden")
    }
}
