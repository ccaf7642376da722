import Foundation
import Quill
import XCTest

/// The resume file's format version: what a run writes, the one path that reads format 1 (files
/// without a version, including the early ones that held no weights), and the refusals.
final class ResumeFileTests: XCTestCase {
    var folder = ""
    let formatKey = "quill.resume-format"
    /// The tensors a resume file holds besides the checkpoint's weights.
    let resumeTensors: Set<String> = ["optimizer.first", "optimizer.second", "state.hidden", "state.cell", "average"]

    override func setUp() {
        folder = SharedData.temporaryFolder(self)
    }

    /// A run of four steps saved in `folder/run`.
    func savedRun() throws -> TrainingOptions {
        let lines = (0..<200).map { "\($0 % 13) the lamp was lit at dusk." }.joined(separator: "\n") + "\n"
        var o = TrainingOptions(corpus: SharedData.write(lines, "corpus.txt", in: folder), outputFolder: folder + "/run")
        o.embeddingSize = 8
        o.hiddenSize = 16
        o.batchSize = 4
        o.sequenceLength = 8
        o.dropout = 0.1
        o.maxSteps = 4
        o.evaluateEvery = nil
        try Trainer(options: o).run()
        return o
    }

    var resumePath: String { folder + "/run/" + Checkpoint.resumeFile }

    func rewriteResumeFile(_ change: (inout SafeTensors) -> Void) throws {
        var file = try SafeTensors(contentsOf: resumePath)
        change(&file)
        try file.write(to: resumePath)
    }

    func bits(_ trainer: Trainer) -> [UInt32] { trainer.model.allValues.map(\.bitPattern) }

    /// Optional settings saved as nil come back nil, even where today's default is a value
    /// (`evaluateEvery` defaults to 1000): a resumed run validates as the saved one did.
    func testNilOptionalSettingsStayNilOnResume() throws {
        let saved = try savedRun()
        XCTAssertNil(saved.evaluateEvery)
        XCTAssertNotNil(TrainingOptions(corpus: "", outputFolder: nil).evaluateEvery, "the test needs a non-nil default")
        let resumed = try Trainer(resuming: folder + "/run")
        XCTAssertNil(resumed.options.evaluateEvery)
    }

    func testRunWritesFormatTwo() throws {
        _ = try savedRun()
        let file = try SafeTensors(contentsOf: resumePath)
        XCTAssertEqual(file.metadata[formatKey], "2")
        XCTAssertNotNil(file.metadata["quill.progress"])
        XCTAssertNotNil(file["state.hidden"])
    }

    /// A file from before the version (no key, weights inside) resumes exactly as format 2 does.
    func testFormatOneWithWeightsResumesAsFormatTwo() throws {
        _ = try savedRun()
        let current = try Trainer(resuming: folder + "/run")
        try rewriteResumeFile { $0.metadata[formatKey] = nil }
        let upgraded = try Trainer(resuming: folder + "/run")
        XCTAssertEqual(upgraded.progress, current.progress)
        XCTAssertEqual(bits(upgraded), bits(current))
        XCTAssertEqual(upgraded.optimizer.first!.allValues, current.optimizer.first!.allValues)
    }

    /// The earliest files held no weights: the upgrade takes them from latest.safetensors when it
    /// is at the same step, and refuses the pair when it is not.
    func testFormatOneWithoutWeightsTakesLatestAtTheSameStep() throws {
        _ = try savedRun()
        let current = try Trainer(resuming: folder + "/run")
        try rewriteResumeFile { file in
            let kept = file.order.filter(resumeTensors.contains).map { ($0, file[$0]!) }
            file = SafeTensors(tensors: kept, metadata: ["quill.progress": file.metadata["quill.progress"]!])
        }
        let upgraded = try Trainer(resuming: folder + "/run")
        XCTAssertEqual(upgraded.progress.step, 4)
        XCTAssertEqual(bits(upgraded), bits(current))

        let latestPath = folder + "/run/" + Checkpoint.latestFile
        var latest = try Checkpoint(contentsOf: latestPath)
        latest.summary.steps = 3
        try latest.write(to: latestPath)
        XCTAssertThrowsError(try Trainer(resuming: folder + "/run")) { error in
            XCTAssertTrue("\(error)".contains("do not belong together"), "\(error)")
        }
    }

    func testNewerFormatIsRefusedNamingBothVersions() throws {
        _ = try savedRun()
        try rewriteResumeFile { $0.metadata[formatKey] = "3" }
        XCTAssertThrowsError(try Trainer(resuming: folder + "/run")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("resume file written by format 3") && message.contains("reads up to format 2"), message)
        }
    }

    func testUnknownFormatIsRefused() throws {
        _ = try savedRun()
        try rewriteResumeFile { $0.metadata[formatKey] = "two" }
        XCTAssertThrowsError(try Trainer(resuming: folder + "/run")) { error in
            XCTAssertTrue("\(error)".contains("\(formatKey) is 'two'"), "\(error)")
        }
    }

    /// An unstarted run (what `quill import` writes) is format 2 too.
    func testUnstartedRunWritesFormatTwo() throws {
        let o = try savedRun()
        let checkpoint = try Checkpoint(contentsOf: o.outputFolder!)
        try Trainer.writeUnstartedRun(checkpoint, options: o, folder: folder + "/imported")
        let file = try SafeTensors(contentsOf: folder + "/imported/" + Checkpoint.resumeFile)
        XCTAssertEqual(file.metadata[formatKey], "2")
        XCTAssertEqual(try Trainer(resuming: folder + "/imported").progress.step, 0)
    }
}
