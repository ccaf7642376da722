import Foundation
import Quill
import QuillKernels
import XCTest

/// The update with clipping's factor and the zeroing fused in must be exactly the separate passes
/// it replaces, for every rule, on sizes that leave vector tails and cross the thread split.
final class FusedUpdateTests: XCTestCase {
    func randomStore(_ layout: ParameterStore, seed: UInt64, scale: Float) -> ParameterStore {
        let store = ParameterStore(sameLayoutAs: layout)
        var rng = SeededGenerator(seed: seed)
        for i in 0..<store.count { store.values[i] = rng.nextUniform(in: -scale, scale) }
        return store
    }

    func testFusedClipAndZeroingMatchSeparatePasses() {
        let layout = ParameterStore(shapes: [("a", [70_001]), ("b", [13])])
        let settings: [Optimizer.Settings] = [
            .init(kind: .sgd), .init(kind: .sgd, momentum: 0.9, weightDecay: 0.01),
            .init(kind: .adam, weightDecay: 0.001), .init(kind: .adamw, weightDecay: 0.1), .init(kind: .rmsprop),
        ]
        for setting in settings {
            let separateW = randomStore(layout, seed: 1, scale: 1), fusedW = randomStore(layout, seed: 1, scale: 1)
            let separate = Optimizer(settings: setting, layoutOf: separateW)
            let fused = Optimizer(settings: setting, layoutOf: fusedW)
            for step in 0..<3 {
                let g1 = randomStore(layout, seed: UInt64(10 + step), scale: 3)
                let g2 = randomStore(layout, seed: UInt64(10 + step), scale: 3)
                let norm = GradientClipping.clip(g1, maxNorm: 5)
                separate.step(parameters: separateW, gradients: g1, learningRate: 0.01)
                fused.step(parameters: fusedW, gradients: g2, learningRate: 0.01,
                           gradientScale: GradientClipping.scale(norm: norm, maxNorm: 5), zeroingGradients: true)
                XCTAssertEqual(separateW.allValues, fusedW.allValues, "\(setting.kind) step \(step)")
                XCTAssertTrue(g2.allValues.allSatisfy { $0 == 0 }, "\(setting.kind): gradients not zeroed")
            }
        }
    }

    /// Each rule against a plain scalar loop written from PyTorch's documented formulas.
    func testRulesMatchScalarReference() {
        let n = 1_029
        var rng = SeededGenerator(seed: 3)
        let w0 = (0..<n).map { _ in rng.nextUniform(in: -1, 1) }
        let g0 = (0..<n).map { _ in rng.nextUniform(in: -1, 1) }
        // AdamW's decay is larger so that its shrink (lr·λ = 0.025) is far outside the tolerance.
        let lr: Float = 0.05, scale: Float = 0.5, decay: Float = 0.01, decoupled: Float = 0.5
        func run(_ kind: Optimizer.Kind) -> [Float] {
            let p = ParameterStore(shapes: [("w", [n])]), g = ParameterStore(sameLayoutAs: p)
            p.set("w", w0)
            let settings = Optimizer.Settings(kind: kind, momentum: kind == .sgd ? 0.9 : 0,
                                              weightDecay: kind == .adamw ? decoupled : decay)
            let optimizer = Optimizer(settings: settings, layoutOf: p)
            for _ in 0..<2 {
                g.set("w", g0)
                optimizer.step(parameters: p, gradients: g, learningRate: Double(lr), gradientScale: scale)
            }
            return p.array("w")
        }
        // Reference in Double, two steps with the same gradient.
        var sgd = w0.map(Double.init), buffer = [Double](repeating: 0, count: n)
        var adam = sgd, m = buffer, v = buffer
        var adamw = sgd, mw = buffer, vw = buffer
        var rms = sgd, s = buffer
        for t in 1...2 {
            for i in 0..<n {
                func grad(_ w: Double) -> Double { Double(g0[i]) * Double(scale) + Double(decay) * w }
                let gs = grad(sgd[i])
                buffer[i] = t == 1 ? gs : 0.9 * buffer[i] + gs
                sgd[i] -= Double(lr) * buffer[i]
                let ga = grad(adam[i])
                m[i] = 0.9 * m[i] + 0.1 * ga
                v[i] = 0.999 * v[i] + 0.001 * ga * ga
                let c1 = 1 - pow(0.9, Double(t)), c2 = 1 - pow(0.999, Double(t))
                adam[i] -= Double(lr) / c1 * m[i] / (v[i].squareRoot() / c2.squareRoot() + 1e-8)
                // AdamW: the gradient without the penalty; the weight shrinks by lr·λ first.
                let gw = Double(g0[i]) * Double(scale)
                mw[i] = 0.9 * mw[i] + 0.1 * gw
                vw[i] = 0.999 * vw[i] + 0.001 * gw * gw
                adamw[i] = adamw[i] * (1 - Double(lr) * Double(decoupled))
                    - Double(lr) / c1 * mw[i] / (vw[i].squareRoot() / c2.squareRoot() + 1e-8)
                let gr = grad(rms[i])
                s[i] = 0.99 * s[i] + 0.01 * gr * gr
                rms[i] -= Double(lr) * gr / (s[i].squareRoot() + 1e-8)
            }
        }
        for (kind, reference) in [(Optimizer.Kind.sgd, sgd), (.adam, adam), (.adamw, adamw), (.rmsprop, rms)] {
            let got = run(kind)
            for i in 0..<n {
                XCTAssertEqual(Double(got[i]), reference[i], accuracy: 1e-5 + 1e-4 * abs(reference[i]), "\(kind) element \(i)")
            }
        }
    }

    func testNormMatchesDoubleReferenceAndIgnoresThreadCount() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        let store = randomStore(ParameterStore(shapes: [("w", [300_007])]), seed: 4, scale: 2)
        let reference = (0..<store.count).reduce(0.0) { $0 + Double(store.values[$1]) * Double(store.values[$1]) }.squareRoot()
        var norms: [Double] = []
        for threads in [1, 2, 8] {
            Parallel.threadCount = threads
            norms.append(GradientClipping.norm(store))
        }
        XCTAssertEqual(norms[0], reference, accuracy: reference * 1e-6)
        XCTAssertEqual(norms[0], norms[1])
        XCTAssertEqual(norms[0], norms[2])
    }
}
