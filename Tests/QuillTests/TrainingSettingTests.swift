import Foundation
import XCTest
@testable import QuillTraining
import Quill

/// The settings table (`TrainingSetting.all`) against the options it describes: every training
/// setting has one row, defaults shown are the library's, and the lists derived from it (resume,
/// budget, search keys) agree with the code that acts on them.
final class TrainingSettingTests: XCTestCase {
    let defaults = TrainingOptions(corpus: "", outputFolder: nil)

    /// Settings that are not `TrainingOptions` properties (the model's derived size, generation's, adapted scoring's).
    let notTraining: Set<Setting> = [.vocabularySize, .temperature, .topK, .topP, .samples, .length, .stop, .prompt,
                                   .dynamicLearningRate, .dynamicDecay, .dynamicSegment, .cacheSize, .cacheTheta, .cacheLambda]

    func testEveryTrainingSettingHasExactlyOneRow() {
        let names = TrainingSetting.all.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "a setting listed twice")
        XCTAssertEqual(Set(names), Set(Setting.allCases).subtracting(notTraining))
        let flags = TrainingSetting.all.map(\.flag)
        XCTAssertEqual(Set(flags).count, flags.count, "a flag name used twice")
        for flag in flags {
            XCTAssertTrue(flag.allSatisfy { $0.isLowercase || $0 == "-" } && !flag.hasPrefix("-"), "flag '\(flag)' is not kebab-case")
        }
    }

    /// The default a front end shows (and would parse) is the library's: reading it back into
    /// options that hold another value gives exactly `TrainingOptions()`.
    func testShownDefaultsParseBackToTheLibraryDefaults() throws {
        for setting in TrainingSetting.all {
            guard let text = setting.defaultText else {
                XCTAssertNotNil(setting.defaultNote ?? (setting.kind == .toggle ? "" : nil) ?? unsetByDefault(setting),
                                "\(setting): no default and no note")
                continue
            }
            var options = defaults
            try setting.set(text, in: &options)
            XCTAssertEqual(options, defaults, "\(setting): default '\(text)' does not read back as the library's default")
        }
    }

    private func unsetByDefault(_ setting: TrainingSetting) -> String? {
        // Optional settings whose absence means "none" (no limit, no file, no samples).
        [.baseCheckpoint, .embeddingsFile, .maxSteps, .maxTime, .sampleEvery, .keepCheckpoints, .averageDecay]
            .contains(setting.name) ? "unset" : nil
    }

    /// Setting a value changes the options, and `text(in:)` reads it back.
    func testEveryRowWritesWhereItReads() throws {
        for setting in TrainingSetting.all {
            let value: String
            switch setting.kind {
            case .count: value = "3"
            case .number, .duration: value = "0.25"
            case .text: value = setting.name == .adaptiveSoftmax ? "5,10" : "elsewhere.txt" // the one text that is not a path
            case .toggle: value = setting.defaultText == "true" ? "false" : "true"
            case .choice(let words): value = words.first { $0 != setting.defaultText && $0 != "error" } ?? words[0]
            }
            var options = defaults
            try setting.set(value, in: &options)
            XCTAssertNotEqual(options, defaults, "\(setting): setting \(value) changed nothing")
            XCTAssertEqual(setting.text(in: options), value, "\(setting)")
            var copy = defaults
            setting.copyValue(from: options, to: &copy)
            XCTAssertEqual(setting.text(in: copy), value, "\(setting): copy")
        }
        var options = defaults
        XCTAssertThrowsError(try TrainingSetting.hiddenSize.set("many", in: &options))
    }

    /// `--eval-every` was 1000 in the tool and nil in the library; it is 1000 in both now.
    func testEvaluateEveryDefaultIsTheToolsThousand() {
        XCTAssertEqual(defaults.evaluateEvery, 1000)
        XCTAssertEqual(TrainingSetting.evaluateEvery.defaultText, "1000")
    }

    /// Choosing an optimizer brings its default rate and decay; a rate given after it wins.
    func testOptimizerRowSetsItsDefaultRateAndDecay() throws {
        var options = defaults
        try TrainingSetting.optimizer.set("sgd", in: &options)
        XCTAssertEqual(options.learningRate, 1)
        try TrainingSetting.optimizer.set("adamw", in: &options)
        XCTAssertEqual(options.optimizer.weightDecay, 0.01)
        try TrainingSetting.learningRate.set("0.01", in: &options)
        XCTAssertEqual(options.learningRate, 0.01)
    }

    /// The resume rules are the table's: changing a resumable setting keeps a saved run
    /// resumable, changing any other does not.
    func testResumeRulesComeFromTheTable() throws {
        XCTAssertEqual(TrainingOptions.resumableSettings, TrainingSetting.all.filter(\.resumable).map(\.name))
        for setting in TrainingSetting.all {
            var changed = defaults
            let value = setting.kind == .toggle ? "true" : setting.name == .adaptiveSoftmax ? "5,10" : setting.kind == .text ? "x.txt" : "3"
            if case .choice(let words) = setting.kind {
                try setting.set(words.last { $0 != setting.defaultText } ?? words[0], in: &changed)
            } else {
                try setting.set(value, in: &changed)
            }
            XCTAssertEqual(changed.differsOnlyInResumableSettings(from: defaults), setting.resumable, "\(setting)")
        }
    }

    /// What the budget chooses is what `BudgetRecipe.apply` leaves alone when kept: keeping
    /// every row marked `chosenByBudget` leaves the options as they were.
    func testBudgetRowsAreWhatTheRecipeSets() {
        let kept = Set(TrainingSetting.all.filter(\.chosenByBudget).map(\.name))
        for (seconds, level) in [(120.0, TokenLevel.char), (1800, .char), (120, .word), (3600, .word), (120, .bpe), (1800, .bpe)] {
            var options = defaults
            options.level = level
            let before = options
            BudgetRecipe.recipe(seconds: seconds, level: level).apply(to: &options, keeping: kept)
            XCTAssertEqual(options, before, "\(seconds) s \(level): the recipe set a setting the table does not say it chooses")
            var chosen = before
            BudgetRecipe.recipe(seconds: seconds, level: level).apply(to: &chosen, keeping: [])
            let changed = TrainingSetting.all.filter { $0.text(in: chosen) != $0.text(in: before) }
            XCTAssertTrue(changed.allSatisfy { $0.chosenByBudget || $0.name == .lockedDropout }, "\(changed)")
        }
    }

    /// Every key a search space file may hold is read by `SearchSpace(json:)`: a bad value under
    /// it is refused, naming the key, so a key spelt differently in the table and the reader fails.
    func testEverySearchKeyIsReadBySearchSpace() {
        XCTAssertTrue(SearchSpace.keys.contains("sgd_lr"))
        for key in SearchSpace.keys {
            XCTAssertThrowsError(try SearchSpace(json: "{\"\(key)\": {}}")) { error in
                XCTAssertTrue("\(error)".contains("'\(key)'"), "\(key): \(error)")
            }
        }
    }
}
