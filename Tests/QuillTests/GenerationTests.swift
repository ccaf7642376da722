import Foundation
import Quill
import QuillKernels
import XCTest

final class GenerationTests: XCTestCase {
    func loadedModel(level: TokenLevel = .char, text: String = "abc cab bca\nabc\n") throws -> LoadedModel {
        let tokenizer = level.tokenizer
        let vocabulary = try Vocabulary(counts: tokenizer.count(Array(text.utf8)),
                                        specials: Vocabulary.extraSpecials(level: level, sequenceMode: false))
        let model = try Network(config: ModelConfig(vocabularySize: vocabulary.count, embeddingSize: 8, hiddenSize: 16, layers: 2))
        var rng = SeededGenerator(seed: 21)
        model.initialize(rng: &rng)
        for i in 0..<model.parameters.count { model.parameters.values[i] *= 8 } // a peaky, varied distribution
        return LoadedModel(model: model.snapshot(), vocabulary: vocabulary, level: level)
    }

    /// `loaded` with one decoder bias changed (a new model: the weights of `loaded` never change).
    func withDecoderBias(_ loaded: LoadedModel, token: Int, _ value: Float) -> LoadedModel {
        let network = Network(training: loaded.model)
        network.parameters.pointer("decoder.bias")[token] = value
        return LoadedModel(model: network.snapshot(), vocabulary: loaded.vocabulary, level: loaded.level, mode: loaded.mode)
    }

    func testStreamedPiecesEqualTheFinalTextAndSeedsReproduce() throws {
        let generator = Generator(loaded: try loadedModel(), sampler: try Sampler(temperature: 1))
        let prompt = try generator.encodePrompt("ab", policy: .refuse).ids
        var streamed = ["", "", ""]
        let first = try generator.generate(prompt: prompt, samples: 3, length: 60, seed: 4) { streamed[$0] += $1 }
        XCTAssertEqual(first.map(\.text), streamed)
        XCTAssertTrue(first.allSatisfy { $0.tokens == 60 && $0.stopReason == .length })
        let again = try generator.generate(prompt: prompt, samples: 3, length: 60, seed: 4)
        XCTAssertEqual(first.map(\.text), again.map(\.text))
        XCTAssertNotEqual(first[0].text, first[1].text, "samples use independent generators")
        let otherSeed = try generator.generate(prompt: prompt, samples: 1, length: 60, seed: 5)
        XCTAssertNotEqual(first[0].text, otherSeed[0].text)
    }

    func testStopStringEndsTheSampleAndIsLeftOut() throws {
        let generator = Generator(loaded: try loadedModel(), sampler: try Sampler(temperature: 1))
        let free = try generator.generate(prompt: [], length: 200, seed: 8)[0].text
        // Pick a two-character string that occurs in the free run, after the start.
        let chars = Array(free)
        let stop = String(chars[10...11])
        var streamed = ""
        let sample = try generator.generate(prompt: [], length: 200, seed: 8, stop: stop) { streamed += $1 }[0]
        XCTAssertEqual(sample.stopReason, .stopString)
        XCTAssertEqual(sample.text, streamed)
        XCTAssertFalse(sample.text.contains(stop))
        XCTAssertTrue(free.hasPrefix(sample.text + stop))
    }

    func testGreedyIsArgmaxAndEOSStops() throws {
        var loaded = try loadedModel(level: .word, text: "a b c\nb c a\n")
        let generator = Generator(loaded: loaded, sampler: try Sampler(temperature: 0))
        let one = try generator.generate(prompt: [], length: 30, seed: 1)[0].text
        let two = try generator.generate(prompt: [], length: 30, seed: 99)[0].text
        XCTAssertEqual(one, two, "greedy ignores the seed")
        // A decoder bias that makes <eos> nearly certain: the sample must stop on it, early.
        loaded = withDecoderBias(loaded, token: loaded.vocabulary.eosID!, 8)
        let stopped = try Generator(loaded: loaded, sampler: try Sampler(temperature: 1))
            .generate(prompt: [], length: 500, seed: 2, stopAtEOS: true)[0]
        XCTAssertEqual(stopped.stopReason, .endOfSequence)
        XCTAssertLessThan(stopped.tokens, 20)
        XCTAssertFalse(stopped.text.contains("\n"))
        let free = try Generator(loaded: loaded, sampler: try Sampler(temperature: 1))
            .generate(prompt: [], length: 60, seed: 2)[0]
        XCTAssertEqual(free.tokens, 60, "without stopAtEOS the sample runs to its length")
        XCTAssertTrue(free.text.contains("\n"))
    }

    /// A character model has no <eos>: --stop-at-eos ends the sample at the end of a line, which
    /// is left out of the text, as <eos> is at word level.
    func testCharacterModelStopsAtTheEndOfALine() throws {
        var loaded = try loadedModel()
        XCTAssertNil(loaded.vocabulary.eosID)
        loaded = withDecoderBias(loaded, token: loaded.vocabulary.id(for: "\n")!, 60)
        let sample = try Generator(loaded: loaded, sampler: try Sampler(temperature: 1))
            .generate(prompt: [], length: 200, seed: 4, stopAtEOS: true)[0]
        XCTAssertEqual(sample.stopReason, .endOfSequence)
        XCTAssertLessThan(sample.tokens, 200)
        XCTAssertFalse(sample.text.contains("\n"))
    }

    func testUnknownPromptCharacters() throws {
        let generator = Generator(loaded: try loadedModel(), sampler: try Sampler())
        XCTAssertThrowsError(try generator.encodePrompt("abz€", policy: .refuse)) { error in
            XCTAssertTrue("\(error)".contains("'z'") && "\(error)".contains("U+20AC"), "\(error)")
        }
        XCTAssertEqual(try generator.encodePrompt("abz", policy: .skip).ids.count, 2)
        let unk = try generator.encodePrompt("abz", policy: .unk)
        XCTAssertEqual(unk.ids.last, generator.loaded.vocabulary.unknownID)
        let words = Generator(loaded: try loadedModel(level: .word), sampler: try Sampler())
        let (ids, unknown) = try words.encodePrompt("abc zebra", policy: .refuse)
        XCTAssertEqual(unknown, ["zebra"])
        XCTAssertEqual(ids.last, words.loaded.vocabulary.unknownID)
    }
}

final class LineModelGenerationTests: XCTestCase {
    func testRowResetZeroesOnlyThatRow() {
        var state = RecurrentState(layers: 2, batchSize: 3, hiddenSize: 2, hidden: (0..<12).map(Float.init),
                                   cell: (0..<12).map { Float($0) + 100 })
        state.resetRow(1)
        XCTAssertEqual(state.hidden, [0, 1, 0, 0, 4, 5, 6, 7, 0, 0, 10, 11])
        XCTAssertEqual(state.cell, [100, 101, 0, 0, 104, 105, 106, 107, 0, 0, 110, 111])
        var gru = RecurrentState(layers: 1, batchSize: 2, hiddenSize: 2, hasCellState: false)
        gru.hidden = [1, 2, 3, 4]
        gru.resetRow(0)
        gru.reset()
        XCTAssertEqual(gru.hidden, [0, 0, 0, 0])
    }

    /// After <eos>, a line model starts its next line from <bos> and goes on to the full length.
    func testLineModelKeepsGeneratingAfterEOS() throws {
        let text = "a b\nb a\n"
        let tokenizer = WordTokenizer()
        let vocabulary = try Vocabulary(counts: tokenizer.count(Array(text.utf8)), specials: Vocabulary.extraSpecials(level: .word, sequenceMode: true))
        let model = try Network(config: ModelConfig(vocabularySize: vocabulary.count, embeddingSize: 4, hiddenSize: 8, layers: 1))
        var rng = SeededGenerator(seed: 5)
        model.initialize(rng: &rng)
        // Make <eos> likely so several lines are produced.
        let bias = model.parameters.pointer("decoder.bias")
        bias[vocabulary.eosID!] = 3
        let loaded = LoadedModel(model: model.snapshot(), vocabulary: vocabulary, level: .word, mode: .lines)
        let sample = try Generator(loaded: loaded, sampler: try Sampler(temperature: 1)).generate(prompt: [], length: 60, seed: 3)[0]
        XCTAssertEqual(sample.tokens, 60)
        XCTAssertGreaterThan(sample.text.filter { $0 == "\n" }.count, 3)
        XCTAssertFalse(sample.text.contains("<bos>") || sample.text.contains("<pad>"))
    }
}
