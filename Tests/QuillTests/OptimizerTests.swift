import Foundation
import Quill
import XCTest

/// Updates against values worked out by hand from PyTorch's documented update rules.
final class OptimizerTests: XCTestCase {
    func stores(_ w: [Float], _ g: [Float]) -> (ParameterStore, ParameterStore) {
        let p = ParameterStore(shapes: [("w", [w.count])])
        let grad = ParameterStore(sameLayoutAs: p)
        p.set("w", w)
        grad.set("w", g)
        return (p, grad)
    }

    func testPlainSGDWithWeightDecay() {
        let (p, g) = stores([1, -2], [0.5, 0.25])
        let opt = Optimizer(settings: .init(kind: .sgd, weightDecay: 0.1), layoutOf: p)
        opt.step(parameters: p, gradients: g, learningRate: 0.5)
        // w − lr·(g + λw): 1 − 0.5·(0.5 + 0.1) = 0.7; −2 − 0.5·(0.25 − 0.2) = −2.025
        XCTAssertEqual(p.array("w")[0], 0.7, accuracy: 1e-6)
        XCTAssertEqual(p.array("w")[1], -2.025, accuracy: 1e-6)
    }

    func testSGDMomentum() {
        let (p, g) = stores([1], [1])
        let opt = Optimizer(settings: .init(kind: .sgd, momentum: 0.9), layoutOf: p)
        opt.step(parameters: p, gradients: g, learningRate: 0.1)   // b = 1,   w = 0.9
        opt.step(parameters: p, gradients: g, learningRate: 0.1)   // b = 1.9, w = 0.71
        XCTAssertEqual(p.array("w")[0], 0.71, accuracy: 1e-6)
    }

    func testAdamFirstTwoSteps() {
        let (p, g) = stores([1], [0.5])
        let opt = Optimizer(settings: .init(kind: .adam), layoutOf: p)
        opt.step(parameters: p, gradients: g, learningRate: 0.1)
        // step 1: m̂ = g, v̂ = g², update = lr·g/(|g| + ε) ≈ 0.1
        XCTAssertEqual(Double(p.array("w")[0]), 1 - 0.1 * 0.5 / (0.5 + 1e-8), accuracy: 1e-6)
        g.set("w", [-1])
        opt.step(parameters: p, gradients: g, learningRate: 0.1)
        let m = 0.9 * 0.05 + 0.1 * -1.0, v = 0.999 * 0.00025 + 0.001 * 1.0
        let expected = (1 - 0.1 * 0.5 / (0.5 + 1e-8)) - 0.1 * (m / (1 - 0.81)) / ((v / (1 - 0.999 * 0.999)).squareRoot() + 1e-8)
        XCTAssertEqual(Double(p.array("w")[0]), expected, accuracy: 1e-5)
    }

    func testAdamWDecouplesTheDecay() {
        let (p, g) = stores([1], [0.5])
        let opt = Optimizer(settings: .init(kind: .adamw, weightDecay: 0.1), layoutOf: p)
        opt.step(parameters: p, gradients: g, learningRate: 0.1)
        // w·(1 − lr·λ) − lr·ĝ/(|ĝ| + ε) = 0.99 − 0.1: the decay is not divided by Adam's scale, where
        // Adam's L2 would have made the step lr·(g + λw)/|g + λw| = 0.1 and left the decay no effect.
        XCTAssertEqual(Double(p.array("w")[0]), 0.99 - 0.1 * 0.5 / (0.5 + 1e-8), accuracy: 1e-6)
        XCTAssertEqual(Optimizer.Kind.adamw.defaultWeightDecay, 0.01)
        XCTAssertEqual(Optimizer.Kind.adam.defaultWeightDecay, 0)
    }

    func testSwitchingKindCarriesOnlyADefaultDecay() {
        var s = Optimizer.Settings(kind: .adam)
        s.switchKind(to: .adamw)
        XCTAssertEqual(s.kind, .adamw)
        XCTAssertEqual(s.weightDecay, 0.01, "Adam's default (none) becomes AdamW's")
        s.switchKind(to: .rmsprop)
        XCTAssertEqual(s.weightDecay, 0, "AdamW's default goes with it")
        s.weightDecay = 0.2
        s.switchKind(to: .adamw)
        XCTAssertEqual(s.weightDecay, 0.2, "a chosen decay stays")
    }

    func testRMSprop() {
        let (p, g) = stores([1], [2])
        let opt = Optimizer(settings: .init(kind: .rmsprop), layoutOf: p)
        opt.step(parameters: p, gradients: g, learningRate: 0.01)
        // v = 0.01·4 = 0.04; w = 1 − 0.01·2/(0.2 + ε)
        XCTAssertEqual(Double(p.array("w")[0]), 1 - 0.01 * 2 / (0.2 + 1e-8), accuracy: 1e-6)
    }

    func testGlobalNormClipping() {
        let (_, g) = stores([0, 0], [3, 4])
        let norm = GradientClipping.clip(g, maxNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-9)
        XCTAssertEqual(g.array("w")[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(g.array("w")[1], 0.8, accuracy: 1e-6)
        let (_, small) = stores([0], [0.5])
        GradientClipping.clip(small, maxNorm: 1)
        XCTAssertEqual(small.array("w"), [0.5])
    }

    func testScheduleDecayPlateauAndEarlyStopping() {
        var step = LearningRateSchedule(learningRate: 1, decay: 0.5, decayAfter: 2)
        step.epochEnded(completed: 1)
        XCTAssertEqual(step.learningRate, 1)
        step.epochEnded(completed: 2)
        step.epochEnded(completed: 3)
        XCTAssertEqual(step.learningRate, 0.25)

        var plateau = LearningRateSchedule(learningRate: 20, plateauFactor: 4, patience: 2)
        XCTAssertTrue(plateau.validated(loss: 5))
        XCTAssertFalse(plateau.validated(loss: 5.1))
        XCTAssertEqual(plateau.learningRate, 5)
        XCTAssertFalse(plateau.shouldStopEarly)
        XCTAssertTrue(plateau.validated(loss: 4.9))
        XCTAssertFalse(plateau.validated(loss: 5))
        XCTAssertFalse(plateau.validated(loss: 5))
        XCTAssertTrue(plateau.shouldStopEarly)
        XCTAssertEqual(plateau.learningRate, 20.0 / 64.0)
    }
}
