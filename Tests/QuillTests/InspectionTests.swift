import Foundation
import Quill
import QuillKernels
import XCTest

final class InspectionTests: XCTestCase {
    private func characters(_ s: String) -> [String] { s.unicodeScalars.map(String.init) }

    func testCharacterFeaturesOnHandMadeText() {
        let text = characters("a \"Bc\" (d[e])\nXy")
        XCTAssertEqual(TextFeature.insideQuotes.values(of: text, level: .char),
                       [0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(TextFeature.positionInLine.values(of: text, level: .char),
                       [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0, 1, 2])
        XCTAssertEqual(TextFeature.bracketDepth.values(of: text, level: .char),
                       [0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 1, 0, 0, 0, 0])
        XCTAssertEqual(TextFeature.startOfWord.values(of: text, level: .char),
                       [1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0])
        XCTAssertEqual(TextFeature.upperCase.values(of: text, level: .char),
                       [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0])
        // A closing bracket with none open does not go below zero.
        XCTAssertEqual(TextFeature.bracketDepth.values(of: characters("))("), level: .char), [0, 0, 1])
    }

    func testWordFeaturesOnHandMadeText() {
        let words = ["The", "cat", "sat.", "\"Yes", "(it", "did)\"", "\n", "no"]
        XCTAssertEqual(TextFeature.insideQuotes.values(of: words, level: .word), [0, 0, 0, 1, 1, 1, 0, 0])
        XCTAssertEqual(TextFeature.positionInLine.values(of: words, level: .word), [1, 2, 3, 4, 5, 6, 0, 1])
        XCTAssertEqual(TextFeature.bracketDepth.values(of: words, level: .word), [0, 0, 0, 0, 1, 0, 0, 0])
        XCTAssertEqual(TextFeature.upperCase.values(of: words, level: .word), [1, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(TextFeature.positionInSentence.values(of: words, level: .word), [0, 1, 2, 0, 1, 2, 3, 0])
        XCTAssertFalse(TextFeature.features(for: .word).contains(.startOfWord))
        XCTAssertFalse(TextFeature.features(for: .char).contains(.positionInSentence))
    }

    func testPlantedCellRanksFirstWithCorrelationOne() throws {
        let feature = TextFeature.bracketDepth.values(of: characters("f(a(b)c) + g[h] {x(y)}"), level: .char)
        let n = feature.count, h = 6
        var rng = SeededGenerator(seed: 3)
        var layer0 = (0..<(n * h)).map { _ in rng.nextUniform(in: -1, 1) }
        var layer1 = (0..<(n * h)).map { _ in rng.nextUniform(in: -1, 1) }
        // Layer 1, unit 4 is the feature scaled and shifted; layer 0, unit 2 its negation plus noise.
        for r in 0..<n {
            layer1[r * h + 4] = Float(2 * feature[r] - 3)
            let noise: Float = 0.3 * layer0[r * h + 2]
            layer0[r * h + 2] = Float(-feature[r]) + noise
        }
        let ranked = CellRanking.rank(feature: feature, activations: [(.output, [layer0, layer1])], units: h, top: 3)
        XCTAssertEqual(ranked.count, 3)
        XCTAssertEqual(ranked[0].layer, 1)
        XCTAssertEqual(ranked[0].unit, 4)
        XCTAssertEqual(ranked[0].correlation, 1, accuracy: 1e-9)
        XCTAssertEqual(ranked[1].layer, 0)
        XCTAssertEqual(ranked[1].unit, 2)
        XCTAssertLessThan(ranked[1].correlation, -0.8)
        // Against a naive two-pass Pearson of one unranked unit.
        let column = (0..<n).map { Double(layer0[$0 * h + 5]) }
        let mx = feature.reduce(0, +) / Double(n), my = column.reduce(0, +) / Double(n)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (x, y) in zip(feature, column) {
            sxy += (x - mx) * (y - my)
            sxx += (x - mx) * (x - mx)
            syy += (y - my) * (y - my)
        }
        let r = try XCTUnwrap(CellRanking.correlations(feature: feature, activations: layer0, units: h))[5]
        XCTAssertEqual(r, sxy / (sxx * syy).squareRoot(), accuracy: 1e-12)
        // A feature the text never varies tracks nothing.
        XCTAssertTrue(CellRanking.rank(feature: [Double](repeating: 2, count: n), activations: [(.output, [layer0])], units: h, top: 3).isEmpty)
    }

    private func tinyModel(cell: ModelConfig.Cell, level: TokenLevel = .char) throws -> LoadedModel {
        let tokens = level == .char ? ["<unk>", "a", "b", "c", " ", "\n", "\"", "("] : ["<unk>", "<eos>", "the", "cat", "sat", "on", "mat."]
        let vocabulary = try Vocabulary(tokens: tokens, specialCount: level == .char ? 1 : 2)
        let config = ModelConfig(vocabularySize: vocabulary.count, embeddingSize: 5, hiddenSize: 7, layers: 2, cell: cell,
                                 initialization: .uniform, initializationRange: 0.6)
        return LoadedModel(model: try LanguageModel(config: config, seed: 11), vocabulary: vocabulary, level: level)
    }

    func testSpansCarryTheTokenizersIDs() throws {
        for (level, text) in [(TokenLevel.char, "ab\"c(é)\nba"), (.word, "the cat  sat\non mat. dog\n\nthe"), (.word, "the cat\n")] {
            let loaded = try tinyModel(cell: .lstm, level: level)
            let spans = TokenSpan.spans(of: text, level: level, vocabulary: loaded.vocabulary)
            let encoded = level.tokenizer.encode(Array(text.utf8), vocabulary: loaded.vocabulary)
            XCTAssertEqual(spans.map(\.id), Array(encoded.ids), "\(level)")
            let utf16 = Array(text.utf16)
            for span in spans where span.utf16Length > 0 {
                XCTAssertEqual(String(decoding: utf16[span.utf16Offset..<(span.utf16Offset + span.utf16Length)], as: UTF16.self), span.text)
            }
        }
    }

    func testActivationsAndPredictionsMatchANaiveRecomputation() throws {
        let text = "abc (a\"b\") cab\nba c"
        for cell in [ModelConfig.Cell.lstm, .gru] {
            let loaded = try tinyModel(cell: cell)
            // Windows of 4 steps: the state must be carried across them.
            let inspection = try ModelInspector(loaded: loaded, topK: 3, steps: 4, keepsGates: true).inspect(text: text)
            let ids = inspection.tokens.map(\.id)
            let reference = ReferenceModel(model: Network(model: loaded.model)).trace(ids)
            let h = 7, width = cell.gateCount * h
            var worst = 0.0
            for k in 0..<2 {
                for step in ids.indices {
                    for j in 0..<h {
                        worst = max(worst, abs(Double(inspection.outputs[k][step * h + j]) - reference.outputs[k][step][j]))
                        if cell == .lstm { worst = max(worst, abs(Double(inspection.cellStates[k][step * h + j]) - reference.cells[k][step][j])) }
                    }
                    for j in 0..<width { worst = max(worst, abs(Double(inspection.gates[k][step * width + j]) - reference.gates[k][step][j])) }
                }
            }
            XCTAssertLessThan(worst, 1e-5, "\(cell)")
            XCTAssertEqual(inspection.cellStates.isEmpty, cell != .lstm)
            XCTAssertNil(inspection.surprisal[0])
            for i in 1..<ids.count {
                let logP = reference.logProbabilities[i - 1]
                XCTAssertEqual(inspection.surprisal[i]!, -logP[ids[i]] / log(2), accuracy: 1e-4)
                XCTAssertEqual(inspection.trueRank[i], 1 + logP.filter { $0 > logP[ids[i]] }.count)
                let order = logP.indices.sorted { logP[$0] > logP[$1] }
                XCTAssertEqual(inspection.guesses[i].map(\.id), Array(order.prefix(3)))
                XCTAssertEqual(inspection.guesses[i][0].probability, exp(logP[order[0]]), accuracy: 1e-5)
            }
            // Saturation: the share of steps each unit's forget (LSTM) or update (GRU) gate is past 0.9.
            let block = 1, n = Double(ids.count)
            for k in 0..<2 {
                for j in 0..<h {
                    let right = Double(reference.gates[k].filter { $0[block * h + j] > 0.9 }.count) / n
                    XCTAssertEqual(inspection.saturation[k].right[1][j], right, accuracy: 1e-12)
                }
            }
        }
    }

    func testSurprisalsSumToThePerplexityEvaluatorsCrossEntropy() throws {
        let loaded = try tinyModel(cell: .lstm)
        let text = String(repeating: "a cab (\"b\") ca\nbc ", count: 12)
        let inspection = try ModelInspector(loaded: loaded, steps: 16).inspect(text: text)
        let evaluated = try PerplexityEvaluator(loaded: loaded, batchSize: 1, steps: 9).evaluate(text: text)
        XCTAssertEqual(inspection.scoredTokens, evaluated.tokens)
        XCTAssertEqual(inspection.totalBits * log(2), evaluated.crossEntropy * Double(evaluated.tokens),
                       accuracy: 1e-4 * Double(evaluated.tokens))
        XCTAssertEqual(inspection.bitsPerToken, evaluated.bitsPerToken, accuracy: 1e-5)
    }

    func testBadInputIsRefused() throws {
        let loaded = try tinyModel(cell: .rnnTanh)
        XCTAssertThrowsError(try ModelInspector(loaded: loaded, topK: 0))
        XCTAssertThrowsError(try ModelInspector(loaded: loaded).inspect(text: "a"))
        XCTAssertThrowsError(try ModelInspector(loaded: loaded).inspect(text: "xyz"))
        let inspection = try ModelInspector(loaded: loaded).inspect(text: "abc a")
        XCTAssertTrue(inspection.saturation.isEmpty)
        XCTAssertTrue(inspection.cellStates.isEmpty)
    }

    /// bpe spans: the tokens' bytes rebuild the text, and each character lies in the span of the
    /// token holding its first byte, even where a token ends inside a character.
    func testBytePairSpansCoverTheTextAndGiveEachCharacterToItsFirstByte() throws {
        let text = String(repeating: "é€😀 abc 😀😀 ab\n", count: 6) + "ü😀"
        let merges = BytePairLearner.learn(Array(text.utf8), newTokens: 25)
        let vocabulary = try Vocabulary(merges: merges, specials: ["<pad>"])
        let spans = TokenSpan.spans(of: text, level: .bpe, vocabulary: vocabulary)
        XCTAssertEqual(spans.flatMap { vocabulary.bytes(ofToken: $0.id) }, Array(text.utf8))
        XCTAssertTrue(spans.contains { !$0.text.unicodeScalars.allSatisfy { $0 != "\u{FFFD}" } }, "some token splits a character")
        var offset = 0, byte = 0
        var owner: [Int] = [] // for each byte, the span that holds it
        for (index, span) in spans.enumerated() {
            XCTAssertEqual(span.utf16Offset, offset, "spans follow one another")
            offset += span.utf16Length
            owner += Array(repeating: index, count: vocabulary.bytes(ofToken: span.id).count)
        }
        XCTAssertEqual(offset, text.utf16.count)
        var utf16 = 0
        for scalar in text.unicodeScalars {
            let span = spans[owner[byte]]
            XCTAssertTrue(span.utf16Offset <= utf16 && utf16 < span.utf16Offset + span.utf16Length, "\(scalar) at \(utf16)")
            byte += scalar.utf8.count
            utf16 += scalar.utf16.count
        }
    }
}
