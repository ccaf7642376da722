import Foundation
import Quill
import QuillKernels

/// `quill-bench tokenize FILE…`: MB/s of counting tokens plus building the vocabulary, and of
/// encoding, on one core.
enum TokenizeBenchmark {
    static func run(arguments: [String]) throws {
        let options = try BenchOptions(arguments, flags: ["level": "both", "merges": "4096", "python": "python3", "rounds": "3"])
        guard !options.positional.isEmpty else { throw BenchOptions.UsageError(description: "usage: quill-bench tokenize FILE… [--level char|word|both|bpe] [--merges N] [--python PYTHON] [--rounds N]") }
        if options.string("level") == "bpe" {
            try BytePairBenchmark.run(paths: options.positional, merges: try options.int("merges"), python: options.string("python"),
                                      rounds: try options.int("rounds"))
            return
        }
        let levels: [TokenLevel] = options.string("level") == "both" ? [.char, .word] : [TokenLevel(rawValue: options.string("level"))].compactMap { $0 }
        let widths = [44, 6, 10, 16, 12]
        print(Table.row(["file", "level", "MB", "count+vocab MB/s", "encode MB/s"], widths: widths))
        for path in options.positional {
            let text = try TextFile(path: path)
            let megabytes = Double(text.bytes.count) / 1e6
            for level in levels {
                let tokenizer = level.tokenizer
                var vocabulary: Vocabulary?
                let build = Timing.bestSeconds(minimumTotal: 1) {
                    vocabulary = try? Vocabulary(counts: tokenizer.count(text.bytes),
                                                 specials: Vocabulary.extraSpecials(level: level, sequenceMode: false))
                }
                let encode = Timing.bestSeconds(minimumTotal: 1) { _ = tokenizer.encode(text.bytes, vocabulary: vocabulary!) }
                print(Table.row([path, level.rawValue, String(format: "%.2f", megabytes), String(format: "%.0f", megabytes / build),
                                 String(format: "%.0f", megabytes / encode)], widths: widths))
            }
        }
    }
}
