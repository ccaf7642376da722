import Foundation
import Quill
import QuillKernels
import XCTest

/// The search space's `vocab_size` key (bpe level): read and checked like the other keys, drawn
/// only when given (so other spaces draw what they always drew), and, since a token is then a
/// different unit in each trial, trials ranked by nats per character.
extension SearchTests {
    func testVocabularySizeKeyIsReadOnlyAtTheBytePairLevel() throws {
        let space = try SearchSpace(json: #"{"vocab_size": [300, 1024]}"#, level: .bpe)
        XCTAssertEqual(space.vocabularySizes, [300, 1024])
        XCTAssertEqual(try SearchSpace(json: #"{"vocab_size": 512}"#, level: .bpe).vocabularySizes, [512])
        XCTAssertNil(SearchSpace(level: .bpe).vocabularySizes)
        for (text, level) in [(#"{"vocab_size": [300]}"#, TokenLevel.char), (#"{"vocab_size": [300]}"#, .word),
                              (#"{"vocab_size": [256]}"#, .bpe), (#"{"vocab_size": [300.5]}"#, .bpe), (#"{"vocab_size": []}"#, .bpe),
                              (#"{"vocab_size": "big"}"#, .bpe)] {
            XCTAssertThrowsError(try SearchSpace(json: text, level: level), "\(level) \(text)") { error in
                // The level named where it is the fault, the values quoted as the file wrote them.
                let expected = level == .bpe ? "257" : "is [300]"
                XCTAssertTrue("\(error)".contains("'vocab_size'") && "\(error)".contains(expected), "\(error)")
                XCTAssertEqual("\(error)".contains("--level bpe only"), level != .bpe, "\(error)")
            }
        }
        // Drawn after the rest, and only when given: the other parameters are those a space without
        // the key draws from the same generator.
        let plain = SearchSpace(level: .bpe)
        var sized = plain
        sized.vocabularySizes = [300, 1024]
        for seed in 0..<20 {
            var a = SeededGenerator(seed: UInt64(seed)), b = SeededGenerator(seed: UInt64(seed))
            let p = plain.sample(&a), q = sized.sample(&b)
            XCTAssertNil(p.vocabularySize)
            var unsized = q
            unsized.vocabularySize = nil
            XCTAssertEqual(unsized, p)
            XCTAssertTrue([300, 1024].contains(q.vocabularySize!) && sized.contains(q) && !plain.contains(q) && !sized.contains(p), "\(q)")
        }
    }

    func testSearchOverVocabularySizesRanksTrialsPerCharacter() throws {
        var base = TrainingOptions(corpus: corpus(), outputFolder: nil)
        base.level = .bpe
        let space = try SearchSpace(json: #"{"hidden": [8], "embed": [4], "layers": [1], "seq_len": [8], "batch": [4], "vocab_size": [265, 280]}"#,
                                    level: .bpe)
        var settings = HyperparameterSearch.Settings(base: base, budget: 600, space: space, folder: folder + "/v")
        settings.firstRungSteps = 3
        settings.seed = 7
        settings.baseline = .none
        let search = try HyperparameterSearch(settings: settings)
        let outcome = try search.run()
        let sizes = Set(outcome.trials.compactMap(\.parameters.vocabularySize))
        XCTAssertEqual(sizes, [265, 280], "both sizes drawn")
        let best = try XCTUnwrap(outcome.best)
        let checkpoint = try Checkpoint(contentsOf: folder + "/v/best")
        XCTAssertEqual(checkpoint.vocabulary.count, best.parameters.vocabularySize)
        // The recorded loss is the checkpoint's nats per token times the validation text's tokens
        // per character, which differ with the size.
        let data = try TrainingData(options: search.options(for: best, seconds: 60))
        let perToken = try XCTUnwrap(checkpoint.summary.bestValidationLoss)
        XCTAssertEqual(best.validationLoss!, perToken * data.validationTokensPerCharacter, accuracy: 1e-12)
        XCTAssertLessThan(best.validationLoss!, perToken)

        // A space without sizes trains the recipe's, as `quill train --max-time` would, and the log
        // keeps it in the base; a size given is kept.
        let unsized = try HyperparameterSearch(settings: .init(base: base, budget: 600, space: SearchSpace(level: .bpe), folder: folder + "/u"))
        let first = SearchTrial(id: 0, rung: 0, parameters: try XCTUnwrap(unsized.candidates.first))
        XCTAssertEqual(unsized.options(for: first, seconds: 60).bytePairVocabularySize, unsized.recipe.bytePairVocabularySize)
        XCTAssertEqual(unsized.recipe.bytePairVocabularySize, 1024)
        XCTAssertEqual(try HyperparameterSearch(resuming: folder + "/u").settings.base.bytePairVocabularySize, 1024)
        var sizedBase = base
        sizedBase.bytePairVocabularySize = 300
        let kept = try HyperparameterSearch(settings: .init(base: sizedBase, budget: 600, space: SearchSpace(level: .bpe), folder: folder + "/k"))
        XCTAssertEqual(kept.options(for: first, seconds: 60).bytePairVocabularySize, 300)

        // A tokenizer file fixes the vocabulary: nothing to search.
        base.tokenizerFile = "tokenizer.json"
        XCTAssertThrowsError(try HyperparameterSearch(settings: .init(base: base, budget: 600, space: space, folder: folder + "/w"))) {
            XCTAssertTrue("\($0)".contains("vocab_size"), "\($0)")
        }
    }
}

extension CLITests {
    /// A bpe search's winner command spells the size its trials learned: the recipe's without a
    /// `vocab_size` key, so running it with `--max-time` alone trains what the search measured.
    func testBytePairSearchWinnerSpellsItsVocabularySize() throws {
        let corpus = write(String(repeating: "the keeper lit the lamp at dusk; wind from the west.\n", count: 80), "bpe-search.txt")
        let space = write(#"{"hidden": [8, 12], "embed": [4], "layers": [1], "seq_len": [8], "batch": [4], "attention": [false]}"#, "bpe-space.json")
        let run = try quill(["search", corpus, "--level", "bpe", "--budget", "5m", "--rung-steps", "2", "--space", space, "--json",
                             "--out", "bs", "--no-baseline"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let command = try XCTUnwrap((object["best"] as? [String: Any])?["command"] as? String)
        XCTAssertTrue(command.contains(" --level bpe --vocab-size 1024 "), command)
    }
}
