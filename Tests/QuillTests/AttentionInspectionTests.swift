import Foundation
import Quill
import QuillKernels
import XCTest

/// The attention weights an inspection reports (`Inspection.attention`, read through
/// `Network.attentionWeights`) against a Double recomputation from the parameters.
final class AttentionInspectionTests: XCTestCase {
    private static let memory = 5

    /// A char model whose head has random gates and LayerNorm (they start constant).
    private func model(attention: Bool) throws -> LoadedModel {
        let vocabulary = try Vocabulary(tokens: ["<unk>", "a", "b", "c", " ", "\n", "\"", "("], specialCount: 1)
        let config = ModelConfig(vocabularySize: vocabulary.count, embeddingSize: 5, hiddenSize: 7, layers: 2,
                                 initialization: .uniform, initializationRange: 0.8,
                                 attention: attention ? ModelConfig.Attention(memory: Self.memory) : nil)
        let network = try Network(config: config)
        var rng = SeededGenerator(seed: 21)
        network.initialize(rng: &rng)
        if attention {
            for name in ["attention.key_gate", "attention.value_gate", "attention.query_norm.weight", "attention.query_norm.bias"] {
                network.parameters.set(name, (0..<config.hiddenSize).map { _ in rng.nextUniform(in: -2, 2) })
            }
        }
        return LoadedModel(model: network.snapshot(), vocabulary: vocabulary, level: .char)
    }

    /// Row i of the head's softmax over positions max(0, i − M) … i of the whole stream, from the
    /// attended layer's outputs `y` (the head reads them unchanged as keys).
    private func naiveWeights(_ reference: ReferenceModel, _ y: [[Double]]) -> [[Int: Double]] {
        let h = reference.config.hiddenSize, w = reference.weights
        let wq = w["attention.query.weight"]!, bq = w["attention.query.bias"]!
        let gamma = w["attention.query_norm.weight"]!, beta = w["attention.query_norm.bias"]!
        let keyGate = w["attention.key_gate"]!.map { 1 / (1 + exp(-$0)) }
        return y.indices.map { i in
            var u = [Double](repeating: 0, count: h)
            for r in 0..<h { u[r] = bq[r]; for c in 0..<h { u[r] += wq[r * h + c] * y[i][c] } }
            let mean = u.reduce(0, +) / Double(h)
            let variance = u.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(h)
            var q = [Double](repeating: 0, count: h)
            for r in 0..<h { q[r] = ((u[r] - mean) / (variance + 1e-5).squareRoot() * gamma[r] + beta[r]) * keyGate[r] }
            var scores: [Int: Double] = [:]
            for j in max(0, i - Self.memory)...i {
                var dot = 0.0
                for r in 0..<h { dot += q[r] * y[j][r] }
                scores[j] = dot / Double(h).squareRoot()
            }
            let top = scores.values.max()!
            let total = scores.values.reduce(0) { $0 + exp($1 - top) }
            return scores.mapValues { exp($0 - top) / total }
        }
    }

    /// Windows of 4 tokens and M = 5: rows past the first window attend to states carried in the
    /// memory. Every weight matches, a row sums to 1, and the top 2 are the naive top 2.
    func testWeightsMatchANaiveRecomputationAcrossWindows() throws {
        let loaded = try model(attention: true)
        let text = "abc (a\"b\") cab\nba c"
        let all = try ModelInspector(loaded: loaded, steps: 4, attentionTopK: 100).inspect(text: text)
        let reference = ReferenceModel(model: Network(model: loaded.model))
        let ids = all.tokens.map(\.id)
        // The head follows layer 0 (L = 2), whose outputs do not depend on it.
        let naive = naiveWeights(reference, reference.trace(ids).outputs[0])
        XCTAssertEqual(all.attention.count, ids.count)
        var worst = 0.0, peak = 0.0
        for (i, row) in all.attention.enumerated() {
            XCTAssertEqual(Set(row.map(\.position)), Set(naive[i].keys), "token \(i) attends itself and the \(Self.memory) before it")
            for link in row { worst = max(worst, abs(Double(link.weight) - (naive[i][link.position] ?? .infinity))) }
            XCTAssertEqual(row.reduce(0.0) { $0 + Double($1.weight) }, 1, accuracy: 1e-5)
            XCTAssertEqual(row.map(\.weight), row.map(\.weight).sorted(by: >))
            peak = max(peak, Double(row[0].weight))
        }
        XCTAssertLessThan(worst, 1e-5)
        XCTAssertGreaterThan(peak, 0.3, "weights far from uniform test the scores, not only the window")

        let two = try ModelInspector(loaded: loaded, steps: 4, attentionTopK: 2).inspect(text: text)
        for (i, row) in two.attention.enumerated() {
            let expected = naive[i].sorted { $0.value > $1.value }.prefix(2).map(\.key)
            XCTAssertEqual(row.map(\.position), expected, "token \(i)")
        }
    }

    func testAModelWithoutAHeadReportsNoAttention() throws {
        let loaded = try model(attention: false)
        XCTAssertTrue(try ModelInspector(loaded: loaded, steps: 4).inspect(text: "abc (a\"b\")").attention.isEmpty)
        XCTAssertNil(Network(model: loaded.model).attentionWeights())
    }
}
