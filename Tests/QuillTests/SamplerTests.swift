import Foundation
import Quill
import QuillKernels
import XCTest

final class SamplerTests: XCTestCase {
    let logits: [Float] = [2.0, 1.0, 0.5, -1.0, 0.0, 1.5]

    func probabilities(temperature: Double) -> [Double] {
        let w = logits.map { exp(Double($0) / temperature) }
        let total = w.reduce(0, +)
        return w.map { $0 / total }
    }

    func frequencies(_ sampler: Sampler, draws: Int, seed: UInt64 = 1) -> [Int] {
        var rng = SeededGenerator(seed: seed)
        var counts = [Int](repeating: 0, count: logits.count)
        for _ in 0..<draws { counts[sampler.sample(logits, count: logits.count, rng: &rng)] += 1 }
        return counts
    }

    /// Pearson's chi-square against the expected probabilities. With 5 degrees of freedom the
    /// statistic exceeds 25.7 with probability 1e-4 when the sampler is right, while a sampler off by
    /// a few percent on any token gives hundreds at 60,000 draws.
    func chiSquare(_ counts: [Int], _ expected: [Double]) -> Double {
        let n = Double(counts.reduce(0, +))
        var statistic = 0.0
        for (count, p) in zip(counts, expected) where p > 0 {
            let difference = Double(count) - n * p
            statistic += difference * difference / (n * p)
        }
        return statistic
    }

    func testFrequenciesMatchTemperatureScaledSoftmax() throws {
        for temperature in [1.0, 0.5, 2.0] {
            let counts = frequencies(try Sampler(temperature: temperature), draws: 60_000)
            XCTAssertLessThan(chiSquare(counts, probabilities(temperature: temperature)), 25.7, "T=\(temperature)")
        }
        // The test has power: the T=1 counts do not fit T=0.9.
        XCTAssertGreaterThan(chiSquare(frequencies(try Sampler(temperature: 1), draws: 60_000), probabilities(temperature: 0.9)), 100)
    }

    func testTopKKeepsOnlyTheKMostLikely() throws {
        let counts = frequencies(try Sampler(temperature: 1, topK: 3), draws: 30_000)
        XCTAssertEqual(counts.enumerated().filter { $0.element > 0 }.map(\.offset), [0, 1, 5])
        let p = probabilities(temperature: 1)
        let kept = p[0] + p[1] + p[5]
        var expected = [Double](repeating: 0, count: p.count)
        for i in [0, 1, 5] { expected[i] = p[i] / kept }
        XCTAssertLessThan(chiSquare(counts, expected), 18.4) // 2 degrees of freedom, p = 1e-4
    }

    func testTopPKeepsTheSmallestSetReachingP() throws {
        let p = probabilities(temperature: 1) // order: 0 (.39), 5 (.24), 1 (.14), 2 (.09), 4 (.05), 3 (.02)
        let sorted = p.enumerated().sorted { $0.element > $1.element }
        for target in [0.3, 0.6, 0.7, 0.9, 0.99, 1.0] {
            let kept = logits.withUnsafeBufferPointer { try! Sampler(temperature: 1, topP: target).distribution($0.baseAddress!, count: 6) }
            var mass = 0.0, expectedCount = 0
            for item in sorted {
                mass += item.element
                expectedCount += 1
                if mass >= target - 1e-12 { break }
            }
            XCTAssertEqual(kept.count, expectedCount, "p=\(target)")
            XCTAssertEqual(kept.map(\.token), sorted.prefix(expectedCount).map(\.offset))
            XCTAssertEqual(kept.reduce(0) { $0 + $1.probability }, 1, accuracy: 1e-9)
        }
    }

    func testTopKThenTopPAndGreedy() throws {
        let both = logits.withUnsafeBufferPointer { try! Sampler(temperature: 1, topK: 2, topP: 0.5).distribution($0.baseAddress!, count: 6) }
        // Within the top 2 (0: .39, 5: .24 → renormalised .62, .38), p = 0.5 keeps token 0 alone.
        XCTAssertEqual(both.map(\.token), [0])
        var rng = SeededGenerator(seed: 3)
        let greedy = try Sampler(temperature: 0)
        XCTAssertEqual(Set((0..<100).map { _ in greedy.sample(logits, count: 6, rng: &rng) }), [0])
    }

    func testSeedsReproduce() throws {
        let sampler = try Sampler(temperature: 1, topP: 0.9)
        XCTAssertEqual(frequencies(sampler, draws: 500, seed: 9), frequencies(sampler, draws: 500, seed: 9))
    }

    func testInvalidSettings() {
        XCTAssertThrowsError(try Sampler(temperature: -1))
        XCTAssertThrowsError(try Sampler(topK: 0))
        XCTAssertThrowsError(try Sampler(topP: 0))
        XCTAssertThrowsError(try Sampler(topP: 1.5))
    }
}
