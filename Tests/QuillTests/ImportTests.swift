import Foundation
import Quill
import XCTest

/// Plain PyTorch state dicts (Tests/Fixtures/import_*.safetensors, written by
/// make_import_fixtures.py) imported as Quill checkpoints score their text as PyTorch did.
final class ImportTests: XCTestCase {
    struct Fixture: Decodable {
        let level: String
        let cell: String
        let tied: Bool
        let vocab: [String]
        let text: String
        let tokens: Int
        let cross_entropy: Double
    }

    static let names = ["char_lstm", "char_gru", "char_rnn_tanh", "char_rnn_relu", "word_lstm", "word_gru", "word_rnn_tanh",
                        "word_rnn_relu", "char_lstm_tied", "word_gru_tied"]

    static func load(_ name: String) throws -> (SafeTensors, Fixture) {
        let file = try SafeTensors(contentsOf: ParityTests.committed + "/import_\(name).safetensors")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(file.metadata["fixture"]!.utf8))
        return (file, fixture)
    }

    func testEveryCellAndLevelScoresAsPyTorchDid() throws {
        let folder = SharedData.temporaryFolder(self)
        for name in Self.names {
            let (file, fixture) = try Self.load(name)
            let cell = ModelConfig.Cell(rawValue: fixture.cell)!
            let level = TokenLevel(rawValue: fixture.level)!
            // The weights alone settle the cell, except a vanilla RNN's nonlinearity.
            let given: ModelConfig.Cell? = cell == .rnnTanh || cell == .rnnRelu ? cell : nil
            let checkpoint = try Checkpoint(importing: file, path: name, vocabulary: try Vocabulary(tokens: fixture.vocab, specialCount: 0),
                                            level: level, cell: given)
            XCTAssertEqual(checkpoint.config.cell, cell, name)
            XCTAssertEqual(checkpoint.config.tieWeights, fixture.tied, name)
            // Through a file, as a user would: the checkpoint form must load on its own.
            let path = folder + "/\(name).safetensors"
            try checkpoint.write(to: path)
            let loaded = try LoadedModel(path: path)
            let textPath = folder + "/\(name).txt"
            try fixture.text.write(toFile: textPath, atomically: true, encoding: .utf8)
            let result = try PerplexityEvaluator(loaded: loaded, batchSize: 1, steps: 16).evaluate(file: textPath)
            XCTAssertEqual(result.tokens, fixture.tokens, name)
            XCTAssertEqual(result.crossEntropy, fixture.cross_entropy, accuracy: 1e-4 * fixture.cross_entropy, name)
        }
    }

    func testTiedModelSavedWithOnlyTheDecoderMatrixLoadsAsTied() throws {
        let (file, fixture) = try Self.load("char_lstm_tied")
        XCTAssertNil(file["encoder.weight"], "the fixture should hold save_model's form (one of the shared pair)")
        let config = try LanguageModel.inferConfig(from: file, path: "tied")
        XCTAssertTrue(config.tieWeights)
        let checkpoint = try Checkpoint(importing: file, path: "tied", vocabulary: try Vocabulary(tokens: fixture.vocab, specialCount: 0), level: .char)
        let model = try checkpoint.makeModel()
        XCTAssertEqual(model.values("encoder.weight")!, file["decoder.weight"]!.floats()!)
    }

    func testVanillaRNNWithoutItsNonlinearityIsRefusedNotGuessed() throws {
        let (file, fixture) = try Self.load("word_rnn_relu")
        XCTAssertThrowsError(try Checkpoint(importing: file, path: "relu", vocabulary: try Vocabulary(tokens: fixture.vocab, specialCount: 0),
                                            level: .word)) { error in
            guard case QuillError.invalidSetting(let invalid) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(invalid.setting, .cell)
            XCTAssertTrue(invalid.message.contains("rnn-tanh or rnn-relu"), invalid.message)
        }
        // And the wrong nonlinearity gives a different model: the choice matters.
        let vocabulary = try Vocabulary(tokens: fixture.vocab, specialCount: 0)
        let relu = try Checkpoint(importing: file, path: "relu", vocabulary: vocabulary, level: .word, cell: .rnnRelu)
        let tanh = try Checkpoint(importing: file, path: "relu", vocabulary: vocabulary, level: .word, cell: .rnnTanh)
        XCTAssertEqual(relu.config.cell, .rnnRelu)
        XCTAssertEqual(tanh.config.cell, .rnnTanh)
    }

    func testVocabularySizeMustMatchTheEmbedding() throws {
        let (file, fixture) = try Self.load("char_gru")
        XCTAssertThrowsError(try Checkpoint(importing: file, path: "gru", vocabulary: try Vocabulary(tokens: Array(fixture.vocab.dropLast()), specialCount: 0),
                                            level: .char)) { XCTAssertTrue("\($0)".contains("vocabulary lists"), "\($0)") }
    }

    func testJSONVocabularyRoundTripsEveryToken() throws {
        let folder = SharedData.temporaryFolder(self)
        let tokens = ["<pad>", "<unk>", "\n", " ", "\"", "\\", "é", "\t", "日本", "a b"]
        let vocabulary = try Vocabulary(tokens: tokens, specialCount: 2)
        let path = folder + "/v.json"
        try vocabulary.jsonArrayText().write(toFile: path, atomically: true, encoding: .utf8)
        let read = try Vocabulary(file: path)
        XCTAssertEqual(read.tokens, tokens)
        XCTAssertEqual(read.specialCount, 2)
        // A file without the .json extension is still read as JSON when it starts with '['.
        let plain = folder + "/v.txt"
        try vocabulary.jsonArrayText().write(toFile: plain, atomically: true, encoding: .utf8)
        XCTAssertEqual(try Vocabulary(file: plain).tokens, tokens)
        try "[\"a\", 3]".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Vocabulary(file: path)) { XCTAssertTrue("\($0)".contains("JSON array of strings"), "\($0)") }
        try "[\"a\", \"a\"]".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Vocabulary(file: path)) { XCTAssertTrue("\($0)".contains("twice"), "\($0)") }
    }
}
