import Foundation

/// `quill-bench suite`: the four standard configurations, each run in its own process (so peak
/// memory is its own) several times, medians beside PyTorch's figures on this kind of machine.
enum SuiteBenchmark {
    struct Entry {
        let name: String
        let arguments: [String]
        /// PyTorch 2.15 on CPU (MKL, 2 threads), word_language_model RNNModel, same sizes and loop.
        let pytorchTrain: Double, pytorchGenerate: Double, pytorchRSS: Double
    }

    static let entries: [Entry] = [
        Entry(name: "char", arguments: ["--vocab", "65", "--embed", "64", "--hidden", "256", "--layers", "2", "--batch", "32",
                                        "--seq-len", "64", "--steps", "30", "--generate", "3000"],
              pytorchTrain: 10_300, pytorchGenerate: 600, pytorchRSS: 820),
        Entry(name: "char-big", arguments: ["--vocab", "65", "--embed", "128", "--hidden", "512", "--layers", "2", "--batch", "64",
                                            "--seq-len", "100", "--steps", "8", "--generate", "2000"],
              pytorchTrain: 2_790, pytorchGenerate: 200, pytorchRSS: 1_050),
        Entry(name: "word-small", arguments: ["--vocab", "10000", "--embed", "200", "--hidden", "200", "--layers", "2", "--batch", "20",
                                              "--seq-len", "20", "--steps", "30", "--generate", "1000"],
              pytorchTrain: 2_610, pytorchGenerate: 260, pytorchRSS: 830),
        Entry(name: "word-medium", arguments: ["--vocab", "10000", "--embed", "650", "--hidden", "650", "--layers", "2", "--batch", "20",
                                               "--seq-len", "35", "--steps", "8", "--generate", "300"],
              pytorchTrain: 690, pytorchGenerate: 96, pytorchRSS: 1_080),
    ]

    static func run(arguments: [String]) throws {
        let options = try BenchOptions(arguments, flags: ["repeats": "3", "cell": "lstm"])
        let repeats = try options.int("repeats")
        let cell = options.string("cell")
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).path
        print("quill-bench suite: \(repeats) runs per configuration, median; cell \(cell); PyTorch figures from the issue's table")
        let widths = [12, 10, 9, 7, 9, 8, 7, 8, 8, 7]
        print(Table.row(["config", "train t/s", "PyTorch", "ratio", "gen t/s", "PyTorch", "ratio", "RSS MB", "PyTorch", "GFLOP/s"],
                        widths: widths))
        for entry in entries {
            var runs: [[String: Double]] = []
            for _ in 0..<repeats {
                runs.append(try runOnce(executable, ["train", "--json", "--cell", cell] + entry.arguments))
            }
            func median(_ key: String) -> Double {
                let values = runs.compactMap { $0[key] }.sorted()
                return values.isEmpty ? .nan : values[values.count / 2]
            }
            let train = median("train_tokens_per_s"), generate = median("generate_tokens_per_s")
            let rss = median("peak_rss_mb"), gflops = median("train_gflops")
            print(Table.row([entry.name, String(format: "%.0f", train), String(format: "%.0f", entry.pytorchTrain),
                             String(format: "%.2f×", train / entry.pytorchTrain), String(format: "%.0f", generate),
                             String(format: "%.0f", entry.pytorchGenerate), String(format: "%.1f×", generate / entry.pytorchGenerate),
                             String(format: "%.0f", rss), String(format: "%.0f", entry.pytorchRSS), String(format: "%.1f", gflops)],
                            widths: widths))
        }
    }

    /// Runs `quill-bench train --json …` and reads its one JSON line.
    static func runOnce(_ executable: String, _ arguments: [String]) throws -> [String: Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw BenchOptions.UsageError(description: "quill-bench \(arguments.joined(separator: " ")) failed")
        }
        return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }
}
