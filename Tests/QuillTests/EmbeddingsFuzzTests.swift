import Foundation
import Quill
import QuillKernels
import XCTest

/// A seeded mutation fuzzer over vectors files (`--embeddings`): numbers in hex, NaN, infinities,
/// huge exponents, tabs and runs of spaces, ragged rows, headers, blank lines. Every case either
/// gives finite vectors of the file's dimension for vocabulary tokens only, or throws Quill's
/// typed error; seed and case are in every failure message, and both outcomes must occur.
final class EmbeddingsFuzzTests: XCTestCase {
    static let seed: UInt64 = 20_261_207
    static let cases = 1_200

    static let hostile = ["0x1p3", "nan", "NaN", "inf", "-inf", "Infinity", "1e39", "-1e39", "1e-50", "1e999", "1e", "e3", ".",
                          "+.5", "5.", "-0", "1,5", "1.2.3", "", "0b1", "1_000", "１", "3e+2", "-2.5E-3", "00.10", "1e0x"]

    func testMutatedVectorsFilesReadFiniteOrAreRefused() throws {
        let folder = SharedData.temporaryFolder(self)
        let vocabulary = try Vocabulary(tokens: ["<pad>", "<unk>", "the", "lamp", "The", "keeper"], specialCount: 2)
        let lines = ["the 0.1 -0.2 0.3", "lamp 1 2 3", "sea 4e-1 5 6", "keeper -1.5e2 0 .25"]
        var rng = SeededGenerator(seed: Self.seed)
        var outcomes = FuzzOutcomes()
        for index in 0..<Self.cases {
            var fields = lines.map { $0.split(separator: " ").map(String.init) }
            let kind = mutate(&fields, &rng)
            let separators = [" ", "\t", "  ", " \t"]
            let text = fields.map { row in
                row.map { $0 + separators[rng.nextInt(below: separators.count)] }.joined().dropLast()
                    + (rng.nextInt(below: 4) == 0 ? "\r\n" : "\n")
            }.joined()
            let label = "seed \(Self.seed) case \(index) (\(kind))"
            let path = SharedData.write(text, "vectors\(index % 5).txt", in: folder)
            outcomes.record(label) {
                let embeddings = try PretrainedEmbeddings(path: path, vocabulary: vocabulary, dimension: 3)
                XCTAssertEqual(embeddings.coverage.dimension, 3, label)
                XCTAssertEqual(embeddings.coverage.covered, embeddings.rows.count, label)
                for (id, row) in embeddings.rows {
                    XCTAssertTrue((0..<vocabulary.count).contains(id), label)
                    XCTAssertEqual(row.count, 3, label)
                    XCTAssertTrue(row.allSatisfy(\.isFinite), label)
                }
            }
        }
        XCTAssertGreaterThan(outcomes.accepted, Self.cases / 10, "seed \(Self.seed): too few mutated vectors files read")
        XCTAssertGreaterThan(outcomes.refused, Self.cases / 10, "seed \(Self.seed): too few mutated vectors files refused")
    }

    /// One change to the rows of fields (or none), and a word for it.
    func mutate(_ rows: inout [[String]], _ rng: inout SeededGenerator) -> String {
        let row = rng.nextInt(below: rows.count)
        switch rng.nextInt(below: 6) {
        case 0:
            return "unchanged"
        case 1, 2:
            let value = Self.hostile[rng.nextInt(below: Self.hostile.count)]
            let column = 1 + rng.nextInt(below: rows[row].count - 1)
            rows[row][column] = value
            return "row \(row) field \(column) = \(value.debugDescription)"
        case 3:
            if rng.nextInt(below: 2) == 0 { rows[row].removeLast() } else { rows[row].append("0.5") }
            return "row \(row) ragged"
        case 4:
            rows.insert(rng.nextInt(below: 2) == 0 ? ["4", "3"] : ["4", "2"], at: 0)
            return "header \(rows[0])"
        default:
            rows.insert(rng.nextInt(below: 2) == 0 ? [] : ["to", "be", "1", "2", "3"], at: row)
            return "blank or spaced-token row at \(row)"
        }
    }
}
