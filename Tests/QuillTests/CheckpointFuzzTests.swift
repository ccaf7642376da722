import Foundation
import Quill
import QuillKernels
import XCTest

/// A seeded mutation fuzzer over checkpoint files: each case takes a valid checkpoint's bytes,
/// damages them one way (header bytes, header length, shapes, dtypes, offsets, metadata JSON,
/// config values, data bytes, truncation) and loads the result. Every case must either give a
/// model that matches its config or throw Quill's typed error; a crash fails the whole run. The
/// seed and case number are in every failure message, so a case can be replayed alone.
final class CheckpointFuzzTests: XCTestCase {
    static let seed: UInt64 = 20_261_125
    static let cases = 6_000

    /// Values that have broken loaders: signs, zero, Int32/Int64 edges, floats where integers
    /// belong, huge floats, and JSON of the wrong type.
    static let hostileNumbers = ["-1", "0", "1", "2147483648", "9007199254740993", "9223372036854775807",
                                 "18446744073709551615", "1e30", "3.5", "-0.0", "1e-7", "4611686018427387904",
                                 "100000000000", "\"7\"", "true", "null", "[]", "{}"]

    func validFiles() throws -> [[UInt8]] {
        try ModelConfig.Cell.allCases.map { cell in
            let vocabulary = try Vocabulary(tokens: ["<pad>", "<unk>", "a", "b", "c", "d"], specialCount: 2)
            let model = try Network(config: ModelConfig(vocabularySize: 6, embeddingSize: 3, hiddenSize: 4, layers: 2,
                                                              cell: cell))
            var rng = SeededGenerator(seed: 1)
            model.initialize(rng: &rng)
            let summary = TrainingSummary(level: .char, mode: .stream)
            return Checkpoint(model: model.snapshot(), vocabulary: vocabulary, summary: summary).safeTensors().serialized()
        }
    }

    func testMutatedCheckpointsLoadOrThrowTypedErrors() throws {
        let originals = try validFiles()
        var rng = SeededGenerator(seed: Self.seed)
        var outcomes = FuzzOutcomes()
        for index in 0..<Self.cases {
            let original = originals[rng.nextInt(below: originals.count)]
            let (mutated, kind) = mutate(original, &rng)
            let label = "seed \(Self.seed) case \(index) (\(kind))"
            outcomes.record(label) {
                let file = try SafeTensors(bytes: mutated, path: "fuzz")
                let checkpoint = try Checkpoint(safeTensors: file, path: "fuzz")
                let model = try checkpoint.makeModel(path: "fuzz")
                XCTAssertEqual(model.config, checkpoint.config, label)
                XCTAssertEqual(model.parameterCount, checkpoint.config.parameterCount, label)
                XCTAssertEqual(checkpoint.vocabulary.count, checkpoint.config.vocabularySize, label)
            }
        }
        // Both outcomes must occur, or the mutations are not reaching the loader.
        XCTAssertGreaterThan(outcomes.accepted, Self.cases / 50, "seed \(Self.seed): too few mutated files loaded")
        XCTAssertGreaterThan(outcomes.refused, Self.cases / 2, "seed \(Self.seed): too few mutated files refused")
    }

    /// One mutation of a valid file, and a word for what it was.
    func mutate(_ bytes: [UInt8], _ rng: inout SeededGenerator) -> ([UInt8], String) {
        let headerLength = Int(bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        let data = Array(bytes[(8 + headerLength)...])
        func rebuilt(_ newHeader: String) -> [UInt8] {
            let h = Array(newHeader.utf8)
            return withUnsafeBytes(of: UInt64(h.count).littleEndian) { Array($0) } + h + data
        }
        func pick<T>(_ values: [T]) -> T { values[rng.nextInt(below: values.count)] }
        switch rng.nextInt(below: 10) {
        case 0:
            var out = bytes
            for _ in 0...rng.nextInt(below: 8) { out[rng.nextInt(below: out.count)] = UInt8(rng.nextInt(below: 256)) }
            return (out, "random bytes")
        case 1:
            return (Array(bytes.prefix(rng.nextInt(below: bytes.count))), "truncated")
        case 2:
            var out = bytes
            let value = pick([UInt64(0), 1, 7, UInt64(headerLength - 1), UInt64(headerLength + 1), UInt64(bytes.count),
                              UInt64.max, UInt64(Int.max), 1 << 40])
            withUnsafeBytes(of: value.littleEndian) { for i in 0..<8 { out[i] = $0[i] } }
            return (out, "header length \(value)")
        case 3:
            // Any number in the JSON header: shapes, offsets, and numbers inside the metadata strings.
            return (rebuilt(replaceNumber(in: header, with: pick(Self.hostileNumbers), &rng)), "header number")
        case 4:
            let dtype = pick(["F64", "F16", "BF16", "I64", "I8", "U8", "BOOL", "F8", "f32", ""])
            return (rebuilt(replaceOnce(in: header, "\"F32\"", with: "\"\(dtype)\"", &rng)), "dtype \(dtype)")
        case 5:
            let field = pick(["vocabularySize", "embeddingSize", "hiddenSize", "layers", "dropout", "initializationRange",
                              "tieWeights", "cell"])
            let value = pick(Self.hostileNumbers + ["\\\"gru\\\"", "\\\"banana\\\"", "false", "1.5"])
            return (rebuilt(replaceField(in: header, field, with: value)), "config \(field)=\(value)")
        case 6:
            var out = bytes
            let floats = (out.count - 8 - headerLength) / 4
            let pattern = pick([Float.nan, .infinity, -.infinity, 1e30, -1e30, .leastNonzeroMagnitude, 0])
            for _ in 0...rng.nextInt(below: 4) {
                let at = 8 + headerLength + 4 * rng.nextInt(below: max(1, floats))
                withUnsafeBytes(of: pattern.bitPattern.littleEndian) { for i in 0..<4 where at + i < out.count { out[at + i] = $0[i] } }
            }
            return (out, "data \(pattern)")
        case 7:
            let key = pick(["quill.format", "quill.config", "quill.vocabulary", "quill.training", "__metadata__", "data_offsets",
                            "shape", "dtype", "encoder.weight", "rnn.weight_hh_l1"])
            let replacement = pick(["x\(key)", "", "quill.format\":\"3\",\"y"])
            return (rebuilt(replaceOnce(in: header, "\"\(key)\"", with: "\"\(replacement)\"", &rng)), "key \(key)")
        case 8:
            var scalars = Array(header.unicodeScalars)
            let at = rng.nextInt(below: scalars.count)
            if rng.nextInt(below: 2) == 0 { scalars.remove(at: at) } else { scalars.insert(pick(["{", "}", "[", "\"", ",", ":", "\\"]), at: at) }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars)
            return (rebuilt(text), "header syntax")
        default:
            // Vocabulary damage: a token renamed to collide with another, or the list cut short.
            let damaged = pick([replaceOnce(in: header, "\\\"b\\\"", with: "\\\"a\\\"", &rng),
                                replaceOnce(in: header, "\\\"d\\\"", with: "", &rng),
                                replaceOnce(in: header, "\\\"<unk>\\\"", with: "\\\"<pad>\\\"", &rng)])
            return (rebuilt(damaged), "vocabulary")
        }
    }

    func replaceNumber(in text: String, with value: String, _ rng: inout SeededGenerator) -> String {
        let scalars = Array(text.unicodeScalars)
        var runs: [Range<Int>] = []
        var i = 0
        while i < scalars.count {
            if ("0"..."9").contains(scalars[i]) {
                let start = i
                while i < scalars.count, ("0"..."9").contains(scalars[i]) || scalars[i] == "." || scalars[i] == "e" { i += 1 }
                runs.append(start..<i)
            } else {
                i += 1
            }
        }
        guard !runs.isEmpty else { return text }
        let run = runs[rng.nextInt(below: runs.count)]
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[..<run.lowerBound])
        out.append(contentsOf: value.unicodeScalars)
        out.append(contentsOf: scalars[run.upperBound...])
        return String(out)
    }

    func replaceOnce(in text: String, _ target: String, with value: String, _ rng: inout SeededGenerator) -> String {
        var ranges: [Range<String.Index>] = []
        var from = text.startIndex
        while let r = text.range(of: target, range: from..<text.endIndex) {
            ranges.append(r)
            from = r.upperBound
        }
        guard !ranges.isEmpty else { return text }
        return text.replacingCharacters(in: ranges[rng.nextInt(below: ranges.count)], with: value)
    }

    /// Sets a field of the config, which sits in the header as an escaped JSON string.
    func replaceField(in text: String, _ field: String, with value: String) -> String {
        guard let key = text.range(of: "\\\"\(field)\\\":") else { return text }
        var end = key.upperBound
        while end < text.endIndex, text[end] != ",", text[end] != "}" { end = text.index(after: end) }
        return text.replacingCharacters(in: key.upperBound..<end, with: value)
    }
}
