import Foundation
import XCTest

/// `quill generate --interactive` through a pipe, `--weights` and `quill quantize`.
extension CLITests {
    /// Runs quill with `input` on stdin.
    func quill(_ arguments: [String], input: String) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let stdin = Pipe(), out = Pipe(), err = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = err
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }

    func trainSmallCharModel() throws -> String {
        let text = write(String(repeating: "the keeper lit the lamp.\nwind from the west.\n", count: 40), "char.txt")
        let out = folder + "/char"
        XCTAssertEqual(try quill(["train", text, "--out", out, "--embed", "8", "--hidden", "16", "--batch", "4", "--seq-len", "8",
                                  "--max-steps", "5", "--quiet"]).status, 0)
        return out
    }

    func testInteractiveGenerationThroughAPipe() throws {
        let model = try trainSmallCharModel()
        // --stop-at-eos: a continuation ends at a line end, so each one is exactly one line.
        let args = ["generate", model, "--interactive", "--length", "12", "--seed", "4", "--stop-at-eos"]
        let run = try quill(args, input: "the\n\n/reset\nthe\n/help\n")
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        // One continuation per prompt line (the empty line continues), each on its own line.
        XCTAssertEqual(lines.count, 4, run.stdout)
        XCTAssertTrue(run.stderr.contains("context cleared"), run.stderr)
        XCTAssertTrue(run.stderr.contains("/reset"), "help is printed on /help")
        // The same input gives the same output; /quit ends early; end of input ends cleanly.
        XCTAssertEqual(try quill(args, input: "the\n\n/reset\nthe\n/help\n").stdout, run.stdout)
        let quit = try quill(args, input: "the\n/quit\nnever read\n")
        XCTAssertEqual(quit.status, 0)
        XCTAssertEqual(quit.stdout.split(separator: "\n").count, 1)
        XCTAssertEqual(try quill(args, input: "").status, 0)
        assertError(try quill(["generate", model, "--interactive", "--samples", "2"], input: ""), status: 2, "--samples", "--interactive")
        // The first continuation is what a fresh session gives.
        let fresh = try quill(args, input: "the\n")
        XCTAssertEqual(fresh.stdout.split(separator: "\n").first, lines.first)
    }

    func testQuantizedCheckpointsAndWeightFlags() throws {
        let model = try trainSmallCharModel()
        let text = folder + "/char.txt"
        let quantized = try quill(["quantize", model, folder + "/int8", "--to", "int8"])
        XCTAssertEqual(quantized.status, 0, quantized.stderr)
        XCTAssertTrue(quantized.stdout.contains("int8 weights"), quantized.stdout)
        let info = try JSONSerialization.jsonObject(with: Data(try quill(["info", folder + "/int8", "--json"]).stdout.utf8)) as! [String: Any]
        XCTAssertEqual(info["weights"] as? String, "int8")
        // Scoring the int8 file equals scoring the original with --weights int8, and is close to float32.
        func crossEntropy(_ args: [String]) throws -> Double {
            let run = try quill(["perplexity"] + args + ["--json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            return (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any])["cross_entropy"] as! Double
        }
        let f32 = try crossEntropy([model, text])
        let int8File = try crossEntropy([folder + "/int8", text])
        XCTAssertEqual(int8File, try crossEntropy([model, text, "--weights", "int8"]))
        XCTAssertEqual(int8File, f32, accuracy: 0.01 * f32)
        XCTAssertEqual(try quill(["generate", folder + "/int8", "--length", "20"]).status, 0)
        XCTAssertEqual(try quill(["generate", model, "--length", "20", "--weights", "bf16"]).status, 0)
        assertError(try quill(["quantize", model, folder + "/int8", "--to", "int8"]), status: 2, "exists")
        assertError(try quill(["quantize", model, folder + "/x"]), status: 2, "--to")
        assertError(try quill(["generate", model, "--weights", "int4"]), status: 2, "--weights")
    }
}
