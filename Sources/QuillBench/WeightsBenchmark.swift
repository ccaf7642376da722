import Foundation
import Quill
import QuillKernels

/// `quill-bench weights CHECKPOINT TEXT`: what bfloat16 and int8 weights cost in quality and buy
/// in speed, for a trained model on real text: per format the stored size, the cross-entropy on
/// TEXT (and bits per character at char level), its change from float32, and batch-1 generation
/// tokens/s (median of alternating runs), with the memory-bandwidth bound of float32.
enum WeightsBenchmark {
    static func run(arguments: [String]) throws {
        let o = try BenchOptions(arguments, flags: ["tokens": "2000", "repeats": "3", "batch": "10", "seq-len": "64"])
        guard o.positional.count == 2 else {
            throw BenchOptions.UsageError(description: "usage: quill-bench weights CHECKPOINT TEXT [--tokens N] [--repeats N]")
        }
        let (path, text) = (o.positional[0], o.positional[1])
        let tokens = try o.int("tokens"), repeats = try o.int("repeats")
        print("checkpoint \(path), scored on \(text) (--batch \(try o.int("batch")), --seq-len \(try o.int("seq-len"))); generation: batch 1, \(tokens) tokens, median of \(repeats) alternating runs")
        let bandwidth = Bandwidth.measure()
        var generators: [(WeightFormat, Generator)] = []
        var scores: [WeightFormat: PerplexityEvaluator.Result] = [:]
        var level = TokenLevel.char
        var bytesF32 = 0.0
        for format in WeightFormat.allCases {
            let loaded = try LoadedModel(path: path, weightFormat: format)
            level = loaded.level
            scores[format] = try PerplexityEvaluator(loaded: loaded, batchSize: try o.int("batch"), steps: try o.int("seq-len"))
                .evaluate(file: text)
            bytesF32 = Bandwidth.float32BytesPerToken(loaded.model.config)
            let generator = Generator(loaded: loaded, sampler: try Sampler(temperature: 1))
            _ = try generator.generate(prompt: [], length: 20, seed: 1) // builds the decoder's weights
            generators.append((format, generator))
        }
        var rates: [WeightFormat: [Double]] = [:]
        for _ in 0..<repeats {
            for (format, generator) in generators {
                let start = Timing.now()
                let sample = try generator.generate(prompt: [], length: tokens, seed: 2)[0]
                rates[format, default: []].append(Double(sample.tokens) / (Timing.now() - start))
            }
        }
        let widths = [8, 10, 16, 12, 16, 14, 10]
        print(Table.row(["weights", "matrix MB", "cross-entropy", "change", level == .char ? "bits/char" : "perplexity",
                         "generate t/s", "vs f32"], widths: widths))
        let base = scores[.f32]!, baseRate = median(rates[.f32]!)
        for format in WeightFormat.allCases {
            let s = scores[format]!, rate = median(rates[format]!)
            let change = level == .char
                ? String(format: "%+.4f b/c", (s.crossEntropy - base.crossEntropy) / log(2.0))
                : String(format: "%+.2f%% ppl", (s.perplexity / base.perplexity - 1) * 100)
            print(Table.row([format.rawValue, String(format: "%.1f", bytesF32 / 4 * Double(format.bytesPerWeight) / 1e6),
                             String(format: "%.5f", s.crossEntropy), change,
                             String(format: level == .char ? "%.4f" : "%.2f", level == .char ? s.bitsPerToken : s.perplexity),
                             String(format: "%.0f", rate), String(format: "%.2f×", rate / baseRate)], widths: widths))
        }
        print(String(format: "float32 bandwidth bound: %.0f t/s (%.1f MB of weights a token at %.1f GB/s, measured in this run)",
                     bandwidth * 1e9 / bytesF32, bytesF32 / 1e6, bandwidth))
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}
