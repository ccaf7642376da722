import Foundation
import Quill

/// `quill-bench parity FIXTURE…`: Quill against PyTorch reference fixtures, largest error per
/// tensor; exits 1 unless every tensor of every fixture is within tolerance.
enum ParityBenchmark {
    static func run(arguments: [String]) throws -> Int32 {
        let options = try BenchOptions(arguments, flags: [:])
        guard !options.positional.isEmpty else {
            throw BenchOptions.UsageError(description: "usage: quill-bench parity FIXTURE.safetensors [MORE…]")
        }
        var allPassed = true
        for path in options.positional {
            let check = try ParityCheck(fixturePath: path)
            let c = check.config
            print("\(path): \(c.cell.rawValue) V=\(c.vocabularySize) E=\(c.embeddingSize) H=\(c.hiddenSize) L=\(c.layers) T=\(check.steps) B=\(check.batch)")
            print("tolerance |Δ| ≤ \(ParityCheck.absoluteTolerance) + \(ParityCheck.relativeTolerance)·|expected|")
            let widths = [28, 8, 14, 12, 8]
            print(Table.row(["tensor", "values", "max |Δ|", "Δ/tolerance", "result"], widths: widths))
            for comparison in check.comparisons {
                print(Table.row([comparison.name, "\(comparison.count)",
                                 String(format: "%.3e", comparison.maxAbsoluteError),
                                 String(format: "%.3f", comparison.worstRatio),
                                 comparison.passed ? "OK" : "NOT OK"], widths: widths))
            }
            print(check.passed ? "all \(check.comparisons.count) tensors OK" : "FAILED")
            allPassed = allPassed && check.passed
        }
        return allPassed ? 0 : 1
    }
}
