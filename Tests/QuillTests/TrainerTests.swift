import Foundation
import Quill
import QuillKernels
import XCTest

final class TrainerTests: XCTestCase {
    var folder = ""

    override func setUp() {
        folder = SharedData.temporaryFolder(self)
    }

    /// A small text with structure: numbered lines of a few repeating sentences.
    func corpus(lines: Int = 300) -> String {
        let sentences = ["the keeper lit the lamp", "wind from the west", "a ship passed the rock", "fog until dawn"]
        let text = (0..<lines).map { "\($0 % 17) \(sentences[$0 % sentences.count])." }.joined(separator: "\n") + "\n"
        let path = folder + "/corpus.txt"
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func options(_ corpus: String, out: String = "run") -> TrainingOptions {
        var o = TrainingOptions(corpus: corpus, outputFolder: folder + "/" + out)
        o.embeddingSize = 16
        o.hiddenSize = 32
        o.batchSize = 8
        o.sequenceLength = 16
        o.dropout = 0.2
        o.epochs = 2
        o.evaluateEvery = 25
        return o
    }

    func testTrainingLowersValidationLossAndWritesCheckpoints() throws {
        let o = options(corpus())
        let outcome = try Trainer(options: o).run()
        XCTAssertEqual(outcome.reason, .completed)
        let history = try Checkpoint(contentsOf: o.outputFolder!).summary.history
        XCTAssertGreaterThanOrEqual(history.count, 2)
        XCTAssertLessThan(history.last!.validationLoss, history.first!.validationLoss)
        for file in ["model.safetensors", "latest.safetensors", "resume.safetensors", "metrics.csv", "loss.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: o.outputFolder! + "/" + file), file)
        }
        let csv = try String(contentsOfFile: o.outputFolder! + "/metrics.csv", encoding: .utf8)
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(rows[0].joined(separator: ","), "kind,step,epoch,train_loss,val_loss,val_ppl,lr,tokens_per_s,seconds")
        let steps = try Checkpoint(contentsOf: o.outputFolder!).summary.steps
        // A training point every logEvery (50) steps besides a row per validation, in step order.
        let train = rows.dropFirst().filter { $0[0] == "train" }, validation = rows.dropFirst().filter { $0[0] == "validation" }
        XCTAssertEqual(train.map { Int($0[1])! }, Array(stride(from: 50, through: steps, by: 50)))
        XCTAssertEqual(validation.count, history.count)
        XCTAssertEqual(rows.dropFirst().map { Int($0[1])! }, rows.dropFirst().map { Int($0[1])! }.sorted())
        XCTAssertTrue(train.allSatisfy { $0[4].isEmpty && Double($0[3])! > 0 })
        let svg = try String(contentsOfFile: o.outputFolder! + "/loss.svg", encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg") && svg.contains("polyline") && svg.contains(">step<"))
        XCTAssertTrue(svg.contains(">learning rate<"), "the rate's axis")
        let best = history.map(\.validationLoss).min()!
        XCTAssertTrue(svg.contains(String(format: "best %.4f at step", best)), "the best point is marked")
    }

    func testCheckpointRoundTripIsExact() throws {
        let o = options(corpus())
        var limited = o
        limited.maxSteps = 10
        let trainer = try Trainer(options: limited)
        try trainer.run()
        let loaded = try Checkpoint(contentsOf: o.outputFolder! + "/latest.safetensors")
        XCTAssertEqual(loaded.config, trainer.model.config)
        XCTAssertEqual(loaded.vocabulary, trainer.data.vocabulary)
        XCTAssertEqual(loaded.summary.steps, 10)
        let model = try loaded.makeModel()
        XCTAssertEqual(model.allValues.map(\.bitPattern), trainer.model.allValues.map(\.bitPattern))
    }

    /// Interrupting after k steps and resuming gives the same bits as running straight through,
    /// in stream mode (carried state, dropout) and in lines mode (shuffled batches), for cells with
    /// and without a cell state.
    func testExactResume() throws {
        let runs: [(TrainingMode, ModelConfig.Cell)] = [(.stream, .lstm), (.lines, .lstm), (.stream, .gru), (.lines, .rnnRelu)]
        for (mode, cell) in runs {
            var o = options(corpus(), out: "straight-\(mode)-\(cell)")
            o.mode = mode
            o.cell = cell
            o.maxLength = 24
            o.maxSteps = 70
            let straight = try Trainer(options: o)
            try straight.run()

            var first = o
            first.outputFolder = folder + "/resumed-\(mode)-\(cell)"
            first.maxSteps = 37
            try Trainer(options: first).run()
            let resumed = try Trainer(resuming: first.outputFolder!) { $0.maxSteps = 70 }
            XCTAssertEqual(resumed.progress.step, 37)
            try resumed.run()
            XCTAssertEqual(resumed.progress.step, 70)
            XCTAssertEqual(resumed.model.allValues.map(\.bitPattern),
                           straight.model.allValues.map(\.bitPattern), "\(mode) \(cell)")
            XCTAssertEqual(resumed.optimizer.first!.allValues, straight.optimizer.first!.allValues)
            XCTAssertEqual(try Checkpoint(contentsOf: first.outputFolder!).config.cell, cell)
            XCTAssertEqual(resumed.progress.schedule, straight.progress.schedule)
        }
    }

    /// With attention, the memory rides in the resume file: a run stopped and resumed gives the
    /// same bits as one run straight through, in stream mode (memory M = 20 longer than a window,
    /// so it spans windows) and in lines mode (memory within the line).
    func testExactResumeWithAttention() throws {
        for mode in [TrainingMode.stream, .lines] {
            var o = options(corpus(lines: 120), out: "attention-straight-\(mode)")
            o.mode = mode
            o.maxLength = 24
            o.attention = true
            o.attentionMemory = 20
            o.maxSteps = 30
            let straight = try Trainer(options: o)
            try straight.run()

            var first = o
            first.outputFolder = folder + "/attention-resumed-\(mode)"
            first.maxSteps = 13
            try Trainer(options: first).run()
            let saved = try SafeTensors(contentsOf: first.outputFolder! + "/resume.safetensors")
            XCTAssertEqual(saved["state.memory"]?.shape, [20, 8, 32])
            if mode == .stream { XCTAssertEqual(saved["state.memory_lengths"]?.floats(), [Float](repeating: 20, count: 8)) }
            let resumed = try Trainer(resuming: first.outputFolder!) { $0.maxSteps = 30 }
            try resumed.run()
            XCTAssertEqual(resumed.model.allValues.map(\.bitPattern), straight.model.allValues.map(\.bitPattern), "\(mode)")
            XCTAssertEqual(try Checkpoint(contentsOf: first.outputFolder!).config.attention, ModelConfig.Attention(memory: 20))
        }
    }

    /// A stop that lands inside a validation cuts it short: nothing of it is recorded, the run
    /// saves where it stands, and the resumed run does that validation first, so its weights,
    /// schedule and history are those of a run that never stopped.
    func testStopDuringValidationResumesAsIfUninterrupted() throws {
        var o = options(corpus(), out: "straight")
        o.maxSteps = 30
        o.evaluateEvery = 10
        o.plateauFactor = 2
        let straight = try Trainer(options: o)
        try straight.run()

        var first = o
        first.outputFolder = folder + "/stopped"
        var validating = false
        var askedWhileValidating = 0
        let stopped = try Trainer(options: first)
        let shouldStop: () -> Bool = {
            if validating { askedWhileValidating += 1 }
            return validating
        }
        let events: (TrainingEvent) -> TrainingControl = { event in
            if case .step(let report) = event, report.step == 10 { validating = true }
            return .proceed
        }
        let outcome = try stopped.run(events: events, shouldStop: shouldStop)
        XCTAssertEqual(outcome.reason, .interrupted)
        // Once at the validation's first batch, which it stopped, and once as the run ends.
        XCTAssertLessThanOrEqual(askedWhileValidating, 2, "the validation went on past its first batch")
        XCTAssertEqual(stopped.progress.step, 10)
        XCTAssertTrue(stopped.progress.history.isEmpty)
        XCTAssertEqual(stopped.progress.pendingValidation, true)

        let resumed = try Trainer(resuming: first.outputFolder!) { $0.maxSteps = 30 }
        try resumed.run()
        XCTAssertEqual(resumed.model.allValues.map(\.bitPattern), straight.model.allValues.map(\.bitPattern))
        XCTAssertEqual(resumed.progress.schedule, straight.progress.schedule)
        XCTAssertEqual(resumed.progress.history.map(\.step), straight.progress.history.map(\.step))
        XCTAssertEqual(resumed.progress.history.map(\.validationLoss), straight.progress.history.map(\.validationLoss))
        XCTAssertNil(resumed.progress.pendingValidation)
    }

    func testStopFromTheEventCallbackSavesAndCanResume() throws {
        let o = options(corpus())
        var steps = 0
        let outcome = try Trainer(options: o).run { event in
            if case .step = event { steps += 1 }
            return steps >= 5 ? .stop : .proceed
        }
        XCTAssertEqual(outcome.reason, .interrupted)
        XCTAssertEqual(outcome.steps, 5)
        XCTAssertEqual(try Trainer(resuming: o.outputFolder!).progress.step, 5)
        XCTAssertNoThrow(try Checkpoint(contentsOf: o.outputFolder!))
    }

    /// A run that blows up before its first save writes nothing and says so.
    func testAbsurdLearningRateStopsWithoutWritingAnything() throws {
        var o = options(corpus())
        o.optimizer = .init(kind: .sgd)
        o.learningRate = 1e30
        o.clip = 0
        o.evaluateEvery = nil
        XCTAssertThrowsError(try Trainer(options: o).run()) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("step") && message.contains("learning rate"), message)
            XCTAssertTrue(message.contains("Nothing was saved"), message)
        }
        for file in [Checkpoint.modelFile, Checkpoint.latestFile, Checkpoint.resumeFile] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: o.outputFolder! + "/" + file), file)
        }
    }

    /// A run that diverges to huge but finite weights (Adam at lr 1e12: the loss is finite, and
    /// far above ln V) is stopped like a NaN: the checkpoint saved before it stays as it was, and
    /// the message says where it is.
    func testDivergingRunKeepsTheLastGoodCheckpoint() throws {
        var good = options(corpus())
        good.maxSteps = 4
        good.evaluateEvery = 2
        try Trainer(options: good).run()
        let saved = try Data(contentsOf: URL(fileURLWithPath: good.outputFolder! + "/" + Checkpoint.modelFile))

        var wild = good
        wild.learningRate = 1e12
        wild.maxSteps = 40
        XCTAssertThrowsError(try Trainer(options: wild).run()) { error in
            XCTAssertTrue("\(error)".contains("The last good checkpoint is kept in \(good.outputFolder!)"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: good.outputFolder! + "/" + Checkpoint.modelFile)), saved)
        let model = try Checkpoint(contentsOf: good.outputFolder!).makeModel()
        XCTAssertTrue(model.allValues.allSatisfy(\.isFinite))
    }

    /// A second run on a folder in use is refused, naming the process; once the first lets go, a
    /// new run proceeds.
    func testRunFolderInUseIsRefused() throws {
        var o = options(corpus())
        o.maxSteps = 2
        try FileManager.default.createDirectory(atPath: o.outputFolder!, withIntermediateDirectories: true)
        var holder: RunLock? = try RunLock(folder: o.outputFolder!)
        XCTAssertThrowsError(try Trainer(options: o).run()) { error in
            XCTAssertTrue("\(error)".contains("in use by another training run (process \(getpid()))"), "\(error)")
        }
        XCTAssertNotNil(holder)
        holder = nil
        XCTAssertNoThrow(try Trainer(options: o).run())
    }

    /// The resume file carries its own weights, so an older resume file beside newer weights
    /// resumes the older run whole: its step, its weights, never a mix of the two.
    func testStaleResumeFileResumesItsOwnWeights() throws {
        var o = options(corpus())
        o.maxSteps = 3
        o.evaluateEvery = 3
        try Trainer(options: o).run()
        let folder = o.outputFolder!
        let resume = folder + "/" + Checkpoint.resumeFile, latest = folder + "/" + Checkpoint.latestFile
        let oldResume = try Data(contentsOf: URL(fileURLWithPath: resume))
        let weightsAtThree = try Checkpoint(contentsOf: latest).weights
        let more = try Trainer(resuming: folder) { $0.maxSteps = 6 }
        try more.run()
        try oldResume.write(to: URL(fileURLWithPath: resume))
        let resumed = try Trainer(resuming: folder) { $0.maxSteps = 9 }
        XCTAssertEqual(resumed.progress.step, 3)
        XCTAssertEqual(resumed.model.weightTensors().map { $0.1 }, weightsAtThree.order.map { weightsAtThree[$0]! })
        XCTAssertNotEqual(try Checkpoint(contentsOf: latest).summary.steps, 3)
    }

    /// A temporary file left by a writer killed mid-save is gone once a run takes the folder.
    func testLeftoverTemporaryFilesAreRemoved() throws {
        var o = options(corpus())
        o.maxSteps = 1
        try FileManager.default.createDirectory(atPath: o.outputFolder!, withIntermediateDirectories: true)
        let leftover = o.outputFolder! + "/.latest.safetensors.tmp-99999"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: leftover))
        try Trainer(options: o).run()
        XCTAssertFalse(FileManager.default.fileExists(atPath: leftover))
        XCTAssertTrue(FileManager.default.fileExists(atPath: o.outputFolder! + "/" + Checkpoint.latestFile))
    }

    func testEarlyStopping() throws {
        var o = options(corpus())
        o.epochs = 50
        o.evaluateEvery = 2
        o.learningRate = 0.5 // too high for Adam: validation soon stops improving
        o.patience = 2
        let outcome = try Trainer(options: o).run()
        XCTAssertEqual(outcome.reason, .earlyStopping)
    }

    /// A share of the time too small for any validation during the run skips every scheduled one
    /// but not the last (and still saves where the run stands).
    func testValidationShareSkipsScheduledValidationsButNeverTheLast() throws {
        var o = options(corpus())
        o.epochs = 3
        o.evaluateEvery = 20
        let steps = try Trainer(options: o).run().steps
        let all = try Checkpoint(contentsOf: o.outputFolder!).summary.history.map(\.step)
        XCTAssertGreaterThan(all.count, 5, "every 20 steps and at each epoch's end")
        XCTAssertEqual(all.last, steps)

        o.outputFolder = folder + "/tiny"
        o.validationShare = 1e-9
        o.evaluateEvery = nil
        let stepsPerEpoch = steps / 3
        var savedAtEpochEnd: Int?
        var skips: [ValidationSkip] = []
        let outcome = try Trainer(options: o).run(events: { event in
            // The skipped validation at the first epoch's end saved the latest weights there.
            if case .step(let report) = event, report.step == stepsPerEpoch + 1 {
                savedAtEpochEnd = try? Checkpoint(contentsOf: o.outputFolder! + "/" + Checkpoint.latestFile).summary.steps
            }
            if case .validationSkipped(let skip) = event { skips.append(skip) }
            return .proceed
        })
        XCTAssertEqual(savedAtEpochEnd, stepsPerEpoch)
        // Each skip is reported: at the first two epochs' ends (the third's is the last validation).
        XCTAssertEqual(skips.map(\.step), [stepsPerEpoch, 2 * stepsPerEpoch])
        XCTAssertEqual(skips.first?.share, 1e-9)
        XCTAssertEqual(skips.first?.spentSeconds, 0)
        XCTAssertGreaterThan(skips.first?.expectedSeconds ?? 0, 0)
        let history = try Checkpoint(contentsOf: o.outputFolder!).summary.history
        XCTAssertEqual(history.map(\.step), [steps], "only the last validation")
        XCTAssertEqual(outcome.bestValidationLoss, history[0].validationLoss)
    }

    /// The allowance the trainer asks before each scheduled validation: 30-second validations
    /// within 5% of the time run at 600 s and 1,200 s of a 1,500-second run, and not between.
    func testValidationAllowanceSpreadsValidationsOverTheRun() {
        var spent = 0.0, ran: [Int] = []
        for elapsed in (Array(stride(from: 90, through: 1500, by: 90)) + [600, 1200]).sorted() {
            if ValidationAllowance.affords(share: 0.05, elapsed: Double(elapsed), spent: spent, expected: 30) {
                ran.append(elapsed)
                spent += 30
            }
        }
        XCTAssertEqual(ran, [600, 1200])
        // Before any validation the cost is the tokens at 2.5 times the training speed.
        XCTAssertEqual(ValidationAllowance.expectedSeconds(last: nil, validationTokens: 200_000, trainingTokensPerSecond: 2_000), 40)
        XCTAssertEqual(ValidationAllowance.expectedSeconds(last: 12, validationTokens: 200_000, trainingTokensPerSecond: 2_000), 12)
    }

    func testBadInputs() throws {
        let tiny = folder + "/tiny.txt"
        try "abc".write(toFile: tiny, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Trainer(options: options(tiny))) { XCTAssertTrue("\($0)".contains("too short"), "\($0)") }

        let path = corpus()
        let foreign = folder + "/foreign.txt"
        try "ξψζωω".write(toFile: foreign, atomically: true, encoding: .utf8)
        var o = options(path)
        o.validationFile = foreign
        XCTAssertThrowsError(try Trainer(options: o)) { XCTAssertTrue("\($0)".contains("none of its"), "\($0)") }

        o = options(path)
        o.tieWeights = true
        // Library errors are typed and name settings as the API spells them, never CLI flags.
        XCTAssertThrowsError(try Trainer(options: o)) { error in
            guard case QuillError.invalidSetting(let invalid) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(invalid.setting, .tieWeights)
            XCTAssertEqual(invalid.related, [.embeddingSize, .hiddenSize])
            XCTAssertEqual(invalid.message, "tieWeights needs embeddingSize equal to hiddenSize (got 16 and 32)")
            XCTAssertEqual(invalid.describe { "<\($0.rawValue)>" }, "<tieWeights> needs <embeddingSize> equal to <hiddenSize> (got 16 and 32)")
        }
        let changes: [(Setting, String, (inout TrainingOptions) -> Void)] = [
            (.hiddenSize, "0", { $0.hiddenSize = 0 }), (.learningRate, "-1.0", { $0.learningRate = -1 }),
            (.batchSize, "0", { $0.batchSize = 0 }), (.sequenceLength, "0", { $0.sequenceLength = 0 }),
            (.layers, "-1", { $0.layers = -1 }), (.learningRateDecay, "2.0", { $0.learningRateDecay = 2 }),
        ]
        for (setting, value, change) in changes {
            var bad = options(path)
            change(&bad)
            XCTAssertThrowsError(try Trainer(options: bad)) { error in
                guard case QuillError.invalidSetting(let invalid) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(invalid.setting, setting)
                XCTAssertEqual(invalid.value, value)
                XCTAssertFalse(invalid.message.contains("--"), invalid.message)
            }
        }

        XCTAssertThrowsError(try Trainer(resuming: folder + "/nothing-here")) { XCTAssertTrue("\($0)".contains("no resumable run"), "\($0)") }

        // A corrupt resume file, and a corpus whose vocabulary changed.
        var saved = options(path, out: "saved")
        saved.maxSteps = 3
        try Trainer(options: saved).run()
        let other = folder + "/other.txt"
        try String(repeating: "completely different words here\n", count: 200).write(toFile: other, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Trainer(resuming: saved.outputFolder!) { $0.corpus = other }) {
            XCTAssertTrue("\($0)".contains("different vocabulary"), "\($0)")
        }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: saved.outputFolder! + "/resume.safetensors"))
        XCTAssertThrowsError(try Trainer(resuming: saved.outputFolder!)) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
    }
}
