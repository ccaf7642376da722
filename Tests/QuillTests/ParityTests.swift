import Quill
import XCTest

/// Forward logits, loss, final states and every gradient against PyTorch (../shared/fixtures).
final class ParityTests: XCTestCase {
    func check(_ name: String) throws {
        let check = try ParityCheck(fixturePath: try SharedData.fixture(name))
        XCTAssertEqual(check.comparisons.count, 4 + check.config.parameterShapes.count + 2)
        for comparison in check.comparisons {
            XCTAssertTrue(comparison.passed, "\(name) \(comparison.name): max |Δ| \(comparison.maxAbsoluteError), \(comparison.worstRatio)× tolerance")
        }
    }

    func testSmallFixture() throws { try check("lstm_parity_small.safetensors") }
    func testMediumFixture() throws { try check("lstm_parity_medium.safetensors") }
    func testZeroStateFixture() throws { try check("lstm_parity_zero_state.safetensors") }

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
