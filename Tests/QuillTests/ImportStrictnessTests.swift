import Foundation
import Quill
import XCTest

/// A state dict is imported only whole: every tensor used or named in a refusal, layers numbered
/// without gaps, by `quill import` and `--vocab` on the fly alike.
final class ImportStrictnessTests: XCTestCase {
    let vocabulary = try! Vocabulary(tokens: StateDictTesting.characters, specialCount: 2)

    func assertRefused(_ body: @autoclosure () throws -> Any, _ fragments: String..., line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { error in
            XCTAssertTrue(error is QuillError, "\(error)", line: line)
            for fragment in fragments { XCTAssertTrue("\(error)".contains(fragment), "\(error)", line: line) }
        }
    }

    /// Layers 0 and 5 only, as the hostile user's file had them: refused naming layer 1, where
    /// the loader once read a 1-layer model and dropped layer 5.
    func testAGapInTheLayersIsRefusedNamingTheMissingLayer() throws {
        var dict = try StateDictTesting.stateDict(layers: 1)
        for kind in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"] {
            // Above layer 0 the input weights are [4H, H], as the recurrent ones are.
            dict.set("rnn.\(kind)_l5", dict["rnn.\(kind == "weight_ih" ? "weight_hh" : kind)_l0"]!)
        }
        assertRefused(try Checkpoint(importing: dict, path: "gap", vocabulary: vocabulary, level: .char), "layer 1 is missing", "0, 5")
    }

    func testATensorTheModelHasNoPlaceForIsRefusedByName() throws {
        var dict = try StateDictTesting.stateDict()
        dict.set("classifier.weight", .init(shape: [2], floats: [1, 2]))
        assertRefused(try Checkpoint(importing: dict, path: "extra", vocabulary: vocabulary, level: .char), "'classifier.weight'", "no place")
        // A layer's tensor misspelt is refused too, not silently dropped.
        var misspelt = try StateDictTesting.stateDict()
        misspelt.set("rnn.bias_hh_l1_old", misspelt["rnn.bias_hh_l1"]!)
        assertRefused(try Checkpoint(importing: misspelt, path: "extra", vocabulary: vocabulary, level: .char), "'rnn.bias_hh_l1_old'")
        // The untouched dict and a tied one (decoder.weight is the shared matrix) import.
        XCTAssertEqual(try Checkpoint(importing: StateDictTesting.stateDict(), path: "ok", vocabulary: vocabulary, level: .char).config.layers, 2)
        XCTAssertTrue(try Checkpoint(importing: StateDictTesting.stateDict(tied: true), path: "ok", vocabulary: vocabulary, level: .char).config.tieWeights)
    }

    /// `LoadedModel(path:vocabularyFile:)` takes the same path as import: the same refusals.
    func testLoadingAStateDictOnTheFlyRefusesWhatImportRefuses() throws {
        let folder = SharedData.temporaryFolder(self)
        var dict = try StateDictTesting.stateDict()
        dict.set("extra", .init(shape: [1], floats: [0]))
        try dict.write(to: folder + "/dict.safetensors")
        let vocab = SharedData.write(vocabulary.jsonArrayText(), "v.json", in: folder)
        assertRefused(try LoadedModel(path: folder + "/dict.safetensors", vocabularyFile: vocab, level: .char), "'extra'")
        try StateDictTesting.stateDict().write(to: folder + "/clean.safetensors")
        XCTAssertEqual(try LoadedModel(path: folder + "/clean.safetensors", vocabularyFile: vocab, level: .char).model.config.layers, 2)
    }
}
