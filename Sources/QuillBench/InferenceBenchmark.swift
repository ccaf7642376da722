import Foundation
import Quill
import QuillKernels

/// `quill-bench generate`: batch-1 generation and perplexity-evaluation speed for a 2×256 char
/// model and a 2×650 word model (V = 10,000), the memory-bandwidth bound of the word model, and
/// the time from starting `quill generate` to its first generated token.
enum InferenceBenchmark {
    struct Model {
        let name: String, vocabulary: Int, embed: Int, hidden: Int, level: TokenLevel, generate: Int
    }

    static let models = [
        Model(name: "char 2×256", vocabulary: 65, embed: 64, hidden: 256, level: .char, generate: 4000),
        Model(name: "word 2×650", vocabulary: 10_000, embed: 650, hidden: 650, level: .word, generate: 400),
    ]

    static func run(arguments: [String]) throws {
        let options = try BenchOptions(arguments, flags: ["launches": "10", "threads": "\(Parallel.threadCount)"])
        Parallel.threadCount = try options.int("threads")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quill-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }

        let bandwidth = Bandwidth.measure()
        print(String(format: "memory read bandwidth: %.1f GB/s (%d threads)", bandwidth, Parallel.threadCount))
        let widths = [12, 10, 14, 16, 12]
        print(Table.row(["model", "weights MB", "generate t/s", "bandwidth bound", "eval t/s"], widths: widths))
        var charCheckpoint = ""
        for spec in models {
            let (loaded, path) = try makeCheckpoint(spec, folder: folder)
            if spec.level == .char { charCheckpoint = path }
            let generator = Generator(loaded: loaded, sampler: try Sampler(temperature: 0.8))
            _ = try generator.generate(prompt: [2], length: 20, seed: 1)
            let start = Timing.now()
            let sample = try generator.generate(prompt: [2], length: spec.generate, seed: 2)[0]
            let generateRate = Double(sample.tokens) / (Timing.now() - start)
            let bytesPerToken = Bandwidth.float32BytesPerToken(loaded.model.config)
            let evaluationRate = try evaluationSpeed(loaded, spec: spec, folder: folder)
            print(Table.row([spec.name, String(format: "%.1f", bytesPerToken / 1e6), String(format: "%.0f", generateRate),
                             String(format: "%.0f", bandwidth * 1e9 / bytesPerToken), String(format: "%.0f", evaluationRate)],
                            widths: widths))
        }
        let launches = try options.int("launches")
        let firstToken = try timeToFirstToken(checkpoint: charCheckpoint, launches: launches)
        print(String(format: "time to first token, char 2×256 (quill generate, median of %d launches): %.1f ms", launches, firstToken * 1000))
    }

    /// A checkpoint of random weights with a vocabulary of the model's size.
    static func makeCheckpoint(_ spec: Model, folder: String) throws -> (LoadedModel, String) {
        let tokens: [String]
        if spec.level == .char {
            let printable = ["\n"] + (32..<127).map { String(UnicodeScalar(UInt8($0))) }
            tokens = [Vocabulary.pad, Vocabulary.unk] + printable.prefix(spec.vocabulary - 2)
        } else {
            tokens = [Vocabulary.pad, Vocabulary.unk, Vocabulary.eos] + (3..<spec.vocabulary).map { "w\($0)" }
        }
        let vocabulary = try Vocabulary(tokens: tokens, specialCount: spec.level == .char ? 2 : 3)
        let model = try LanguageModel(config: ModelConfig(vocabularySize: vocabulary.count, embeddingSize: spec.embed,
                                                          hiddenSize: spec.hidden, layers: 2), seed: 3)
        let path = folder + "/\(spec.level.rawValue).safetensors"
        try Checkpoint(model: model, vocabulary: vocabulary, summary: TrainingSummary(level: spec.level, mode: .stream))
            .write(to: path)
        return (LoadedModel(model: model, vocabulary: vocabulary, level: spec.level), path)
    }

    /// Tokens per second of `PerplexityEvaluator` (batch 10, 64 steps) on random text.
    static func evaluationSpeed(_ loaded: LoadedModel, spec: Model, folder: String) throws -> Double {
        var rng = SeededGenerator(seed: 4)
        let count = spec.level == .char ? 200_000 : 40_000
        let words = (0..<count).map { _ in loaded.vocabulary.tokens[2 + rng.nextInt(below: loaded.vocabulary.count - 2)] }
        let text = spec.level == .char ? words.joined() : words.joined(separator: " ")
        let path = folder + "/eval-\(spec.level.rawValue).txt"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let evaluator = try PerplexityEvaluator(loaded: loaded, batchSize: 10, steps: 64)
        let start = Timing.now()
        let result = try evaluator.evaluate(file: path)
        return Double(result.tokens) / (Timing.now() - start)
    }

    /// Median seconds from launching `quill generate` to the first byte of generated text.
    static func timeToFirstToken(checkpoint: String, launches: Int) throws -> Double {
        let quill = SelfExecutable.sibling("quill")
        guard FileManager.default.isExecutableFile(atPath: quill) else {
            throw BenchOptions.UsageError(description: "\(quill) is not built (swift build -c release)")
        }
        var times: [Double] = []
        for _ in 0..<launches {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: quill)
            process.arguments = ["generate", checkpoint, "--length", "200", "--no-prompt", "--seed", "1"]
            let pipe = Pipe()
            process.standardOutput = pipe
            let start = Timing.now()
            try process.run()
            _ = pipe.fileHandleForReading.availableData // returns once the first bytes arrive
            times.append(Timing.now() - start)
            _ = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
        }
        return times.sorted()[times.count / 2]
    }
}

/// Memory read bandwidth: a buffer far larger than the caches summed with SIMD loads, split over
/// the workers.
enum Bandwidth {
    /// Bytes of float32 weights one batch-1 step reads: every matrix but the embedding, of which
    /// one row (all of it when tied, being the decoder too).
    static func float32BytesPerToken(_ c: ModelConfig) -> Double {
        Double(c.parameterCount - (c.tieWeights ? 0 : (c.vocabularySize - 1) * c.embeddingSize)) * 4
    }

    static func measure(megabytes: Int = 512) -> Double {
        let count = megabytes * 1_000_000 / 4
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        buffer.initialize(repeating: 1, count: count)
        defer { buffer.deallocate() }
        var sink: Float = 0
        let seconds = Timing.bestSeconds(minimumTotal: 1) {
            let chunks = Parallel.threadCount
            var partial = [Float](repeating: 0, count: chunks)
            partial.withUnsafeMutableBufferPointer { out in
                Parallel.forEach(chunks) { c in
                    let start = count / chunks * c, end = c == chunks - 1 ? count : count / chunks * (c + 1)
                    var acc = SIMD16<Float>()
                    var i = start
                    let raw = UnsafeRawPointer(buffer)
                    while i + 16 <= end {
                        acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                        i += 16
                    }
                    out[c] = acc.sum()
                }
            }
            sink += partial.reduce(0, +)
        }
        if sink == -1 { print(sink) } // keeps the loads from being optimised away
        return Double(count * 4) / seconds / 1e9
    }
}
