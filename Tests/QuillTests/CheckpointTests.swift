import Foundation
import Quill
import QuillKernels
import XCTest

/// A checkpoint must be refused, with the tensor or field named, whenever its parts disagree.
final class CheckpointTests: XCTestCase {
    func makeCheckpoint(cell: ModelConfig.Cell = .lstm) throws -> Checkpoint {
        let vocabulary = try Vocabulary(tokens: ["<pad>", "<unk>", "a", "b", "c"], specialCount: 2)
        let model = try Network(config: ModelConfig(vocabularySize: 5, embeddingSize: 4, hiddenSize: 6, layers: 2, cell: cell))
        var rng = SeededGenerator(seed: 1)
        model.initialize(rng: &rng)
        return Checkpoint(model: model.snapshot(), vocabulary: vocabulary, summary: TrainingSummary(level: .char, mode: .stream))
    }

    func assertRefused(_ file: SafeTensors, _ fragments: String..., line: UInt = #line) {
        XCTAssertThrowsError(try Checkpoint(safeTensors: file, path: "ck.safetensors"), line: line) { error in
            for fragment in fragments { XCTAssertTrue("\(error)".contains(fragment), "\(error)", line: line) }
        }
    }

    func testRoundTripThroughBytes() throws {
        for cell in ModelConfig.Cell.allCases {
            let checkpoint = try makeCheckpoint(cell: cell)
            let read = try Checkpoint(safeTensors: try SafeTensors(bytes: checkpoint.safeTensors().serialized()), path: "x")
            XCTAssertEqual(read.config, checkpoint.config)
            XCTAssertEqual(read.vocabulary, checkpoint.vocabulary)
            XCTAssertEqual(read.summary, checkpoint.summary)
            XCTAssertEqual(try read.makeModel().allValues, try checkpoint.makeModel().allValues)
        }
    }

    func testMissingTensorWrongShapeAndVocabularyMismatch() throws {
        let good = try makeCheckpoint().safeTensors()

        var missing = good
        missing.tensors["rnn.weight_hh_l1"] = nil
        missing.order.removeAll { $0 == "rnn.weight_hh_l1" }
        assertRefused(missing, "missing tensor 'rnn.weight_hh_l1'")

        var reshaped = good
        reshaped.set("decoder.weight", .init(shape: [6, 5], floats: reshaped["decoder.weight"]!.floats()!))
        assertRefused(reshaped, "decoder.weight", "[6, 5]", "[5, 6]")

        var vocabulary = good
        vocabulary.metadata["quill.vocabulary"] = try Vocabulary(tokens: ["<pad>", "<unk>", "a"], specialCount: 2).jsonString()
        assertRefused(vocabulary, "vocabulary has 3 tokens", "5")

        var integers = good
        integers.set("decoder.bias", .init(shape: [5], integers: [1, 2, 3, 4, 5]))
        assertRefused(integers, "decoder.bias", "I64")

        var nonFinite = good
        var values = nonFinite["encoder.weight"]!.floats()!
        values[0] = .nan
        nonFinite.set("encoder.weight", .init(shape: [5, 4], floats: values))
        assertRefused(nonFinite, "encoder.weight", "NaN")

        var plain = good
        plain.metadata = [:]
        assertRefused(plain, "not a Quill checkpoint", "vocabulary and level")

        var badConfig = good
        badConfig.metadata["quill.config"] = "{\"nope\": 1}"
        assertRefused(badConfig, "quill.config")

        var newer = good
        newer.metadata["quill.format"] = "2"
        assertRefused(newer, "quill.format is '2'", "reads format 1")
        var noFormat = good
        noFormat.metadata["quill.format"] = nil
        assertRefused(noFormat, "no quill.format")

        // Sizes from a damaged config are refused before anything is built from them.
        var hugeLayers = good
        hugeLayers.metadata["quill.config"] = good.metadata["quill.config"]!.replacingOccurrences(of: "\"layers\":2", with: "\"layers\":100000000000")
        assertRefused(hugeLayers, "layers is 100000000000, above the limit")
        var hugeHidden = good
        hugeHidden.metadata["quill.config"] = good.metadata["quill.config"]!.replacingOccurrences(of: "\"hiddenSize\":6", with: "\"hiddenSize\":4611686018427387904")
        assertRefused(hugeHidden, "above the limit")
    }

    /// A config written before a field existed still loads, with the field's default.
    func testOlderConfigWithoutNewerFieldsLoads() throws {
        let old = #"{"vocabularySize":5,"embeddingSize":4,"hiddenSize":6,"layers":2,"dropout":0.1,"tieWeights":false,"cell":"gru","initialization":"pytorch"}"#
        let config = try JSONDecoder().decode(ModelConfig.self, from: Data(old.utf8))
        XCTAssertEqual(config.cell, .gru)
        XCTAssertEqual(config.initializationRange, 0.1)
        XCTAssertThrowsError(try JSONDecoder().decode(ModelConfig.self, from: Data(#"{"vocabularySize":5}"#.utf8)))
    }
}
