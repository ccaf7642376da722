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

        var noFormat = good
        noFormat.metadata["quill.format"] = nil
        assertRefused(noFormat, "no quill.format")
        for bad in ["0", "-1", "two", "1.5", ""] {
            var unreadable = good
            unreadable.metadata["quill.format"] = bad
            assertRefused(unreadable, "quill.format")
        }

        // Sizes from a damaged config are refused before anything is built from them.
        var hugeLayers = good
        hugeLayers.metadata["quill.config"] = good.metadata["quill.config"]!.replacingOccurrences(of: "\"layers\":2", with: "\"layers\":100000000000")
        assertRefused(hugeLayers, "layers is 100000000000, above the limit")
        var hugeHidden = good
        hugeHidden.metadata["quill.config"] = good.metadata["quill.config"]!.replacingOccurrences(of: "\"hiddenSize\":6", with: "\"hiddenSize\":4611686018427387904")
        assertRefused(hugeHidden, "above the limit")
    }

    /// A file of a newer format is refused, the error naming its version and the newest this
    /// Quill reads; the file this Quill writes carries the current version.
    func testNewerFormatIsRefusedNamingBothVersions() throws {
        let good = try makeCheckpoint().safeTensors()
        XCTAssertEqual(good.metadata["quill.format"], "4")
        XCTAssertEqual(FormatVersion.checkpoint.stamp, "4")
        var newer = good
        newer.metadata["quill.format"] = "5"
        XCTAssertThrowsError(try Checkpoint(safeTensors: newer, path: "ck.safetensors")) { error in
            XCTAssertEqual(error as? QuillError, .newerFormat(path: "ck.safetensors", kind: "checkpoint", version: 5, newest: 4))
            XCTAssertEqual("\(error)", "ck.safetensors: checkpoint written by format 5; this Quill reads up to format 4 (a newer Quill wrote it)")
        }
        // The version is checked before anything else in the file is read.
        newer.metadata["quill.config"] = "{\"a config\": \"of a later layout\"}"
        assertRefused(newer, "format 5", "up to format 4")
    }

    /// A version 1 file, whose config may lack the fields added after it was written, loads
    /// through the upgrade path with the values those models were built with, and is written
    /// back as the current version.
    func testVersion1CheckpointIsReadThroughTheUpgradePath() throws {
        let current = try makeCheckpoint(cell: .lstm)
        var old = current.safeTensors()
        old.metadata["quill.format"] = "1"
        old.metadata["quill.config"] = #"{"embeddingSize":4,"hiddenSize":6,"layers":2,"vocabularySize":5}"#
        let read = try Checkpoint(safeTensors: try SafeTensors(bytes: old.serialized()), path: "v1.safetensors")
        XCTAssertEqual(read.config, ModelConfig(vocabularySize: 5, embeddingSize: 4, hiddenSize: 6, layers: 2, dropout: 0,
                                                tieWeights: false, cell: .lstm, initialization: .pytorch, initializationRange: 0.1))
        XCTAssertEqual(read.weights.tensors, current.weights.tensors)
        XCTAssertEqual(try read.makeModel().config, read.config)
        XCTAssertEqual(read.safeTensors().metadata["quill.format"], FormatVersion.checkpoint.stamp)
        // A field the old file has is kept, not replaced by the upgrade's value.
        old.metadata["quill.config"] = #"{"embeddingSize":4,"hiddenSize":6,"layers":2,"vocabularySize":5,"dropout":0.25}"#
        XCTAssertEqual(try Checkpoint(safeTensors: old, path: "v1").config.dropout, 0.25)
        // A version 2 file must list every field: the defaults are the upgrade's, not the decoder's.
        old.metadata["quill.format"] = "2"
        assertRefused(old, "quill.config")
        // A version 2 file (no attention then) reads as a model without attention, unchanged.
        var version2 = current.safeTensors()
        version2.metadata["quill.format"] = "2"
        XCTAssertEqual(try Checkpoint(safeTensors: version2, path: "v2").config, current.config)
        XCTAssertNil(try Checkpoint(safeTensors: version2, path: "v2").config.attention)
        // So does a version 3 file (no adaptive softmax then).
        var version3 = current.safeTensors()
        version3.metadata["quill.format"] = "3"
        XCTAssertNil(try Checkpoint(safeTensors: version3, path: "v3").config.adaptiveSoftmax)
        // A quantized version 1 file takes the same path.
        var int8 = current.safeTensors(storing: .int8)
        int8.metadata["quill.format"] = "1"
        XCTAssertEqual(try Checkpoint(safeTensors: int8, path: "v1-int8").storedFormat, .int8)
    }

    /// The scheme any kind of file uses: each step runs once, in order, from the file's version.
    func testFormatVersionRunsEachUpgradeStepInOrder() throws {
        let kind = FormatVersion(kind: "test file", key: "test.format", current: 4, oldest: 2)
        var steps: [Int] = []
        let upgraded = try kind.upgrade(["test.format": "2", "other": "x"], path: "t") { from, metadata in
            steps.append(from)
            metadata["step\(from)"] = "done"
        }
        XCTAssertEqual(steps, [2, 3])
        XCTAssertEqual(upgraded, ["test.format": "4", "other": "x", "step2": "done", "step3": "done"])
        XCTAssertEqual(try kind.upgrade(["test.format": "4"], path: "t") { _, _ in XCTFail("a current file needs no step") }, ["test.format": "4"])
        XCTAssertThrowsError(try kind.version(of: ["test.format": "1"], path: "t")) { XCTAssertTrue("\($0)".contains("older"), "\($0)") }
        XCTAssertThrowsError(try kind.version(of: ["test.format": "5"], path: "t")) {
            XCTAssertEqual("\($0)", "t: test file written by format 5; this Quill reads up to format 4 (a newer Quill wrote it)")
        }
        XCTAssertThrowsError(try kind.version(of: [:], path: "t")) { XCTAssertTrue("\($0)".contains("no test.format"), "\($0)") }
    }
}
