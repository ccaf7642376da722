import Foundation
import Quill
import XCTest

/// Fine-tuning from a checkpoint, the unknown-token policies, pretrained embeddings, resuming
/// with new learning-rate settings, and training in memory.
final class FineTuningTests: XCTestCase {
    var folder = ""

    override func setUp() { folder = SharedData.temporaryFolder(self) }

    func write(_ text: String, _ name: String) -> String { SharedData.write(text, name, in: folder) }

    var baseText: String {
        let sentences = ["the keeper lit the lamp", "wind from the west", "a ship passed the rock", "fog until dawn"]
        return (0..<200).map { "\(sentences[$0 % sentences.count])." }.joined(separator: "\n") + "\n"
    }

    func options(_ corpus: String, out: String) -> TrainingOptions {
        var o = TrainingOptions(corpus: corpus, outputFolder: folder + "/" + out)
        o.embeddingSize = 12
        o.hiddenSize = 24
        o.batchSize = 4
        o.sequenceLength = 12
        o.maxSteps = 12
        return o
    }

    func trainBase(level: TokenLevel = .char) throws -> String {
        var o = options(write(baseText, "base.txt"), out: "base-\(level)")
        o.level = level
        try Trainer(options: o).run()
        return o.outputFolder!
    }

    func testFineTuningStartsFromTheBaseWeightsAndKeepsItsVocabulary() throws {
        let base = try trainBase()
        let baseCheckpoint = try Checkpoint(contentsOf: base)
        // New text, a subset of the base's characters; model flags asked for here are overridden.
        var o = options(write(String(repeating: "the lamp was lit at dusk.\n", count: 60), "new.txt"), out: "tuned")
        o.baseCheckpoint = base
        o.hiddenSize = 999
        o.learningRate = 0.0005
        let trainer = try Trainer(options: o)
        XCTAssertEqual(trainer.options.hiddenSize, 24)
        XCTAssertEqual(trainer.data.vocabulary, baseCheckpoint.vocabulary)
        XCTAssertEqual(trainer.model.allValues, try baseCheckpoint.makeModel().allValues)
        XCTAssertEqual(trainer.optimizer.stepCount, 0)
        try trainer.run()
        XCTAssertNotEqual(trainer.model.allValues, try baseCheckpoint.makeModel().allValues)
        let tuned = try Checkpoint(contentsOf: o.outputFolder!)
        XCTAssertEqual(tuned.vocabulary, baseCheckpoint.vocabulary)
        XCTAssertEqual(tuned.config.hiddenSize, 24)
    }

    func testUnknownCharactersAreRefusedSkippedOrReadAsUnknown() throws {
        let base = try trainBase()
        let text = write(String(repeating: "the lamp — Élodie's lamp.\n", count: 60), "accents.txt")
        var o = options(text, out: "refused")
        o.baseCheckpoint = base
        XCTAssertThrowsError(try Trainer(options: o)) { error in
            guard case QuillError.invalidSetting(let invalid) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(invalid.setting, .unknownPolicy)
            // 'É', 'o' is known; '—', 'É', 'd' is known… only characters absent from the base text count.
            XCTAssertTrue(invalid.message.contains("distinct"), invalid.message)
            XCTAssertTrue(invalid.message.contains("—"), invalid.message)
        }
        o.unknownPolicy = .skip
        let skipped = try Trainer(options: o)
        let missing = try XCTUnwrap(skipped.data.missing)
        let total = missing.training + missing.validation
        XCTAssertGreaterThan(total, 0)
        XCTAssertEqual(missing.policy, .skip)
        let characters = String(repeating: "the lamp — Élodie's lamp.\n", count: 60).unicodeScalars.count
        XCTAssertEqual(skipped.data.trainIDs.count + skipped.data.validationIDs.count, characters - total)
        XCTAssertFalse(skipped.data.trainIDs.contains(skipped.data.vocabulary.unknownID!))

        o.unknownPolicy = .unk
        o.outputFolder = folder + "/unk"
        let mapped = try Trainer(options: o)
        XCTAssertEqual(mapped.data.trainIDs.count + mapped.data.validationIDs.count, characters)
        let unk = mapped.data.vocabulary.unknownID!
        XCTAssertEqual(mapped.data.trainIDs.filter { $0 == unk }.count, missing.training)
    }

    func testResumedFineTuningIsBitExactAndMayChangeTheLearningRate() throws {
        let base = try trainBase()
        let text = write(String(repeating: "the lamp was lit at dusk.\n", count: 60), "new.txt")
        var o = options(text, out: "straight")
        o.baseCheckpoint = base
        o.maxSteps = 20
        o.dropout = 0.2
        let straight = try Trainer(options: o)
        try straight.run()

        var first = o
        first.outputFolder = folder + "/stopped"
        first.maxSteps = 9
        try Trainer(options: first).run()
        // The base checkpoint is not needed again: the resume file holds the vocabulary.
        try FileManager.default.removeItem(atPath: base)
        let resumed = try Trainer(resuming: first.outputFolder!) { $0.maxSteps = 20 }
        try resumed.run()
        XCTAssertEqual(resumed.model.allValues.map(\.bitPattern), straight.model.allValues.map(\.bitPattern))

        // A new learning rate replaces the current one from the resumed step on.
        let retuned = try Trainer(resuming: first.outputFolder!) { $0.maxSteps = 24; $0.learningRate = 0.0001 }
        XCTAssertEqual(retuned.progress.schedule.learningRate, 0.0001)
        // Settings that define the run cannot change.
        XCTAssertThrowsError(try Trainer(resuming: first.outputFolder!) { $0.batchSize = 2 }) {
            XCTAssertTrue("\($0)".contains("may change only"), "\($0)")
        }
    }

    func testPretrainedEmbeddingsInitialiseCoveredRowsAndFreezeKeepsThem() throws {
        let text = write(baseText, "words.txt")
        // GloVe's form (lower case, no header) for some words ("lamp." ends in a period in the text); word2vec's header is tested below.
        let vectors: [String: [Float]] = ["the": [0.5, -0.25, 1, 0.125], "keeper": [1, 2, 3, 4], "wind": [-1, 0, 1, 0.5],
                                          "zebra": [9, 9, 9, 9]]
        let lines = vectors.sorted { $0.key < $1.key }.map { word, v in ([word] + v.map { "\($0)" }).joined(separator: " ") }
        let file = write(lines.joined(separator: "\n") + "\n", "vectors.txt")
        var o = options(text, out: "glove")
        o.level = .word
        o.embeddingSize = 4
        o.embeddingsFile = file
        o.freezeEmbeddings = true
        let trainer = try Trainer(options: o)
        let coverage = try XCTUnwrap(trainer.embeddingCoverage)
        XCTAssertEqual(coverage.vectors, 4)
        XCTAssertEqual(coverage.exact, 3) // "zebra" is not in the vocabulary
        XCTAssertEqual(coverage.dimension, 4)
        let vocabulary = trainer.data.vocabulary
        func row(_ word: String) -> [Float] {
            let id = vocabulary.id(for: word)!
            return Array(trainer.model.values("encoder.weight")![(id * 4)..<(id * 4 + 4)])
        }
        XCTAssertEqual(row("keeper"), [1, 2, 3, 4])
        let before = trainer.model.values("encoder.weight")!
        let otherBefore = trainer.model.values("decoder.weight")!
        try trainer.run()
        XCTAssertEqual(trainer.model.values("encoder.weight")!, before, "frozen")
        XCTAssertNotEqual(trainer.model.values("decoder.weight")!, otherBefore, "the rest trains")
        XCTAssertEqual(try Checkpoint(contentsOf: o.outputFolder!).makeModel().values("encoder.weight")!, before)

        // word2vec's header line, a capitalised vocabulary word matched in lower case, and a
        // dimension that does not fit the embedding.
        let capital = write("Fog rolled in.\nThe lamp.\n" + baseText, "capital.txt")
        let w2v = write("2 4\nfog 1 1 1 1\nthe 2 2 2 2\n", "w2v.txt")
        var c = options(capital, out: "w2v")
        c.level = .word
        c.embeddingSize = 4
        c.embeddingsFile = w2v
        let cased = try XCTUnwrap(try Trainer(options: c).embeddingCoverage)
        XCTAssertEqual(cased.vectors, 2)
        XCTAssertEqual(cased.exact, 2) // "fog" and "the"
        XCTAssertEqual(cased.lowercase, 2) // "Fog" and "The"
        c.embeddingSize = 8
        XCTAssertThrowsError(try Trainer(options: c)) { error in
            guard case QuillError.invalidSetting(let invalid) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(invalid.related, [.embeddingSize])
            XCTAssertTrue(invalid.message.contains("4-dimensional"), invalid.message)
        }
    }

    func testTrainingInMemoryWritesNoFiles() throws {
        var o = TrainingOptions(corpus: "in memory", outputFolder: nil)
        o.embeddingSize = 8
        o.hiddenSize = 16
        o.batchSize = 4
        o.sequenceLength = 8
        o.maxSteps = 15
        let trainer = try Trainer(options: o, text: baseText)
        let before = FileManager.default.currentDirectoryPath
        let outcome = try trainer.run()
        XCTAssertEqual(outcome.steps, 15)
        XCTAssertNil(outcome.folder)
        XCTAssertEqual(trainer.progress.history.count, 1)
        XCTAssertEqual(FileManager.default.currentDirectoryPath, before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
        // The same text from a file trains the same bits.
        var fromFile = o
        fromFile.corpus = write(baseText, "same.txt")
        let twin = try Trainer(options: fromFile)
        try twin.run()
        XCTAssertEqual(twin.model.allValues, trainer.model.allValues)
    }

    func testSamplesAndKeptCheckpointsLeaveTrainingUnchanged() throws {
        let text = write(baseText, "samples.txt")
        var plain = options(text, out: "plain")
        plain.maxSteps = 30
        plain.evaluateEvery = 6
        plain.dropout = 0.2
        let reference = try Trainer(options: plain)
        try reference.run()

        var o = plain
        o.outputFolder = folder + "/sampled"
        o.sampleEvery = 2
        o.sampleLength = 25
        o.samplePrompt = "the "
        o.keepCheckpoints = 2
        let trainer = try Trainer(options: o)
        var samples: [TrainingSample] = []
        try trainer.run { event in
            if case .sampled(let s) = event { samples.append(s) }
            return .proceed
        }
        XCTAssertEqual(trainer.model.allValues.map(\.bitPattern), reference.model.allValues.map(\.bitPattern),
                       "sampling draws from its own generator")
        let validations = trainer.progress.history.map(\.step)
        XCTAssertEqual(samples.map(\.step), validations.enumerated().filter { ($0.offset + 1) % 2 == 0 }.map(\.element))
        XCTAssertTrue(samples.allSatisfy { $0.prompt == "the " && $0.text.unicodeScalars.count == 25 })
        let log = try String(contentsOfFile: o.outputFolder! + "/" + Trainer.samplesFile, encoding: .utf8)
        XCTAssertEqual(log.components(separatedBy: "=== step ").count - 1, samples.count)
        XCTAssertTrue(log.contains("the " + samples.last!.text))
        let kept = try FileManager.default.contentsOfDirectory(atPath: o.outputFolder!).filter { $0.hasPrefix("step-") }.sorted()
        XCTAssertEqual(kept, validations.suffix(2).map { String(format: "step-%07d.safetensors", $0) })
        XCTAssertEqual(try Checkpoint(contentsOf: o.outputFolder! + "/" + kept.last!).summary.steps, validations.last)
        // Samples are a function of the weights and the step: the same run samples the same text.
        var again = o
        again.outputFolder = folder + "/again"
        var second: [TrainingSample] = []
        try Trainer(options: again).run { event in
            if case .sampled(let s) = event { second.append(s) }
            return .proceed
        }
        XCTAssertEqual(second.map(\.text), samples.map(\.text))
    }
}
