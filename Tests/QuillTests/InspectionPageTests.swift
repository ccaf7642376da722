import Foundation
import Quill
import QuillServer
import XCTest

/// The data object of an inspection page: what the renderer reads must decode to the inspection.
final class InspectionPageTests: XCTestCase {
    func testDataDecodesToTheInspection() throws {
        let vocabulary = try Vocabulary(tokens: ["<unk>", "a", "b", "c", " ", "\n", "\"", "(", ")", "<"], specialCount: 1)
        let config = ModelConfig(vocabularySize: vocabulary.count, embeddingSize: 6, hiddenSize: 9, layers: 2,
                                 initialization: .uniform, initializationRange: 0.5)
        let loaded = LoadedModel(model: try LanguageModel(config: config, seed: 5), vocabulary: vocabulary, level: .char)
        let text = "ab (c\"a b\") </script> é\nba (a (b)) c\"c\"\n"
        let inspection = try ModelInspector(loaded: loaded, topK: 4).inspect(text: text)
        let page = InspectionPage(inspection: inspection, cellsPerFeature: 3, title: "t")
        let json = try page.dataJSON()
        XCTAssertFalse(json.contains("<"), "every < is escaped, so the text cannot close the script element")
        let data = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(data["text"] as? String, text)

        let ids = try XCTUnwrap(data["ids"] as? [Int]), vocab = try XCTUnwrap(data["vocab"] as? [String])
        let spans = try XCTUnwrap(data["spans"] as? [Int]), utf16 = Array(text.utf16)
        XCTAssertEqual(ids.count, inspection.tokens.count)
        for (i, token) in inspection.tokens.enumerated() {
            XCTAssertEqual(vocab[ids[i]], vocabulary.tokens[token.id])
            let piece = String(decoding: utf16[spans[2 * i]..<(spans[2 * i] + spans[2 * i + 1])], as: UTF16.self)
            XCTAssertEqual(piece, token.text)
        }
        let surprisal = try XCTUnwrap(data["surprisal"] as? [Any])
        XCTAssertTrue(surprisal[0] is NSNull)
        let guesses = try XCTUnwrap(data["guesses"] as? [[Int]])
        for i in 1..<ids.count {
            XCTAssertEqual(Double(try XCTUnwrap(surprisal[i] as? Int)) / 100, inspection.surprisal[i]!, accuracy: 0.005)
            XCTAssertEqual(guesses[i].count, 8)
            XCTAssertEqual(vocab[guesses[i][0]], vocabulary.tokens[inspection.guesses[i][0].id])
            XCTAssertEqual(Double(guesses[i][1]) / 10_000, inspection.guesses[i][0].probability, accuracy: 0.00005)
        }

        // Each listed cell's int8 codes times its scale give back its activations to half a step.
        let cells = try XCTUnwrap(data["cells"] as? [[String: Any]])
        let features = try XCTUnwrap(data["features"] as? [[String: Any]])
        let ranking = inspection.ranking(top: 3)
        XCTAssertEqual(features.count, ranking.count)
        for (feature, ranked) in zip(features, ranking) {
            XCTAssertEqual(feature["name"] as? String, ranked.feature.rawValue)
            let listed = try XCTUnwrap(feature["cells"] as? [[String: Any]])
            XCTAssertEqual(listed.count, ranked.cells.count)
            for (entry, expected) in zip(listed, ranked.cells) {
                XCTAssertEqual(Double(try XCTUnwrap(entry["r"] as? Int)) / 1000, expected.correlation, accuracy: 0.0005)
                let cell = cells[try XCTUnwrap(entry["cell"] as? Int)]
                XCTAssertEqual(cell["layer"] as? Int, expected.layer)
                XCTAssertEqual(cell["unit"] as? Int, expected.unit)
                for signal in [ActivationSignal.cellState, .output] {
                    let stored = try XCTUnwrap(cell[signal.rawValue] as? [String: Any])
                    let scale = try XCTUnwrap(stored["scale"] as? Double)
                    let codes = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(stored["q"] as? String)))
                    let values = inspection.activations(layer: expected.layer, unit: expected.unit, signal: signal)
                    XCTAssertEqual(codes.count, values.count)
                    let largest = values.map { abs(Double($0)) }.max()!
                    XCTAssertEqual(scale * 127, largest, accuracy: largest * 1e-6)
                    for (code, value) in zip(codes, values) {
                        XCTAssertEqual(Double(Int8(bitPattern: code)) * scale, Double(value), accuracy: scale / 2 + 1e-7)
                    }
                }
            }
        }
        let saturation = try XCTUnwrap(data["saturation"] as? [[String: Any]])
        XCTAssertEqual(saturation.count, 2)
        XCTAssertEqual(saturation[0]["gates"] as? [String], ["input", "forget", "output"])
        XCTAssertTrue(data["attention"] is NSNull)
    }

    /// With an attention head, `attention` holds M, the layer and per token its links as (tokens
    /// back, weight in thousandths), which decode to the inspection's.
    func testAttentionLinksDecodeToTheInspection() throws {
        let vocabulary = try Vocabulary(tokens: ["<unk>", "a", "b", "c", " ", "\n"], specialCount: 1)
        let config = ModelConfig(vocabularySize: vocabulary.count, embeddingSize: 6, hiddenSize: 9, layers: 1,
                                 initialization: .uniform, initializationRange: 0.5, attention: ModelConfig.Attention(memory: 6))
        let loaded = LoadedModel(model: try LanguageModel(config: config, seed: 5), vocabulary: vocabulary, level: .char)
        let inspection = try ModelInspector(loaded: loaded, steps: 5, attentionTopK: 3).inspect(text: "abc ba\ncab cc a b\n")
        let json = try InspectionPage(inspection: inspection, title: "t").dataJSON()
        let data = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let attention = try XCTUnwrap(data["attention"] as? [String: Any])
        XCTAssertEqual(attention["memory"] as? Int, 6)
        XCTAssertEqual(attention["layer"] as? Int, 0)
        let links = try XCTUnwrap(attention["links"] as? [[Int]])
        XCTAssertEqual(links.count, inspection.tokens.count)
        for (i, row) in inspection.attention.enumerated() {
            let kept = row.filter { ($0.weight * 1000).rounded() > 0 }
            XCTAssertEqual(links[i].count, 2 * kept.count)
            XCTAssertGreaterThan(kept.count, 0)
            for (k, link) in kept.enumerated() {
                XCTAssertEqual(i - links[i][2 * k], link.position)
                XCTAssertEqual(Double(links[i][2 * k + 1]) / 1000, Double(link.weight), accuracy: 0.0005)
            }
        }
    }
}
