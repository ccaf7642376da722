import Foundation
import Quill
import QuillServer
import XCTest

/// `TimeSpan`, the one reader of times, and the library's checks of every time it is given: a
/// library user gets a `QuillError` for a time that would overflow, never a trap.
final class TimeSpanTests: XCTestCase {
    func testTimesReadWithUnitsAndAreBoundedByAYear() {
        XCTAssertEqual(TimeSpan.seconds("90"), 90)
        XCTAssertEqual(TimeSpan.seconds("1.5h"), 5400)
        XCTAssertEqual(TimeSpan.seconds("4m11s"), 251)
        XCTAssertEqual(TimeSpan.seconds("1h05m"), 3900)
        for bad in ["", "1e30", "1e3s", "0x10", "inf", "nan", "-5", "+5", " 5", "5 s", "1..5", "5s1m", "1m1m", "m", "1h5"] {
            XCTAssertNil(TimeSpan.seconds(bad), bad)
        }
        XCTAssertNil(TimeSpan.problem(TimeSpan.maximumSeconds))
        XCTAssertEqual(TimeSpan.seconds(TimeSpan.maximumText), TimeSpan.maximumSeconds)
        for refused in [0, -1, .nan, .infinity, TimeSpan.maximumSeconds + 1, 1e30] {
            XCTAssertNotNil(TimeSpan.problem(refused), "\(refused)")
        }
    }

    /// Printing a time never traps, whatever the value (it did for 1e30 and printed negative
    /// hours past 2^31 of them).
    func testPrintingAnyTimeIsSafe() {
        XCTAssertEqual(TimeSpan.text(3725), "1h02m")
        XCTAssertEqual(TimeSpan.text(185), "3m05s")
        XCTAssertEqual(TimeSpan.text(TimeSpan.maximumSeconds), "8760h00m")
        XCTAssertEqual(TimeSpan.text(9.2e15), "?")
        XCTAssertEqual(TimeSpan.text(1e30), "?")
        XCTAssertEqual(TimeSpan.text(.nan), "?")
        XCTAssertEqual(TimeSpan.text(7_730_941_132_800), "2147483648h00m", "hours past 2^31 stay positive")
    }

    func testTrainingOptionsRefuseATimeBeyondTheLimit() throws {
        var options = TrainingOptions(corpus: "c.txt", outputFolder: nil)
        options.maxTime = 1e30
        XCTAssertThrowsError(try options.validate()) { error in
            guard case QuillError.invalidSetting(let invalid) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(invalid.setting, .maxTime)
            XCTAssertTrue("\(error)".contains("8760h"), "\(error)")
        }
        options.maxTime = TimeSpan.maximumSeconds
        XCTAssertNoThrow(try options.validate())
        // The library's own reader of the setting takes the CLI's forms and refuses the same.
        try TrainingSetting.maxTime.set("4m11s", in: &options)
        XCTAssertEqual(options.maxTime, 251)
        XCTAssertThrowsError(try TrainingSetting.maxTime.set("1e30", in: &options))
    }

    func testServerRefusesTimeoutsASocketCannotTake() throws {
        for (idle, request) in [(1e30, 30.0), (10.0, .infinity), (0, 30), (.nan, 30), (-1, 30)] {
            var limits = HTTPServer.Limits()
            limits.idleSeconds = idle
            limits.requestSeconds = request
            XCTAssertThrowsError(try HTTPServer(host: "127.0.0.1", port: 0, limits: limits) { _, _ in }, "\(idle) \(request)") { error in
                guard case QuillError.invalidValue(let name, _, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(name, idle == 10 ? "requestSeconds" : "idleSeconds")
            }
        }
    }

    /// A search's plan at the limit has sane rungs; one second more is refused, as is any η or
    /// step count whose rungs would overflow.
    func testSearchBudgetIsBoundedAndThePlanAtTheBoundIsSane() throws {
        let folder = SharedData.temporaryFolder(self)
        let corpus = SharedData.write(String(repeating: "the keeper lit the lamp at dusk.\n", count: 40), "c.txt", in: folder)
        var settings = HyperparameterSearch.Settings(base: TrainingOptions(corpus: corpus, outputFolder: nil),
                                                     budget: TimeSpan.maximumSeconds, space: SearchSpace(), folder: folder + "/s")
        let search = try HyperparameterSearch(settings: settings)
        XCTAssertEqual(search.plan.trials, [27, 9, 3, 1])
        var planned = 0.0
        for (n, seconds) in zip(search.plan.trials, search.plan.seconds) {
            XCTAssertTrue(seconds > 0 && seconds <= TimeSpan.maximumSeconds, "\(seconds)")
            XCTAssertFalse(TimeSpan.text(seconds).contains("-") || TimeSpan.text(seconds).contains("?"), TimeSpan.text(seconds))
            planned += Double(n) * seconds
        }
        XCTAssertLessThanOrEqual(planned, TimeSpan.maximumSeconds)
        for budget in [TimeSpan.maximumSeconds + 1, 2562047788015215 * 3600, .infinity, .nan] {
            settings.budget = budget
            XCTAssertThrowsError(try HyperparameterSearch(settings: settings), "\(budget)") { error in
                guard case QuillError.invalidValue(let name, _, let problem) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(name, "budget")
                XCTAssertTrue(problem.contains("8760h") || problem.contains("more than 0"), problem)
            }
        }
        XCTAssertNil(SearchPlan.make(budget: TimeSpan.maximumSeconds + 1, eta: 3))
        XCTAssertNil(SearchPlan.make(budget: 1800, eta: .max), "η^3 overflows")
        XCTAssertNil(SearchPlan.make(budget: 1800, eta: 0))
        XCTAssertEqual(SearchPlan.make(budget: 1800, eta: 3, firstRungSteps: .max / 5)?.trials.count, 2,
                       "steps that would overflow at more rungs give fewer rungs")
        settings.budget = 1800
        settings.eta = .max
        XCTAssertThrowsError(try HyperparameterSearch(settings: settings)) { error in
            XCTAssertTrue("\(error)".contains("too short"), "\(error)")
        }
    }

    /// A search log edited to hold a budget beyond the limit is refused on resuming, not planned.
    func testResumingAnEditedLogRefusesItsBudget() throws {
        let folder = SharedData.temporaryFolder(self)
        let corpus = SharedData.write(String(repeating: "the keeper lit the lamp at dusk.\n", count: 40), "c.txt", in: folder)
        let settings = HyperparameterSearch.Settings(base: TrainingOptions(corpus: corpus, outputFolder: nil),
                                                     budget: 1800, space: SearchSpace(), folder: folder + "/s")
        _ = try HyperparameterSearch(settings: settings)
        let log = folder + "/s/search.jsonl"
        let text = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertNoThrow(try HyperparameterSearch(resuming: folder + "/s"))
        let edited = text.replacingOccurrences(of: "\"budget\":1800", with: "\"budget\":1e30")
        XCTAssertNotEqual(edited, text, "the header holds the budget")
        try edited.write(toFile: log, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try HyperparameterSearch(resuming: folder + "/s")) { error in
            guard case QuillError.badCheckpoint(_, let problem) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(problem.contains("8760h"), problem)
        }
    }
}
