import Foundation
import Quill
import QuillKernels
import XCTest

/// A seeded mutation fuzzer over search-space files: a valid space with keys replaced by values of
/// the wrong type, huge or negative numbers, empty lists, nested junk, unknown keys and broken
/// JSON. Each case is either refused with `QuillError` or gives a space whose every sample lies in
/// it; never a trap. The seed and case number are in every failure message.
final class SearchSpaceFuzzTests: XCTestCase {
    static let seed: UInt64 = 20_261_207
    static let cases = 3_000

    static let valid: [String: String] = ["lr": "[0.001, 0.005]", "sgd_lr": "[1, 10]", "hidden": "[64, 128]", "layers": "[1, 2]",
                                          "embed": "32", "dropout": "[0, 0.3]", "weight_drop": "0.1", "embedding_dropout": "[0, 0.1]",
                                          "seq_len": "[16, 32]", "batch": "8", "locked_dropout": "[true, false]", "tie": "false",
                                          "optimizer": "[\"adam\", \"sgd\"]"]
    static let hostile = ["-1", "0", "1", "0.5", "1e308", "-1e308", "1e-308", "-0", "9223372036854775807", "18446744073709551616",
                          "1000001", "1000000", "0.95", "0.96", "2.5", "[]", "[[]]", "[1, 2, 3]", "[2, 1]", "[0, 1e6]", "[1e-9, 1e6]",
                          "\"7\"", "\"adam\"", "\"lamb\"", "true", "null", "{}", "{\"a\": [1]}", "[1, \"2\"]", "[true, 1]",
                          "[null]", "[[1, 2]]", "[\"rmsprop\", \"adamw\"]", String(repeating: "[", count: 200)]

    func testMutatedSpacesGiveAValidSpaceOrATypedError() {
        var rng = SeededGenerator(seed: Self.seed)
        var outcomes = [0, 0] // read, refused
        for index in 0..<Self.cases {
            let (text, kind) = mutated(&rng)
            let label = "seed \(Self.seed) case \(index) (\(kind)): \(text.prefix(300))"
            do {
                let space = try SearchSpace(json: text, path: "fuzz")
                outcomes[0] += 1
                var draws = SeededGenerator(seed: UInt64(index))
                for _ in 0..<5 {
                    let p = space.sample(&draws)
                    XCTAssertTrue(space.contains(p), "\(label): sample \(p) outside the space")
                    XCTAssertTrue(p.hiddenSize >= 1 && p.layers >= 1 && p.batchSize >= 1 && p.sequenceLength >= 1, "\(label): \(p)")
                    XCTAssertTrue(p.learningRate > 0 && p.learningRate.isFinite, "\(label): \(p)")
                }
            } catch let error as QuillError {
                outcomes[1] += 1
                XCTAssertFalse("\(error)".contains("\n"), "\(label): \(error)")
            } catch {
                XCTFail("\(label): untyped error \(type(of: error)): \(error)")
            }
        }
        XCTAssertGreaterThan(outcomes[0], Self.cases / 20, "seed \(Self.seed): too few mutated spaces read")
        XCTAssertGreaterThan(outcomes[1], Self.cases / 4, "seed \(Self.seed): too few mutated spaces refused")
    }

    /// A valid space's JSON with one to three keys damaged, and a word for how.
    func mutated(_ rng: inout SeededGenerator) -> (String, String) {
        var entries = Self.valid
        let keys = Self.valid.keys.sorted()
        var kinds: [String] = []
        for _ in 0...rng.nextInt(below: 3) {
            let key = keys[rng.nextInt(below: keys.count)]
            switch rng.nextInt(below: 6) {
            case 0: entries[key] = nil; kinds.append("dropped \(key)")
            case 1: entries["junk\(rng.nextInt(below: 3))"] = "1"; kinds.append("unknown key")
            default:
                entries[key] = Self.hostile[rng.nextInt(below: Self.hostile.count)]
                kinds.append("\(key) = \(entries[key]!.prefix(20))")
            }
        }
        var text = "{" + entries.keys.sorted().map { "\"\($0)\": \(entries[$0]!)" }.joined(separator: ", ") + "}"
        if rng.nextInt(below: 10) == 0 {
            text = String(text.prefix(rng.nextInt(below: text.count)))
            kinds.append("truncated")
        }
        return (text, kinds.joined(separator: ", "))
    }
}

extension SearchSpaceFuzzTests {
    /// Bounds near the smallest Double drew NaN (rounding to 3 digits overflowed its scale); they
    /// now draw values within the space.
    func testTinyBoundsDrawValuesWithinTheSpace() throws {
        let space = try SearchSpace(json: #"{"lr": 1e-308, "optimizer": "adam", "dropout": [0, 1e-307]}"#)
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<20 {
            let p = space.sample(&rng)
            XCTAssertEqual(p.learningRate, 1e-308, "\(p)")
            XCTAssertFalse(p.dropout.isNaN, "\(p)")
            XCTAssertTrue(space.contains(p), "\(p)")
        }
    }
}
