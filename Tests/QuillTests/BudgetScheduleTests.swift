import Foundation
import Quill
import XCTest

/// Warmup and cosine/linear decay over a run's budget.
final class BudgetScheduleTests: XCTestCase {
    func testFactorsFollowTheirDefinitions() {
        let cosine = BudgetSchedule(shape: .cosine, warmupSteps: 4, floor: 0.1)
        XCTAssertEqual((0..<4).map { cosine.factor(step: $0, budgetFraction: 0) }, [0.25, 0.5, 0.75, 1])
        XCTAssertEqual(cosine.factor(step: 4, budgetFraction: 0), 1, accuracy: 1e-12)
        XCTAssertEqual(cosine.factor(step: 9, budgetFraction: 0.5), 0.55, accuracy: 1e-12)
        XCTAssertEqual(cosine.factor(step: 9, budgetFraction: 1), 0.1, accuracy: 1e-12)
        XCTAssertEqual(cosine.factor(step: 9, budgetFraction: 7), 0.1, accuracy: 1e-12, "clamped past the end")
        let linear = BudgetSchedule(shape: .linear, warmupSteps: 0, floor: 0)
        XCTAssertEqual(linear.factor(step: 3, budgetFraction: 0.25), 0.75, accuracy: 1e-12)
        XCTAssertEqual(BudgetSchedule(shape: .constant, warmupSteps: 0, floor: 0).factor(step: 5, budgetFraction: 0.9), 1)
        // The budget ends with whichever limit comes first: steps, or time when there is a time limit.
        XCTAssertEqual(BudgetSchedule.fraction(step: 50, warmupSteps: 0, plannedSteps: 100, seconds: 10, timeBudget: nil), 0.5)
        XCTAssertEqual(BudgetSchedule.fraction(step: 50, warmupSteps: 0, plannedSteps: 100, seconds: 90, timeBudget: 100), 0.9)
        XCTAssertEqual(BudgetSchedule.fraction(step: 60, warmupSteps: 10, plannedSteps: 110, seconds: 1, timeBudget: 100), 0.5)
    }

    func testCosineRunEndsAtTheFloorAndResumesBitForBit() throws {
        let folder = SharedData.temporaryFolder(self)
        let corpus = SharedData.write(String(repeating: "the keeper lit the lamp at dusk.\nwind from the west.\n", count: 80),
                                      "c.txt", in: folder)
        var o = TrainingOptions(corpus: corpus, outputFolder: folder + "/straight")
        o.embeddingSize = 8
        o.hiddenSize = 16
        o.batchSize = 4
        o.sequenceLength = 8
        o.maxSteps = 40
        o.evaluateEvery = 13
        o.decayShape = .cosine
        o.warmupSteps = 5
        o.decayFloor = 0.1
        var rates: [Double] = []
        let straight = try Trainer(options: o)
        try straight.run { event in
            if case .step(let s) = event { rates.append(s.learningRate) }
            return .proceed
        }
        XCTAssertEqual(rates.count, 40)
        XCTAssertEqual(rates[0], 0.002 / 5, accuracy: 1e-12)
        XCTAssertEqual(rates[4], 0.002, accuracy: 1e-12)
        XCTAssertEqual(rates[39], 0.002 * (0.1 + 0.9 * 0.5 * (1 + cos(Double.pi * 34 / 35))), accuracy: 1e-12)
        XCTAssertTrue(zip(rates[5...], rates[6...]).allSatisfy { $0 > $1 }, "decays every step after the warmup")

        // Stopped at step 17 and resumed: the schedule depends on steps only, so the bits agree.
        var stopped = o
        stopped.outputFolder = folder + "/interrupted"
        var count = 0
        try Trainer(options: stopped).run(events: { event in
            if case .step = event { count += 1 }
            return count >= 17 ? .stop : .proceed
        })
        let resumed = try Trainer(resuming: stopped.outputFolder!)
        try resumed.run()
        XCTAssertEqual(resumed.progress.step, 40)
        XCTAssertEqual(resumed.model.allValues.map(\.bitPattern), straight.model.allValues.map(\.bitPattern))
    }
}
