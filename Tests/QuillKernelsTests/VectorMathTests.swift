import Foundation
import QuillKernels
import XCTest

final class VectorMathTests: XCTestCase {
    let samples: [Float] = stride(from: -30.0, through: 30.0, by: 0.0137).map { Float($0) }
        + [0, 1e-7, -1e-7, 1e-3, -0.624, 0.626, 88, -87, 100, -100]

    func testExpMatchesLibm() {
        for x in samples where x < 88 {
            let expected = Foundation.exp(Double(x))
            let got = Double(VectorMath.exp(x))
            XCTAssertLessThanOrEqual(abs(got - expected), 3e-7 * expected + 1e-37, "exp(\(x))")
        }
    }

    func testTanhAndSigmoidMatchLibm() {
        for x in samples {
            let t = Foundation.tanh(Double(x)), s = 1 / (1 + Foundation.exp(-Double(x)))
            XCTAssertLessThanOrEqual(abs(Double(VectorMath.tanh(x)) - t), 3e-7 * abs(t) + 1e-12, "tanh(\(x))")
            XCTAssertLessThanOrEqual(abs(Double(VectorMath.sigmoid(x)) - s), 3e-7 * s + 1e-30, "σ(\(x))")
        }
    }

    func testApplyHandlesTails() {
        var values: [Float] = (0..<13).map { Float($0) * 0.1 - 0.6 }
        values.withUnsafeMutableBufferPointer { VectorMath.apply($0.baseAddress!, count: 13, VectorMath.tanh) }
        for (j, v) in values.enumerated() {
            XCTAssertEqual(Double(v), Foundation.tanh(Double(j) * 0.1 - 0.6), accuracy: 1e-6)
        }
    }
}
