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

    /// Lanes on both sides of every select (the clamp of exp, tanh's small/large split and its sign)
    /// sit in one vector: each must get the bits it gets alone, and the ends stay finite or signed.
    func testMixedLanesMatchTheirScalarResults() {
        let lanes: [[Float]] = [
            [-0.624, 0.626, -0.7, 0.5, -100, 100, 88.3, -87.3],
            [.infinity, -.infinity, .nan, -0.0, 0, 0.625, -0.625, 1e-30],
            [-88, 89, 20, -20, 3, -3, 0.62, -0.63],
        ]
        for values in lanes {
            let v = VectorMath.Vector(values)
            let (e, t, s) = (VectorMath.exp(v), VectorMath.tanh(v), VectorMath.sigmoid(v))
            for (l, x) in values.enumerated() {
                XCTAssertEqual(e[l].bitPattern, VectorMath.exp(x).bitPattern, "exp lane \(l) (\(x))")
                XCTAssertEqual(t[l].bitPattern, VectorMath.tanh(x).bitPattern, "tanh lane \(l) (\(x))")
                XCTAssertEqual(s[l].bitPattern, VectorMath.sigmoid(x).bitPattern, "σ lane \(l) (\(x))")
                if x.isNaN {
                    XCTAssertTrue(e[l].isNaN && t[l].isNaN && s[l].isNaN, "NaN passes through")
                } else {
                    XCTAssertTrue(e[l].isFinite && e[l] > 0, "exp(\(x)) = \(e[l])")
                    // (Zero is left out: the odd polynomial gives +0 for -0.)
                    if x != 0 { XCTAssertEqual(t[l].sign, x.sign, "tanh(\(x)) keeps the sign") }
                    XCTAssertLessThanOrEqual(abs(t[l]), 1)
                }
            }
        }
        XCTAssertEqual(VectorMath.tanh(Float.infinity), 1)
        XCTAssertEqual(VectorMath.tanh(-Float.infinity), -1)
    }

    /// The gate kernel, compiled in QuillKernels (unchecked in a release build), gives every lane
    /// the bits of the functions as they were written with `replacing(with:where:)` before their
    /// selects became lane loops: gates from bit patterns spread over the whole float range, with
    /// ±∞, NaN, ±0 and the select boundaries among them.
    func testGateKernelKeepsTheBitsOfTheMaskedSelects() {
        let h = 8_192
        var gates: [Float] = [.infinity, -.infinity, .nan, 0, -0.0, 0.625, -0.625, 88.3, -87.3, 88.4, -87.4, 1e-30]
        let step = UInt32.max / UInt32(4 * h)
        var bits: UInt32 = 7
        while gates.count < 4 * h { gates.append(Float(bitPattern: bits)); bits &+= step }
        var rng = SeededGenerator(seed: 5)
        let cellIn = (0..<h).map { _ in Float.random(in: -3...3, using: &rng) }
        var activated = gates, cellOut = [Float](repeating: 0, count: h), hiddenOut = cellOut
        activated.withUnsafeMutableBufferPointer { g in
            LSTMKernels.forward(units: 0..<h, hidden: h, gates: g.baseAddress!, cellIn: cellIn, cellOut: &cellOut, hiddenOut: &hiddenOut)
        }
        func same(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }
        var mismatches = 0
        for j in stride(from: 0, to: h, by: 8) {
            func lanes(_ offset: Int) -> MaskedSelects.Vector { .init(gates[(offset + j)..<(offset + j + 8)]) }
            let i = MaskedSelects.sigmoid(lanes(0)), f = MaskedSelects.sigmoid(lanes(h))
            let g = MaskedSelects.tanh(lanes(2 * h)), o = MaskedSelects.sigmoid(lanes(3 * h))
            let c = f * MaskedSelects.Vector(cellIn[j..<(j + 8)]) + i * g, hidden = MaskedSelects.tanh(c) * o
            for l in 0..<8 {
                let expected = [i[l], f[l], g[l], o[l], c[l], hidden[l]]
                let got = [activated[j + l], activated[h + j + l], activated[2 * h + j + l], activated[3 * h + j + l], cellOut[j + l], hiddenOut[j + l]]
                for (e, x) in zip(expected, got) where !same(e, x) {
                    mismatches += 1
                    if mismatches <= 5 { XCTFail("unit \(j + l): expected \(e), got \(x)") }
                }
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testApplyHandlesTails() {
        var values: [Float] = (0..<13).map { Float($0) * 0.1 - 0.6 }
        values.withUnsafeMutableBufferPointer { VectorMath.apply($0.baseAddress!, count: 13, VectorMath.tanh) }
        for (j, v) in values.enumerated() {
            XCTAssertEqual(Double(v), Foundation.tanh(Double(j) * 0.1 - 0.6), accuracy: 1e-6)
        }
    }
}

/// `VectorMath`'s exp, sigmoid and tanh as they were before their selects became lane loops
/// (2026-12-07): the reference for the bits the kernels must keep.
private enum MaskedSelects {
    typealias Vector = SIMD8<Float>

    static func exp(_ x: Vector) -> Vector {
        let low = Vector(repeating: -87.3), high = Vector(repeating: 88.3)
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        let n = (clamped * 1.442_695_04).rounded(.toNearestOrEven)
        var r = clamped.addingProduct(n, Vector(repeating: -0.693_359_375))
        r = r.addingProduct(n, Vector(repeating: 2.121_944_4e-4))
        let r2 = r * r
        var p = Vector(repeating: 1.987_569_15e-4)
        p = Vector(repeating: 1.398_199_95e-3).addingProduct(p, r)
        p = Vector(repeating: 8.333_451_9e-3).addingProduct(p, r)
        p = Vector(repeating: 4.166_579_59e-2).addingProduct(p, r)
        p = Vector(repeating: 1.666_666_55e-1).addingProduct(p, r)
        p = Vector(repeating: 5.000_000_12e-1).addingProduct(p, r)
        let poly = r.addingProduct(p, r2) + 1
        let magic = unsafeBitCast(n + 12_582_912, to: SIMD8<Int32>.self) &- 0x4B40_0000
        return poly * unsafeBitCast((magic &+ 127) &<< 23, to: Vector.self)
    }

    static func sigmoid(_ x: Vector) -> Vector { 1 / (1 + exp(-x)) }

    static func tanh(_ x: Vector) -> Vector {
        let ax = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: Vector.self)
        let z = x * x
        var small = Vector(repeating: -5.704_988_727_45e-3)
        small = Vector(repeating: 2.063_908_879_54e-2).addingProduct(small, z)
        small = Vector(repeating: -5.373_971_555_31e-2).addingProduct(small, z)
        small = Vector(repeating: 1.333_144_220_36e-1).addingProduct(small, z)
        small = Vector(repeating: -3.333_328_194_22e-1).addingProduct(small, z)
        small = x.addingProduct(small * z, x)
        let largeMagnitude = 1 - 2 / (exp(2 * ax) + 1)
        let large = largeMagnitude.replacing(with: -largeMagnitude, where: x .< 0)
        return small.replacing(with: large, where: ax .>= 0.625)
    }
}
