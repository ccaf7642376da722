import Foundation

/// `quill-bench suite`: the four standard configurations and the char one with an attention head
/// (M = 512), each run in its own process (so peak memory is its own), several times. With `--pytorch PYTHON` the PyTorch twin
/// (`Benchmarks/pytorch_twin.py`: same model, data and loop) runs alternately with Quill in the
/// same session, in both of its update loops (by hand, and `torch.optim.SGD`); the table's
/// PyTorch columns are the loop whose median training rate is faster ("loop" names it), so Quill
/// is always compared with the better of the two. No peer figure is ever quoted from elsewhere:
/// without `--pytorch` the PyTorch columns are not printed at all.
enum SuiteBenchmark {
    struct Entry {
        let name: String
        let vocabulary: Int, embed: Int, hidden: Int, batch: Int, steps: Int
        let trainSteps: Int, generate: Int
        /// M of an attention head (`--attention --attention-memory M`), or nil for none.
        var attention: Int? = nil

        var arguments: [String] {
            ["--vocab", "\(vocabulary)", "--embed", "\(embed)", "--hidden", "\(hidden)", "--layers", "2",
             "--batch", "\(batch)", "--seq-len", "\(steps)", "--steps", "\(trainSteps)", "--generate", "\(generate)"]
                + (attention.map { ["--attention", "--attention-memory", "\($0)"] } ?? [])
        }
    }

    static let entries: [Entry] = [
        Entry(name: "char", vocabulary: 65, embed: 64, hidden: 256, batch: 32, steps: 64, trainSteps: 30, generate: 3000),
        Entry(name: "char-big", vocabulary: 65, embed: 128, hidden: 512, batch: 64, steps: 100, trainSteps: 8, generate: 2000),
        Entry(name: "word-small", vocabulary: 10_000, embed: 200, hidden: 200, batch: 20, steps: 20, trainSteps: 30, generate: 1000),
        Entry(name: "word-medium", vocabulary: 10_000, embed: 650, hidden: 650, batch: 20, steps: 35, trainSteps: 8, generate: 300),
        Entry(name: "char-attn", vocabulary: 65, embed: 64, hidden: 256, batch: 32, steps: 64, trainSteps: 30, generate: 3000, attention: 512),
    ]

    static func run(arguments: [String]) throws {
        let options = try BenchOptions(arguments, flags: [
            "repeats": "3", "cell": "lstm", "pytorch": "", "twin": "Benchmarks/pytorch_twin.py", "configs": "",
        ])
        let repeats = try options.int("repeats")
        let cell = options.string("cell")
        let python = options.string("pytorch")
        let twin = options.string("twin")
        let selected = options.string("configs").split(separator: ",").map(String.init)
        let chosen = selected.isEmpty ? entries : entries.filter { selected.contains($0.name) }
        guard !chosen.isEmpty else {
            throw BenchOptions.UsageError(description: "--configs names none of \(entries.map(\.name).joined(separator: ", "))")
        }
        if !python.isEmpty && !FileManager.default.fileExists(atPath: twin) {
            throw BenchOptions.UsageError(description: "no PyTorch twin at \(twin) (run from the repository root, or pass --twin PATH)")
        }
        let executable = SelfExecutable.path

        print("quill-bench suite: \(repeats) runs per configuration, median; cell \(cell); "
              + (python.isEmpty ? "Quill only (add --pytorch PYTHON to run the PyTorch twin alternately)"
                                : "PyTorch twin \(twin) run alternately with Quill in this session"))
        let withPeer = !python.isEmpty
        let header = withPeer
            ? ["config", "train t/s", "PyTorch", "loop", "ratio", "gen t/s", "PyTorch", "ratio", "RSS MB", "PyTorch",
               "GFLOP/s", "of GEMM"]
            : ["config", "train t/s", "gen t/s", "RSS MB", "GFLOP/s", "of GEMM"]
        let widths = withPeer ? [12, 10, 9, 5, 7, 9, 8, 7, 8, 8, 8, 8] : [12, 10, 9, 8, 8, 8]
        print(Table.row(header, widths: widths))
        // The machine's speed drifts (shared hosts), so the GEMM reference is measured before every
        // configuration and the best kept: a step's share of it is then never flattered.
        var gemm = 0.0
        var rows: [[String]] = []
        for entry in chosen {
            gemm = max(gemm, try runOnce(executable, ["gemm-rate"])["gflops"] ?? 0)
            var quill: [[String: Double]] = [], torch: [String: [[String: Double]]] = [:]
            for _ in 0..<repeats {
                quill.append(try runOnce(executable, ["train", "--json", "--cell", cell] + entry.arguments))
                if withPeer {
                    for loop in twinLoops {
                        torch[loop, default: []].append(try runOnce(python, [twin, "--cell", cell, "--update", loop] + entry.arguments))
                    }
                }
            }
            let train = median(quill, "train_tokens_per_s"), generate = median(quill, "generate_tokens_per_s")
            let rss = median(quill, "peak_rss_mb"), gflops = median(quill, "train_gflops")
            let ofGEMM = String(format: "%.0f%%", 100 * gflops / gemm)
            if withPeer {
                let loop = twinLoops.max { median(torch[$0]!, "train_tokens_per_s") < median(torch[$1]!, "train_tokens_per_s") }!
                let peer = torch[loop]!
                let torchTrain = median(peer, "train_tokens_per_s"), torchGenerate = median(peer, "generate_tokens_per_s")
                rows.append([entry.name, f0(train), f0(torchTrain), loop, String(format: "%.2f×", train / torchTrain),
                             f0(generate), f0(torchGenerate), String(format: "%.1f×", generate / torchGenerate),
                             f0(rss), f0(median(peer, "peak_rss_mb")), String(format: "%.1f", gflops), ofGEMM])
            } else {
                rows.append([entry.name, f0(train), f0(generate), f0(rss), String(format: "%.1f", gflops), ofGEMM])
            }
            print(Table.row(rows.last!, widths: widths))
        }
        print(String(format: "GEMM reference: %.1f GFLOP/s, the best 1024×1024×1024 product measured in this run "
                     + "(%d threads); \"of GEMM\" is the training step's rate over it", gemm,
                     Int(ProcessInfo.processInfo.environment["QUILL_THREADS"] ?? "") ?? ProcessInfo.processInfo.activeProcessorCount))
    }

    /// The twin's update loops (`--update`): by hand as word_language_model writes it, and
    /// `torch.optim.SGD` as a user's loop would. On CPU (torch 2.15) both are a per-parameter
    /// update, but another PyTorch may differ, so both run and Quill meets the faster.
    static let twinLoops = ["hand", "sgd"]

    static func f0(_ x: Double) -> String { String(format: "%.0f", x) }

    static func median(_ runs: [[String: Double]], _ key: String) -> Double {
        let values = runs.compactMap { $0[key] }.sorted()
        return values.isEmpty ? .nan : values[values.count / 2]
    }

    /// Runs a program that prints one JSON object as its last line and reads its numbers.
    static func runOnce(_ executable: String, _ arguments: [String]) throws -> [String: Double] {
        let run = ChildProcess.run(executable, arguments)
        let lastLine = run?.output.split(separator: "\n").last.map(String.init) ?? ""
        guard let run, run.status == 0,
              let object = try? JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any] else {
            let why = run.map { "exit \($0.status)" } ?? "could not be started"
            throw BenchOptions.UsageError(description: "\(executable) \(arguments.joined(separator: " ")) failed (\(why))")
        }
        return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }
}
