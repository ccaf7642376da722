import Foundation
import XCTest

/// Every numeric flag of every command at 0, −1, 2^31, 2^63−1 and NaN (and a hexadecimal float):
/// the run may succeed or refuse, but it never crashes, hangs or prints more than one line on
/// stderr, and a refusal is exit 2 (usage) or 1 (a file or run problem).
extension CLITests {
    static let hostileValues = ["0", "-1", "2147483648", "9223372036854775807", "nan", "0x10"]

    /// (command, flag) pairs: each command's whole-number and decimal flags.
    static let numericFlags: [(command: String, flag: String)] = [
        "embed", "hidden", "layers", "seed", "batch", "seq-len", "max-len", "min-count", "max-vocab", "lr-decay-after",
        "patience", "epochs", "max-steps", "eval-every", "log-every", "dropout", "init-range", "val-fraction", "lr",
        "momentum", "weight-decay", "clip", "lr-decay", "plateau-factor", "max-time",
        "sample-every", "sample-length", "sample-temperature", "keep", "warmup", "lr-floor",
        "embedding-dropout", "weight-drop", "ar", "tar", "ema",
    ].map { ("train", $0) } + ["length", "samples", "seed", "top-k", "temperature", "top-p"].map { ("generate", $0) }
        + ["batch", "seq-len"].map { ("perplexity", $0) } + ["min-count", "max-vocab"].map { ("vocab", $0) }

    static let wholeNumberFlags: Set<String> = [
        "embed", "hidden", "layers", "batch", "seq-len", "max-len", "min-count", "max-vocab", "lr-decay-after", "patience",
        "epochs", "max-steps", "eval-every", "log-every", "length", "samples", "top-k", "sample-every", "sample-length", "keep", "warmup",
    ]

    func testEveryNumericFlagAtHostileValues() throws {
        let corpus = write(String(repeating: "the keeper lit the lamp at dusk.\n", count: 40), "tiny.txt")
        let model = folder + "/model"
        let trained = try quill(["train", corpus, "--out", model, "--hidden", "8", "--embed", "4", "--max-steps", "2",
                                 "--batch", "4", "--seq-len", "8", "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        for (command, flag) in Self.numericFlags {
            for value in Self.hostileValues {
                var arguments: [String]
                switch command {
                case "train":
                    arguments = ["train", corpus, "--out", folder + "/run", "--overwrite", "--quiet", "--max-steps", "2",
                                 "--epochs", "1", "--hidden", "8", "--embed", "4", "--batch", "4", "--seq-len", "8"]
                case "generate": arguments = ["generate", model, "--length", "5"]
                case "perplexity": arguments = ["perplexity", model, corpus]
                default: arguments = ["vocab", corpus]
                }
                // The flag under test comes last, so it overrides the defaults above.
                arguments += ["--\(flag)", value]
                let run = try quill(arguments)
                let label = "quill \(command) --\(flag) \(value): status \(run.status), stderr \(run.stderr)"
                XCTAssertTrue([0, 1, 2].contains(run.status), label)
                XCTAssertLessThanOrEqual(run.stderr.split(separator: "\n").count, run.status == 0 ? 5 : 1, label)
                XCTAssertFalse(run.stderr.contains("Fatal error") || run.stderr.contains("Stack dump"), label)
                // Not a decimal number: always a usage error. 2^63−1 is above every whole-number
                // flag's limit but the seed's; for decimal flags it is a legal, if silly, value.
                if value == "nan" || value == "0x10" || (value == "9223372036854775807" && Self.wholeNumberFlags.contains(flag)) {
                    XCTAssertEqual(run.status, 2, label)
                }
            }
        }
    }
}

extension CLITests {
    /// An argument that is not UTF-8 is named as such, not turned into U+FFFD and reported as an
    /// unknown character later. `Process` takes only valid strings, so the shell passes the bytes.
    func testArgumentThatIsNotUTF8IsRefused() throws {
        _ = try quill(["--version"]) // skips when the binary is not built
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "\"$0\" generate model --prompt \"$(printf 'ab\\377c')\"", Self.binary]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 2, message)
        XCTAssertTrue(message.contains("argument 4 is not valid UTF-8 (bad byte at offset 2)"), message)
    }

    func testSequenceLengthLongerThanTheStreamsIsReported() throws {
        let corpus = write(String(repeating: "a lamp at dusk.\n", count: 30), "short.txt")
        let run = try quill(["train", corpus, "--out", folder + "/short", "--seq-len", "5000", "--hidden", "8", "--max-steps", "1"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("note: --seq-len 5000 is longer than each of the batch's streams, so windows are"), run.stderr)
    }
}

extension CLITests {
    /// Sizes under every flag's limit that still cannot fit this machine are refused before
    /// anything is allocated, with the estimate; a run folder that cannot be made names its path.
    func testMemoryEstimateAndUnusableOutputFolder() throws {
        let corpus = write(String(repeating: "the keeper lit the lamp.\n", count: 20), "small.txt")
        let huge = try quill(["train", corpus, "--out", folder + "/huge", "--embed", "200000", "--hidden", "200000"])
        assertError(huge, status: 2, "this needs about", "GB of memory", "--hidden 200000", "more than this machine's")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/huge/latest.safetensors"))

        let blocker = write("not a folder", "blocker")
        let blocked = try quill(["train", corpus, "--out", blocker + "/run", "--hidden", "8", "--max-steps", "1"])
        assertError(blocked, status: 1, blocker + "/run", "cannot create the run folder")
        XCTAssertFalse(blocked.stderr.contains("NSCocoaErrorDomain"))
    }
}

extension CLITests {
    /// 'quill help CMD' is the command's help, and quill-bench's commands take --help.
    func testHelpForACommand() throws {
        let viaHelp = try quill(["help", "train"]), viaFlag = try quill(["train", "--help"])
        XCTAssertEqual(viaHelp.status, 0)
        XCTAssertEqual(viaHelp.stdout, viaFlag.stdout)
        // swift-argument-parser's layout: OVERVIEW, USAGE, ARGUMENTS, OPTIONS.
        XCTAssertTrue(viaHelp.stdout.hasPrefix("OVERVIEW: Train a recurrent language model"), viaHelp.stdout)
        let sections = ["\nUSAGE: quill train [<options>] FILE\n", "\nARGUMENTS:\n  FILE ", "\nOPTIONS:\n", "\n  -h, --help "]
        let positions = sections.map { viaHelp.stdout.range(of: $0)?.lowerBound }
        XCTAssertFalse(positions.contains(nil), viaHelp.stdout)
        XCTAssertEqual(positions.compactMap { $0 }, positions.compactMap { $0 }.sorted(), "sections in argument-parser order")

        let bench = Process()
        bench.executableURL = URL(fileURLWithPath: Self.binary).deletingLastPathComponent().appendingPathComponent("quill-bench")
        bench.arguments = ["train", "--help"]
        let out = Pipe()
        bench.standardOutput = out
        try bench.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        bench.waitUntilExit()
        XCTAssertEqual(bench.terminationStatus, 0)
        XCTAssertTrue(text.contains("--profile"), text)
    }
}
