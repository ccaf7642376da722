import Foundation
import Quill
import XCTest

/// Forward logits, loss, final states and every gradient against PyTorch (../shared/fixtures).
final class ParityTests: XCTestCase {
    /// Fixtures committed beside the tests (Tests/Fixtures, written by make_fixtures.py there).
    static let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures").path

    func check(_ name: String, committed: Bool = false) throws {
        let path = committed ? Self.committed + "/" + name : try SharedData.fixture(name)
        let check = try ParityCheck(fixturePath: path)
        let stateTensors = check.config.cell.hasCellState ? 4 : 2 // hT (+ cT), grad.h0 (+ grad.c0)
        let memoryTensors = check.config.attention == nil ? 0 : 2 // memory and its lengths after the window
        XCTAssertEqual(check.comparisons.count, 2 + stateTensors + memoryTensors + check.config.parameterShapes.count)
        for comparison in check.comparisons {
            XCTAssertTrue(comparison.passed, "\(name) \(comparison.name): max |Δ| \(comparison.maxAbsoluteError), \(comparison.worstRatio)× tolerance")
        }
    }

    func testSmallFixture() throws { try check("lstm_parity_small.safetensors") }
    func testMediumFixture() throws { try check("lstm_parity_medium.safetensors") }
    func testZeroStateFixture() throws { try check("lstm_parity_zero_state.safetensors") }
    func testGRUFixture() throws { try check("gru_parity_small.safetensors") }
    func testRNNTanhFixture() throws { try check("rnn_tanh_parity_small.safetensors") }
    func testRNNReluFixture() throws { try check("rnn_relu_parity_small.safetensors") }

    // The adaptive softmax: PyTorch's nn.AdaptiveLogSoftmaxWithLoss as the decoder.
    func testAdaptiveSoftmaxLSTMFixture() throws { try check("lstm_adaptive_parity_two_clusters.safetensors", committed: true) }
    func testAdaptiveSoftmaxGRUFixture() throws { try check("gru_adaptive_parity_one_cluster.safetensors", committed: true) }

    // Shapes the shared fixtures miss; see Tests/Fixtures/make_fixtures.py.
    func testWideHiddenCrossesAKBlockAndSplitsColumns() throws { try check("lstm_parity_wide.safetensors", committed: true) }
    func testBatchOfOneTakesTheGEMVPath() throws { try check("lstm_parity_batch1.safetensors", committed: true) }
    func testTallBatchCrossesKBlocksInTheGradients() throws { try check("gru_parity_tall.safetensors", committed: true) }
    func testReluRNNBatchOfOne() throws { try check("rnn_relu_parity_batch1.safetensors", committed: true) }
    /// Attention with a carried state and a memory longer than the window (rows of 10, 4 and 0 states).
    func testAttentionWithCarriedMemory() throws { try check("lstm_attention_parity_memory.safetensors", committed: true) }
    /// Attention after a one-layer GRU with a memory shorter than the window.
    func testAttentionShortMemoryOneLayer() throws { try check("gru_attention_parity_short.safetensors", committed: true) }

    /// The memory comparison notices a carried memory that differs from PyTorch's in one state.
    func testAttentionMemoryIsCompared() throws {
        var file = try SafeTensors(contentsOf: Self.committed + "/lstm_attention_parity_memory.safetensors")
        var memory = file["memory"]!.floats()!
        let shape = file["memory"]!.shape // [M, B, H]; row 0 holds M states
        memory[(shape[0] - 1) * shape[1] * shape[2]] += 0.25 // row 0's newest state
        file.set("memory", SafeTensors.Tensor(shape: file["memory"]!.shape, floats: memory))
        XCTAssertFalse(try ParityCheck(fixture: file, path: "changed memory").passed)
    }

    /// Dropout with PyTorch's masks: forward and backward through every dropout site match, and
    /// the check notices a single mask element that differs.
    func testDropoutWithFixedMasks() throws {
        try check("lstm_parity_dropout.safetensors", committed: true)
        var file = try SafeTensors(contentsOf: Self.committed + "/lstm_parity_dropout.safetensors")
        var mask = file["dropout.mask1"]!.floats()!
        let flip = mask.firstIndex(of: 0)!
        mask[flip] = mask.max()!
        file.set("dropout.mask1", SafeTensors.Tensor(shape: file["dropout.mask1"]!.shape, floats: mask))
        XCTAssertFalse(try ParityCheck(fixture: file, path: "flipped mask").passed)
    }

    /// The cell comes from the fixture's metadata; a mismatching cell is refused by shape.
    func testCellIsReadFromMetadataAndShapesAreChecked() throws {
        let gru = try SafeTensors(contentsOf: try SharedData.fixture("gru_parity_small.safetensors"))
        XCTAssertEqual(try LanguageModel.inferConfig(from: gru, path: "gru").cell, .gru)
        let relu = try SafeTensors(contentsOf: try SharedData.fixture("rnn_relu_parity_small.safetensors"))
        XCTAssertEqual(try LanguageModel.inferConfig(from: relu, path: "relu").cell, .rnnRelu)
        XCTAssertThrowsError(try LanguageModel.inferConfig(from: gru, path: "gru", cell: .lstm)) {
            XCTAssertTrue("\($0)".contains("fits a gru cell"), "\($0)")
        }
        var config = try LanguageModel.inferConfig(from: gru, path: "gru")
        config.cell = .lstm
        XCTAssertThrowsError(try LanguageModel(config: config, tensors: gru, path: "gru")) {
            XCTAssertTrue("\($0)".contains("rnn.weight_ih_l0") && "\($0)".contains("[27, 6]") && "\($0)".contains("[36, 6]"), "\($0)")
        }
    }

    /// The check must fail when the model is wrong: perturb one weight and see it caught.
    func testDetectsAWrongWeight() throws {
        var file = try SafeTensors(contentsOf: try SharedData.fixture("lstm_parity_small.safetensors"))
        var weights = file["rnn.weight_hh_l1"]!.floats()!
        weights[3] += 0.01
        file.set("rnn.weight_hh_l1", SafeTensors.Tensor(shape: file["rnn.weight_hh_l1"]!.shape, floats: weights))
        let check = try ParityCheck(fixture: file, path: "perturbed")
        XCTAssertFalse(check.passed)
        XCTAssertFalse(check.comparisons.first { $0.name == "expected.hT" }!.passed)
    }
}
