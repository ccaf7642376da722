@testable import QuillTraining
import Quill
import XCTest

/// The stop policy alone: which reason wins when several hold, and when `shouldStop` is asked.
final class StopPolicyTests: XCTestCase {
    func policy(epochs: Int = 3, maxSteps: Int? = nil, maxTime: Double? = nil) -> StopPolicy {
        var o = TrainingOptions(corpus: "unused.txt", outputFolder: nil)
        o.epochs = epochs
        o.maxSteps = maxSteps
        o.maxTime = maxTime
        return StopPolicy(options: o)
    }

    func testEpochsEndTheRunAsCompleted() {
        let p = policy(epochs: 3)
        XCTAssertNil(p.beforeEpoch(2))
        XCTAssertEqual(p.beforeEpoch(3), .completed)
        XCTAssertEqual(p.beforeEpoch(4), .completed) // a resumed run whose epochs were lowered
    }

    /// Limits come before the caller's wishes, and a reached limit does not ask `shouldStop`.
    func testLimitsWinOverRequestsAndShouldStopIsAskedLast() {
        var asked = 0
        let yes: () -> Bool = { asked += 1; return true }
        var p = policy(maxSteps: 10, maxTime: 60)
        p.requested = true
        XCTAssertEqual(p.beforeStep(step: 10, elapsed: 99, shouldStop: yes), .maxSteps)
        XCTAssertEqual(p.beforeStep(step: 9, elapsed: 60, shouldStop: yes), .maxTime)
        XCTAssertEqual(asked, 0)
        XCTAssertEqual(p.beforeStep(step: 9, elapsed: 1, shouldStop: yes), .interrupted)
        XCTAssertEqual(asked, 0, "a request from the event callback needs no question")
        p.requested = false
        XCTAssertNil(p.beforeStep(step: 9, elapsed: 1, shouldStop: { asked += 1; return false }))
        XCTAssertEqual(p.beforeStep(step: 9, elapsed: 1, shouldStop: yes), .interrupted)
        XCTAssertEqual(asked, 2)
    }

    /// A limit reached makes the validation at hand the run's last (never skipped for the share);
    /// a request to stop does not: an interrupted run does not validate at all.
    func testLimitReachedCountsLimitsButNotRequests() {
        var p = policy(epochs: 3, maxSteps: 10, maxTime: 60)
        XCTAssertFalse(p.limitReached(epoch: 2, step: 9, elapsed: 59))
        XCTAssertTrue(p.limitReached(epoch: 3, step: 9, elapsed: 59))
        XCTAssertTrue(p.limitReached(epoch: 2, step: 10, elapsed: 59))
        XCTAssertTrue(p.limitReached(epoch: 2, step: 9, elapsed: 60))
        p.requested = true
        XCTAssertFalse(p.limitReached(epoch: 2, step: 9, elapsed: 59))
    }

    /// A validation cut short is an interruption even when patience has also run out.
    func testValidationOutcomes() {
        let p = policy()
        var schedule = LearningRateSchedule(learningRate: 0.1, patience: 1)
        XCTAssertNil(p.afterValidation(improved: true, schedule: schedule))
        schedule.validated(loss: 2)
        schedule.validated(loss: 3)
        XCTAssertTrue(schedule.shouldStopEarly)
        XCTAssertEqual(p.afterValidation(improved: false, schedule: schedule), .earlyStopping)
        XCTAssertEqual(p.afterValidation(improved: nil, schedule: schedule), .interrupted)
    }
}
