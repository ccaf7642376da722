import Foundation
import Quill
import XCTest

/// The tool's defaults are the library's, for every training setting: in its help, and in the
/// options a run given no flags trains with.
extension CLITests {
    func testTrainHelpShowsTheLibraryDefaultOfEverySetting() throws {
        let help = try quill(["train", "--help"]).stdout
        let lines = help.split(separator: "\n").map(String.init)
        for setting in TrainingSetting.all {
            // The option's line, or its help on the next line when the label is long.
            guard let index = lines.firstIndex(where: { $0.hasPrefix("  --\(setting.flag) ") || $0 == "  --\(setting.flag)" }) else {
                XCTFail("--\(setting.flag) is not in 'quill train --help'")
                continue
            }
            let text = lines[index] + (index + 1 < lines.count ? lines[index + 1] : "")
            if setting.kind == .toggle { continue }
            if let shown = setting.defaultNote ?? setting.defaultText.map({ $0.isEmpty ? "\"\"" : $0 }) {
                XCTAssertTrue(text.contains("(default: \(shown))"), "--\(setting.flag): \(text)")
            } else {
                XCTAssertFalse(lines[index].contains("(default:"), "--\(setting.flag) shows a default the library does not have")
            }
        }
    }

    /// A run given only a limit trains with exactly `TrainingOptions`' defaults otherwise.
    func testTrainWithNoFlagsUsesTheLibraryDefaults() throws {
        let corpus = write(String(repeating: "the keeper lit the lamp at dusk and watched the sea.\n", count: 120), "defaults.txt")
        let out = folder + "/defaults"
        let run = try quill(["train", corpus, "--out", out, "--max-steps", "1", "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let saved = try Trainer(resuming: out).options
        var expected = TrainingOptions(corpus: saved.corpus, outputFolder: saved.outputFolder)
        expected.maxSteps = 1
        for setting in TrainingSetting.all {
            XCTAssertEqual(setting.text(in: saved), setting.text(in: expected), "--\(setting.flag)")
        }
        XCTAssertEqual(saved, expected)
    }
}
