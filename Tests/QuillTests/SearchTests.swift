import Foundation
import Quill
import QuillKernels
import XCTest

/// `quill search`: the plan's arithmetic, the space file, and whole searches on a small text with
/// rungs counted in steps (so decisions are reproducible): promotions, the kept checkpoint,
/// failed trials, determinism and resuming after a stop.
final class SearchTests: XCTestCase {
    var folder = ""

    override func setUp() {
        folder = SharedData.temporaryFolder(self)
    }

    /// A trial's log line keeps the keys earlier logs have, so an old search resumes; a completed
    /// trial without its loss cannot be read into one.
    func testTrialLogLinesKeepTheirKeysAndACompletedTrialHasItsLoss() throws {
        var rng = SeededGenerator(seed: 1)
        let parameters = SearchSpace(level: .char).sample(&rng)
        var trial = SearchTrial(id: 4, rung: 1, parameters: parameters)
        trial.status = .completed(loss: 1.25)
        let line = String(decoding: try JSONEncoder().encode(trial), as: UTF8.self)
        XCTAssertTrue(line.contains(#""status":"completed""#) && line.contains(#""validationLoss":1.25"#), line)
        XCTAssertEqual(try JSONDecoder().decode(SearchTrial.self, from: Data(line.utf8)), trial)
        trial.status = .failed(message: "diverged")
        let failed = try JSONDecoder().decode(SearchTrial.self, from: try JSONEncoder().encode(trial))
        XCTAssertEqual(failed.status, .failed(message: "diverged"))
        XCTAssertNil(failed.validationLoss)
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertNotNil(object.removeValue(forKey: "validationLoss"))
        let lossless = try JSONSerialization.data(withJSONObject: object)
        XCTAssertThrowsError(try JSONDecoder().decode(SearchTrial.self, from: lossless))
    }

    func testPlanSplitsTheBudgetEvenlyBetweenRungs() throws {
        let plan = try XCTUnwrap(SearchPlan.make(budget: 1800, eta: 3, baseline: false))
        XCTAssertEqual(plan.trials, [9, 3, 1])
        XCTAssertEqual(plan.seconds[0], 1800.0 / 27, accuracy: 1e-9)
        XCTAssertEqual(plan.seconds[2], 600, accuracy: 1e-9)
        // Every rung costs the same, and all of them the budget.
        let costs = zip(plan.trials, plan.seconds).map { Double($0) * $1 }
        for c in costs { XCTAssertEqual(c, 600, accuracy: 1e-9) }
        XCTAssertEqual(SearchPlan.make(budget: 4 * 3600, eta: 3, baseline: false)?.trials, [27, 9, 3, 1])
        XCTAssertEqual(SearchPlan.make(budget: 900, eta: 3, baseline: false)?.trials, [3, 1], "9 trials of 33 s would be too short")
        XCTAssertEqual(SearchPlan.make(budget: 900, eta: 3, baseline: false)?.seconds, [150, 450])
        XCTAssertNil(SearchPlan.make(budget: 200, eta: 3, baseline: false), "two rungs of 45 s trials need 270 s")
        XCTAssertEqual(SearchPlan.make(budget: 1800, eta: 3, firstRungSteps: 10)?.steps, [10, 30, 90])

        // With the baseline beside the winner, the last rung costs two trials: the budget still holds all.
        let compared = try XCTUnwrap(SearchPlan.make(budget: 1800, eta: 3))
        XCTAssertTrue(compared.baseline)
        XCTAssertEqual(compared.trials, [9, 3, 1])
        XCTAssertEqual(compared.seconds, [50, 150, 450])
        let total = zip(compared.trials, compared.seconds).map { Double($0) * $1 }.reduce(0, +) + compared.seconds.last!
        XCTAssertEqual(total, 1800, accuracy: 1e-9)
        XCTAssertEqual(SearchPlan.make(budget: 900, eta: 3)?.seconds, [100, 300])
        XCTAssertNotNil(SearchPlan.make(budget: 405, eta: 3))
        XCTAssertNil(SearchPlan.make(budget: 404, eta: 3), "two rungs of 45 s and the baseline need 405 s")
    }

    /// When setup and validation make the trials overrun (on WikiText-2 words, a rung of nine 50 s
    /// trials took 851 s), the later rungs shrink by one factor so the last still trains the winner
    /// and the baseline for equal times within the budget.
    func testLaterRungsShrinkToPayForOverheads() throws {
        let plan = try XCTUnwrap(SearchPlan.make(budget: 1800, eta: 3))
        // On plan: the plan's own times.
        XCTAssertEqual(plan.secondsPerTrial(rung: 1, left: 1350 + 10, pending: [3, 2], overhead: 2), 150, accuracy: 1e-9)
        XCTAssertEqual(plan.secondsPerTrial(rung: 0, left: 1800, pending: [9, 3, 2], overhead: 0), 50, accuracy: 1e-9)
        // 949 s left for 3 trials of 150 s and 2 of 450 s, each with 45 s of overhead.
        let rung1 = plan.secondsPerTrial(rung: 1, left: 949, pending: [3, 2], overhead: 45)
        XCTAssertEqual(rung1, 150 * (949 - 5 * 45) / 1350, accuracy: 1e-9)
        let rung2 = plan.secondsPerTrial(rung: 2, left: 949 - 3 * (rung1 + 45), pending: [2], overhead: 45)
        XCTAssertEqual(rung2, 3 * rung1, accuracy: 1e-6, "if the estimate holds, the rungs keep their ratio")
        XCTAssertEqual(2 * (rung2 + 45), 949 - 3 * (rung1 + 45), accuracy: 1e-6, "and the last rung spends what is left")
        XCTAssertEqual(plan.secondsPerTrial(rung: 2, left: 50, pending: [2], overhead: 45), 0, "nothing left to train with")
    }

    func testSpaceFileNarrowsAndIsChecked() throws {
        let space = try SearchSpace(json: #"{"hidden": [64, 128], "lr": [0.001, 0.002], "dropout": 0.3, "optimizer": "sgd", "locked_dropout": true}"#)
        XCTAssertEqual(space.hiddenSizes, [64, 128])
        XCTAssertEqual(space.learningRate, 0.001...0.002)
        XCTAssertEqual(space.dropout, 0.3...0.3)
        XCTAssertEqual(space.optimizers, [.sgd])
        XCTAssertEqual(space.layers, SearchSpace().layers, "keys not given keep their defaults")
        var rng = SeededGenerator(seed: 4), again = SeededGenerator(seed: 4)
        for _ in 0..<50 {
            let p = space.sample(&rng)
            XCTAssertTrue(space.contains(p), "\(p)")
            XCTAssertEqual(p, space.sample(&again))
            XCTAssertTrue(space.sgdLearningRate.contains(p.learningRate))
            XCTAssertEqual(p.dropout, 0.3)
            XCTAssertTrue(p.lockedDropout)
            XCTAssertFalse(p.tieWeights, "characters are untied by default")
        }
        let tied = try SearchSpace(json: #"{"hidden": [64, 128], "tie": true}"#)
        var draws = SeededGenerator(seed: 5)
        for _ in 0..<20 {
            let p = tied.sample(&draws)
            XCTAssertTrue(p.tieWeights && p.embeddingSize == p.hiddenSize && tied.contains(p), "\(p)")
        }
        let bad: [(String, String)] = [(#"{"hiden": [1]}"#, "'hiden'"), (#"{"hidden": "big"}"#, "'hidden'"),
                                       (#"{"lr": [0.01, 0.001]}"#, "'lr'"), (#"{"dropout": [0, 1.5]}"#, "'dropout'"),
                                       (#"{"optimizer": ["lamb"]}"#, "'optimizer'"), (#"[1, 2]"#, "JSON object"),
                                       (#"{"layers": [0]}"#, "'layers'"), (#"{"locked_dropout": 1}"#, "'locked_dropout'"),
                                       (#"{"tie": "yes"}"#, "'tie'"), (#"{"attention": 0}"#, "'attention'"),
                                       (#"{"attention": [true, 2.5]}"#, "'attention'"), (#"{"attention": 65537}"#, "'attention'")]
        for (text, named) in bad {
            XCTAssertThrowsError(try SearchSpace(json: text), text) { error in
                XCTAssertTrue("\(error)".contains(named), "\(text): \(error)")
            }
        }
    }

    /// The `attention` key: false, true (the default memory) or memory sizes; a space without it
    /// draws exactly the trials it drew before the key existed, and its trials carry no head.
    func testSpaceFileAttentionKey() throws {
        let plain = SearchSpace(), both = try SearchSpace(json: #"{"attention": [false, true, 64]}"#)
        XCTAssertNil(plain.attentionMemories)
        XCTAssertEqual(both.attentionMemories, [0, ModelConfig.Attention.defaultMemory, 64])
        XCTAssertEqual(try SearchSpace(json: #"{"attention": 512}"#).attentionMemories, [512])
        XCTAssertEqual(try SearchSpace(json: #"{"attention": false}"#).attentionMemories, [0])
        let noHead = try SearchSpace(json: #"{"attention": false}"#)
        var off = SeededGenerator(seed: 9), plainAgain = SeededGenerator(seed: 9)
        var memories = Set<Int>()
        for seed in 0..<40 as Range<UInt64> {
            var a = SeededGenerator(seed: seed), b = SeededGenerator(seed: seed)
            let p = plain.sample(&a), q = both.sample(&b)
            XCTAssertNil(p.attentionMemory)
            XCTAssertEqual(noHead.sample(&off), plain.sample(&plainAgain), "an explicit false draws as no key")
            // The head is drawn after everything else: the rest of the trial is the plain space's.
            var rest = q
            rest.attentionMemory = nil
            XCTAssertEqual(rest, p)
            XCTAssertTrue(both.contains(q) && plain.contains(p), "\(q)")
            XCTAssertEqual(noHead.contains(q), q.attentionMemory == nil, "\(q)")
            memories.insert(q.attentionMemory ?? 0)
            // What a trial sets is what `quill train` receives.
            var options = TrainingOptions(corpus: "", outputFolder: nil)
            q.apply(to: &options)
            XCTAssertEqual(options.attention, q.attentionMemory != nil)
            if let m = q.attentionMemory { XCTAssertEqual(options.attentionMemory, m) }
            XCTAssertEqual(TrialParameters(of: options), q)
        }
        XCTAssertEqual(memories, [0, ModelConfig.Attention.defaultMemory, 64], "every choice is drawn")
        // A trial logged before the key existed reads as one without a head.
        let old = #"{"learningRate":0.002,"hiddenSize":8,"layers":1,"embeddingSize":4,"tieWeights":false,"dropout":0,"weightDrop":0,"#
            + #""embeddingDropout":0,"lockedDropout":false,"sequenceLength":8,"batchSize":4,"optimizer":"adam"}"#
        XCTAssertNil(try JSONDecoder().decode(TrialParameters.self, from: Data(old.utf8)).attentionMemory)
    }

    /// Trials drawn with a head train with it: the kept checkpoint has the memory the trial drew.
    func testAttentionTrialsTrainWithTheHead() throws {
        var s = try settings("attention", space: #"{"hidden": [8], "embed": [4], "layers": [1, 2], "seq_len": [8], "batch": [4], "attention": 5}"#)
        s.budget = 300
        let outcome = try HyperparameterSearch(settings: s).run()
        XCTAssertEqual(outcome.trials.map(\.parameters.attentionMemory), Array(repeating: 5, count: outcome.trials.count))
        let best = try XCTUnwrap(outcome.best)
        let checkpoint = try Checkpoint(contentsOf: folder + "/attention/best")
        XCTAssertEqual(checkpoint.config.attention?.memory, 5)
        XCTAssertEqual(checkpoint.config.layers, best.parameters.layers)
    }

    /// The first trial is what `quill train --max-time T` would train for the last rung's time T,
    /// with its warmup, so the search's winner is measured against the defaults.
    func testFirstTrialIsTheTimeOnlyRecipeForTheLastRung() throws {
        for (budget, hidden, dropout) in [(1800.0, 256, Float(0.1)), (3600, 384, 0.25)] {
            var s = HyperparameterSearch.Settings(base: TrainingOptions(corpus: corpus(), outputFolder: nil), budget: budget,
                                                  space: SearchSpace(), folder: folder + "/recipe\(Int(budget))")
            s.seed = 3
            let search = try HyperparameterSearch(settings: s)
            let last = search.plan.seconds.last!
            XCTAssertEqual(search.recipe, BudgetRecipe.recipe(seconds: last, level: .char))
            let first = try XCTUnwrap(search.candidates.first)
            XCTAssertEqual(first.hiddenSize, hidden, "budget \(budget): last rung \(last) s")
            XCTAssertEqual(first.layers, 2)
            XCTAssertEqual(first.embeddingSize, 128)
            XCTAssertEqual(first.dropout, dropout)
            XCTAssertTrue(first.lockedDropout)
            XCTAssertEqual(first.learningRate, search.recipe.learningRate)
            XCTAssertEqual(first.weightDrop, search.recipe.weightDrop)
            let trial = SearchTrial(id: 0, rung: 0, parameters: first)
            let options = search.options(for: trial, seconds: 60)
            XCTAssertEqual(options.warmupSteps, search.recipe.warmupSteps)
            XCTAssertEqual(options.decayShape, .cosine)
            // Its optimizer, decay and weight average too (AdamW and an average for the longer budget).
            XCTAssertEqual(options.optimizer.kind, search.recipe.optimizer)
            XCTAssertEqual(options.optimizer.weightDecay, search.recipe.weightDecay)
            XCTAssertEqual(options.averageDecay, search.recipe.averageDecay)
            // The rest of the rung is drawn at random, different from the first.
            XCTAssertEqual(search.candidates.count, search.plan.trials[0])
            XCTAssertFalse(search.candidates.dropFirst().contains(first))
        }
        // Word level: the tied recipe, which the word space holds.
        var base = TrainingOptions(corpus: corpus(), outputFolder: nil)
        base.level = .word
        let words = try HyperparameterSearch(settings: .init(base: base, budget: 1800, space: SearchSpace(level: .word),
                                                             folder: folder + "/words"))
        let first = try XCTUnwrap(words.candidates.first)
        XCTAssertTrue(first.tieWeights)
        XCTAssertEqual(first.hiddenSize, words.recipe.hiddenSize)
        XCTAssertEqual(first.embeddingSize, first.hiddenSize)
        XCTAssertEqual(first.dropout, words.recipe.dropout)
        // Tied draws have E = H, untied ones an E from the list.
        for p in words.candidates {
            XCTAssertTrue(p.tieWeights ? p.embeddingSize == p.hiddenSize : SearchSpace(level: .word).embeddingSizes.contains(p.embeddingSize))
        }
        XCTAssertTrue(words.candidates.contains { !$0.tieWeights }, "the word space draws both")
    }

    func corpus() -> String {
        let sentences = ["the keeper lit the lamp", "wind from the west", "a ship passed the rock", "fog until dawn"]
        let text = (0..<120).map { "\($0 % 13) \(sentences[$0 % sentences.count])." }.joined(separator: "\n") + "\n"
        return SharedData.write(text, "corpus.txt", in: folder)
    }

    func settings(_ out: String, space: String = #"{"hidden": [8, 16], "embed": [4, 8], "layers": [1, 2], "seq_len": [8], "batch": [4]}"#) throws
        -> HyperparameterSearch.Settings {
        var s = HyperparameterSearch.Settings(base: TrainingOptions(corpus: corpus(), outputFolder: nil), budget: 1800,
                                              space: try SearchSpace(json: space), folder: folder + "/" + out)
        s.firstRungSteps = 3
        s.seed = 7
        s.baseline = .none
        return s
    }

    /// What a search decided, without the timings.
    func decisions(_ trials: [SearchTrial]) -> [String] {
        trials.map { "\($0.id)/\($0.rung) \($0.parameters) \($0.steps) \($0.validationLoss.map { String($0.bitPattern) } ?? "-") \($0.status)" }
    }

    func testSearchPromotesTheBestAndKeepsItsCheckpoint() throws {
        let search = try HyperparameterSearch(settings: try settings("a"))
        XCTAssertEqual(search.plan.trials, [9, 3, 1])
        var promotions: [[Int]] = []
        let outcome = try search.run(events: { if case .promoted(_, let ids) = $0 { promotions.append(ids) } })
        XCTAssertFalse(outcome.interrupted)
        XCTAssertEqual(outcome.trials.map(\.rung), Array(repeating: 0, count: 9) + [1, 1, 1, 2])
        XCTAssertEqual(outcome.trials.filter { $0.rung == 1 }.map(\.steps), [9, 9, 9])
        // Each rung promotes its three (then one) lowest losses.
        for (rung, promoted) in promotions.enumerated() {
            let expected = outcome.trials.filter { $0.rung == rung }.sorted { $0.validationLoss! < $1.validationLoss! }
                .prefix(search.plan.trials[rung + 1]).map(\.id)
            XCTAssertEqual(promoted, expected, "rung \(rung)")
        }
        let best = try XCTUnwrap(outcome.best)
        XCTAssertEqual(best.validationLoss, outcome.trials.compactMap(\.validationLoss).min())
        // The kept checkpoint is the best trial's model and scores what the search recorded.
        let checkpoint = try Checkpoint(contentsOf: folder + "/a/best")
        XCTAssertEqual(checkpoint.config.hiddenSize, best.parameters.hiddenSize)
        XCTAssertEqual(checkpoint.summary.bestValidationLoss, best.validationLoss)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder + "/a/trials")
        XCTAssertEqual(leftovers, [], "only the best trial's checkpoint is kept")
        // The defaults are in the space's first rung only when the space holds them; here it does not.
        XCTAssertFalse(outcome.trials.contains { $0.parameters.hiddenSize == 256 })

        // Same seed, same trials and decisions.
        let again = try HyperparameterSearch(settings: try settings("b")).run()
        XCTAssertEqual(decisions(again.trials), decisions(outcome.trials))
    }

    func testStoppedSearchResumesToTheSameDecisions() throws {
        let straight = try HyperparameterSearch(settings: try settings("straight")).run()
        var finished = 0
        let first = try HyperparameterSearch(settings: try settings("resumed"))
        let stopped = try first.run(events: { if case .trialFinished = $0 { finished += 1 } }, shouldStop: { finished >= 5 })
        XCTAssertTrue(stopped.interrupted)
        XCTAssertEqual(stopped.trials.count, 5)
        let log = try String(contentsOfFile: folder + "/resumed/search.jsonl", encoding: .utf8)
        let lines = log.split(separator: "\n")
        XCTAssertEqual(lines.count, 7, "a header, one line per finished trial and one for the trial that was stopped")
        XCTAssertTrue(lines.last!.contains(#""kind":"stopped""#), String(lines.last!))
        let resumed = try HyperparameterSearch(resuming: folder + "/resumed").run()
        XCTAssertFalse(resumed.interrupted)
        XCTAssertGreaterThanOrEqual(resumed.seconds, stopped.seconds, "the budget counts the first session, stopped trial included")
        XCTAssertEqual(decisions(resumed.trials), decisions(straight.trials))
    }

    /// The last rung trains the baseline first, then the winner, for as long; the answer is the
    /// better of the two, and a baseline the rungs already promoted is not trained twice.
    func testLastRungComparesTheWinnerWithTheBaseline() throws {
        let yardstick = TrialParameters(learningRate: 0.002, hiddenSize: 12, layers: 1, embeddingSize: 4, dropout: 0, weightDrop: 0,
                                        embeddingDropout: 0, lockedDropout: false, sequenceLength: 8, batchSize: 4, optimizer: .sgd)
        var s = try settings("baseline")
        s.baseline = .parameters(yardstick)
        let search = try HyperparameterSearch(settings: s)
        XCTAssertTrue(search.plan.baseline)
        XCTAssertEqual(search.baselineID, search.plan.trials[0], "outside the space: an extra configuration after the first rung's")
        let outcome = try search.run()
        let last = outcome.trials.filter { $0.rung == 2 }
        XCTAssertEqual(last.count, 2)
        XCTAssertEqual(last.first?.id, search.baselineID, "the baseline trains first")
        XCTAssertEqual(last.first?.parameters, yardstick)
        XCTAssertEqual(last.map(\.steps), [27, 27], "as long as the winner")
        XCTAssertFalse(outcome.trials.dropLast(2).contains { $0.id == search.baselineID }, "it trains at the last rung only")
        let baseline = try XCTUnwrap(outcome.baseline)
        XCTAssertEqual(baseline.id, search.baselineID)
        XCTAssertEqual(outcome.best?.validationLoss, last.compactMap(\.validationLoss).min())

        // A baseline that is one of the candidates and reaches the last rung on its merits trains once there.
        let again = try HyperparameterSearch(settings: try settings("merit"))
        let promoted = try XCTUnwrap(again.run().trials.first { $0.rung == 2 })
        var t = try settings("merit2")
        t.baseline = .parameters(promoted.parameters)
        let both = try HyperparameterSearch(settings: t)
        XCTAssertEqual(both.baselineID, promoted.id)
        let run = try both.run()
        XCTAssertEqual(run.trials.filter { $0.rung == 2 }.map(\.id), [promoted.id])
        XCTAssertEqual(run.baseline?.id, promoted.id)
    }

    func testDivergingTrialsFailWithoutStoppingTheSearch() throws {
        // Learning rates this large blow up at once: every trial fails, and the search says so.
        let s = try settings("diverge", space: #"{"hidden": [8], "embed": [4], "layers": [1], "seq_len": [8], "batch": [4], "lr": 100000, "optimizer": "sgd", "sgd_lr": 100000}"#)
        let outcome = try HyperparameterSearch(settings: s).run()
        XCTAssertEqual(outcome.trials.count, 9, "nothing is promoted from a rung where every trial failed")
        XCTAssertTrue(outcome.trials.allSatisfy { trial in
            if case .failed(let message) = trial.status { return !message.isEmpty && trial.validationLoss == nil }
            return false
        })
        XCTAssertNil(outcome.best)
    }
}

extension CLITests {
    /// `quill search --json` prints every trial and the best with a command that trains as given;
    /// bad budgets, spaces and resumes are one-line usage errors.
    func testSearchCommandPrintsJSONAndARunnableWinner() throws {
        let corpus = write(String(repeating: "the keeper lit the lamp at dusk.\nwind from the west.\n", count: 60), "c.txt")
        let space = write(#"{"hidden": [8, 12], "embed": [4], "layers": [1], "seq_len": [8], "batch": [4], "attention": [false, 4]}"#, "space.json")
        // (The baseline, a 2 × 256 model, is left out to keep the test quick; SearchTests covers it.)
        let run = try quill(["search", corpus, "--budget", "5m", "--rung-steps", "2", "--space", space, "--json", "--out", "s", "--no-baseline"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertTrue(object["baseline"] is NSNull)
        let trials = try XCTUnwrap(object["trials"] as? [[String: Any]])
        XCTAssertEqual(trials.map { $0["rung"] as? Int }, [0, 0, 0, 1], "300 s: 3 trials, then the best for 3× the steps")
        XCTAssertEqual(trials.map { $0["steps"] as? Int }, [2, 2, 2, 6])
        let best = try XCTUnwrap(object["best"] as? [String: Any])
        let command = try XCTUnwrap(best["command"] as? String)
        XCTAssertTrue(command.hasPrefix("quill train \(corpus) --hidden "), command)
        for absent in ["--out", "--max-time", "--epochs", "--val "] { XCTAssertFalse(command.contains(absent), command) }
        // What a time-only recipe would otherwise choose is spelt out, so `--max-time` alone changes nothing.
        for present in ["--optimizer ", "--lr ", "--schedule cosine", "--warmup ", "--weight-decay ", "--ema "] {
            XCTAssertTrue(command.contains(present), command)
        }
        XCTAssertTrue(run.stderr.contains("top 3:") && run.stderr.contains(command), run.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/s/best/model.safetensors"))

        // The command runs as printed (plus a limit and a folder) and trains the winner's shape.
        let words = command.split(separator: " ").map(String.init).dropFirst()
        let trained = try quill(Array(words) + ["--max-steps", "2", "--out", "w", "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let params = try XCTUnwrap(best["params"] as? [String: Any])
        let info = try quill(["info", "w"])
        XCTAssertTrue(info.stdout.contains("1 × \(params["hidden"] as! Int) hidden"), info.stdout)
        // The head, when the winner drew one, is in the command and in the model it trains.
        let attended = params["attention"] as? Int == 4
        XCTAssertTrue(attended || params["attention"] as? Bool == false, "\(params)")
        XCTAssertEqual(command.contains("--attention --attention-memory 4 "), attended, command)
        XCTAssertEqual(info.stdout.contains("memory 4 positions"), attended, info.stdout)

        assertError(try quill(["search", corpus, "--out", "t"]), status: 2, "--budget")
        assertError(try quill(["search", corpus, "--budget", "2m", "--out", "t"]), status: 2, "too short")
        assertError(try quill(["search", corpus, "--budget", "5m", "--space", write("{\"hiden\": 1}", "bad.json"), "--out", "t"]),
                    status: 2, "hiden")
        assertError(try quill(["search", "--resume", "s", "--budget", "5m"]), status: 2, "--resume")
        assertError(try quill(["search", corpus, "--budget", "5m", "--out", "s"]), status: 2, "already holds a search")
    }
}
