import Foundation
import QuillCore
import QuillKernels
import QuillTraining

/// Hyper-parameter search under a wall-clock budget: configurations drawn at random from a
/// `SearchSpace` (first the configuration a time-only `quill train` would choose for the last
/// rung's time, `BudgetRecipe`, when the space holds it), trained one after another by
/// successive halving (`SearchPlan`); with trials run in sequence this makes the same decisions
/// as ASHA. Each trial is a real training run on all cores with a cosine schedule over its own
/// budget, as the winner's command will train. Trials that diverge or cannot run are recorded as
/// failed and never promoted. The last rung also trains a baseline for as long as the winner (by
/// default the recipe itself): the search's answer is then measured against the defaults at equal
/// time, and is the defaults when they win.
///
/// The folder holds `search.jsonl` (resumable, see `SearchLog`) and `best/`, the checkpoint folder
/// of the best trial so far.
public final class HyperparameterSearch {
    /// What to search and for how long.
    public struct Settings: Codable, Equatable, Sendable {
        /// The options every trial starts from (corpus, level, validation, seed, ...); the sampled
        /// parameters replace theirs, and the limits are the search's.
        public var base: TrainingOptions
        /// Wall-clock seconds for the whole search.
        public var budget: Double
        /// The ranges trials are drawn from.
        public var space: SearchSpace
        /// Each rung keeps the best 1/η and trains them η times longer.
        public var eta = 3
        /// Seed of the sampling (trials train with `base.seed`).
        public var seed: UInt64 = 1
        /// When set, rung k trains each trial for `firstRungSteps`·η^k steps rather than for a time,
        /// so a repeated search makes the same decisions (the budget still bounds the whole search).
        public var firstRungSteps: Int?
        /// Where the log and the best trial's checkpoint go.
        public var folder: String
        /// What the last rung compares the winner with.
        public var baseline = Baseline.recipe

        /// A search of `base.corpus` for `budget` seconds into `folder`.
        public init(base: TrainingOptions, budget: Double, space: SearchSpace, folder: String) {
            self.base = base
            self.budget = budget
            self.space = space
            self.folder = folder
        }
    }

    /// The configuration the last rung trains beside the winner.
    public enum Baseline: Codable, Equatable, Sendable {
        /// None: the last rung trains the winner alone.
        case none
        /// What `quill train --max-time T` would train for the last rung's time T (`BudgetRecipe`).
        case recipe
        /// These parameters.
        case parameters(TrialParameters)
    }

    /// What a search reports as it goes.
    public enum Event: Sendable {
        /// The plan, before the first trial (and on resuming, with the trials already done).
        case planned(SearchPlan, done: [SearchTrial])
        /// A trial is about to train for at most this many seconds.
        case trialStarted(SearchTrial, seconds: Double)
        /// A trial ended; `best` when it is the best so far (its checkpoint is now `best/`).
        case trialFinished(SearchTrial, best: Bool)
        /// A rung ended and these configurations go on to the next.
        case promoted(rung: Int, ids: [Int])
        /// A rung's trials train for less than the plan's time, because the trials before them took
        /// longer than planned (setup and validation are not in the plan).
        case shortened(rung: Int, seconds: Double)
    }

    /// How a search ended.
    public struct Outcome: Sendable {
        /// Every trial, in the order they ran.
        public let trials: [SearchTrial]
        /// The trial with the lowest validation loss.
        public let best: SearchTrial?
        /// Stopped by the caller; `--resume` continues it.
        public let interrupted: Bool
        /// Seconds the search has used, over all sessions.
        public let seconds: Double
        /// The baseline's run at the last rung, when it ran (it may be `best`).
        public let baseline: SearchTrial?
    }

    /// The settings.
    public let settings: Settings
    /// The rungs.
    public let plan: SearchPlan
    /// Trials finished so far.
    public private(set) var trials: [SearchTrial]
    /// Seconds spent on trials that were stopped before they finished (and will run again).
    private var stoppedSeconds = 0.0
    private let log: SearchLog
    /// What the last trial took to read its text and build its model, which the time left for the
    /// next trial must cover besides its training.
    private var setupSeconds = 0.0

    /// The folder with the best trial's checkpoint.
    public static let bestFolder = "best"

    /// A new search; throws when the budget is not a time `TimeSpan` takes or too short for two
    /// rungs, or the corpus cannot be read.
    public init(settings: Settings) throws {
        try settings.base.validate()
        guard settings.eta >= 2 else {
            throw QuillError.invalidValue(name: "eta", value: "\(settings.eta)", problem: "each rung keeps the best 1/eta, so eta must be at least 2")
        }
        try TimeSpan.check(settings.budget, name: "budget")
        if let steps = settings.firstRungSteps, steps < 1 {
            throw QuillError.invalidValue(name: "firstRungSteps", value: "\(steps)", problem: "a rung trains at least 1 step")
        }
        let baseline = settings.baseline != .none
        guard let plan = SearchPlan.make(budget: settings.budget, eta: settings.eta, firstRungSteps: settings.firstRungSteps,
                                         baseline: baseline) else {
            let least = Double(baseline ? 3 : 2) * 45 * Double(settings.eta)
            let needed = least <= TimeSpan.maximumSeconds ? "\(Int(least)) s" : "more than \(TimeSpan.maximumText)"
            throw QuillError.invalidValue(name: "budget", value: "\(Int(settings.budget)) s",
                                          problem: "too short: a search needs at least \(needed) (two rungs, 45 s a trial\(baseline ? ", and the baseline" : ""))")
        }
        if settings.space.vocabularySizes != nil, settings.base.level != .bpe || settings.base.tokenizerFile != nil {
            throw QuillError.invalidValue(name: "the search space's vocab_size", value: "\(settings.space.vocabularySizes!)",
                                          problem: "vocabulary sizes are searched only at the bpe level, with merges learned from the text (not a --tokenizer file)")
        }
        // A bpe search learns the time-only recipe's vocabulary size unless the base has one, written
        // into the base so the log keeps it (a log from before the recipe had one resumes at 2,048).
        var settings = settings
        if settings.base.level == .bpe, settings.base.tokenizerFile == nil, settings.base.bytePairVocabularySize == nil {
            settings.base.bytePairVocabularySize = BudgetRecipe.recipe(seconds: plan.seconds.last!, level: .bpe).bytePairVocabularySize
        }
        // Read the text once now, so a bad corpus fails here rather than as every trial.
        _ = try TrainingData(options: settings.base, vocabulary: nil)
        self.settings = settings
        self.plan = plan
        trials = []
        log = SearchLog(folder: settings.folder)
        try Self.makeFolder(settings.folder)
        try log.create(settings: settings, plan: plan)
    }

    /// Continues the search saved in `folder` with what is left of its budget.
    public init(resuming folder: String) throws {
        log = SearchLog(folder: folder)
        var (settings, plan, trials, stopped) = try log.read()
        // A log edited by hand must not bring back a time the settings refuse.
        if let problem = ([settings.budget] + plan.seconds).lazy.compactMap(TimeSpan.problem).first {
            throw QuillError.badCheckpoint(path: folder + "/search.jsonl", problem: "the search's budget or rung times are out of range: a time \(problem)")
        }
        settings.folder = folder
        self.settings = settings
        self.plan = plan
        self.trials = trials
        stoppedSeconds = stopped
    }

    private static func makeFolder(_ folder: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder + "/trials", withIntermediateDirectories: true)
        } catch {
            throw QuillError.io(path: folder, problem: "cannot create the search folder (is a file in the way, or is its parent read-only?)")
        }
    }

    /// What `quill train --max-time` would train with for as long as the last rung's trials: the
    /// point the search starts from, so that its winner is measured against the defaults.
    package var recipe: BudgetRecipe {
        BudgetRecipe.recipe(seconds: plan.seconds.last!, level: settings.base.level)
    }

    /// The recipe's parameters.
    public var recipeParameters: TrialParameters {
        var options = TrainingOptions(corpus: "", outputFolder: nil)
        options.level = settings.base.level
        recipe.apply(to: &options, keeping: [])
        var parameters = TrialParameters(of: options)
        // A space that searches the size holds the recipe only at the run's own size.
        if settings.space.vocabularySizes != nil {
            parameters.vocabularySize = settings.base.effectiveBytePairVocabularySize
        }
        return parameters
    }

    /// The configurations of the first rung, in order: the same for the same seed and space. The
    /// recipe's configuration comes first when the space holds it (else the library defaults, when
    /// it holds those).
    public var candidates: [TrialParameters] { Array(configurations.prefix(plan.trials[0])) }

    /// The baseline's parameters, if the search has one.
    public var baselineParameters: TrialParameters? {
        switch settings.baseline {
        case .none: nil
        case .recipe: recipeParameters
        case .parameters(let p): p
        }
    }

    /// The baseline's id.
    public var baselineID: Int? { baselineParameters.flatMap(configurations.firstIndex(of:)) }

    /// Every configuration's parameters by id: the first rung's draws, then the baseline when it is
    /// not one of them (it then trains at the last rung only). Drawn once: settings and plan are fixed.
    private lazy var configurations: [TrialParameters] = {
        var rng = SeededGenerator(seed: settings.seed)
        var list: [TrialParameters] = []
        let defaults = TrialParameters(of: TrainingOptions(corpus: "", outputFolder: nil))
        if let first = [recipeParameters, defaults].first(where: settings.space.contains) { list.append(first) }
        while list.count < plan.trials[0] { list.append(settings.space.sample(&rng)) }
        guard let baseline = baselineParameters, !list.contains(baseline) else { return list }
        return list + [baseline]
    }()

    /// Runs (or continues) the search until every rung is done, the budget is spent or
    /// `shouldStop` answers true (the trial then running is dropped, to be rerun on resuming).
    public func run(events: (Event) -> Void = { _ in }, shouldStop: @escaping () -> Bool = { false }) throws -> Outcome {
        try Self.makeFolder(settings.folder)
        let lock = try RunLock(folder: settings.folder)
        defer { withExtendedLifetime(lock) {} }
        let sessionStart = MonotonicClock.seconds()
        let spentBefore = trials.reduce(stoppedSeconds) { $0 + $1.seconds }
        func remaining() -> Double { settings.budget - spentBefore - (MonotonicClock.seconds() - sessionStart) }
        let last = plan.trials.count - 1, baselineID = self.baselineID
        func outcome(interrupted: Bool) -> Outcome {
            Outcome(trials: trials, best: bestTrial, interrupted: interrupted,
                    seconds: spentBefore + MonotonicClock.seconds() - sessionStart,
                    baseline: trials.first { $0.id == baselineID && $0.rung == last && $0.validationLoss != nil })
        }
        events(.planned(plan, done: trials))
        var ids = Array(0..<plan.trials[0])
        for rung in plan.trials.indices {
            let toRun = ids.filter { id in !trials.contains { $0.id == id && $0.rung == rung } }
            let rungSeconds = secondsPerTrial(rung: rung, toRun: toRun.count, left: remaining(), hasBaseline: baselineID != nil)
            if plan.steps == nil, !toRun.isEmpty, rungSeconds < plan.seconds[rung] - 0.5 { events(.shortened(rung: rung, seconds: rungSeconds)) }
            for id in toRun {
                // Trials shorter than this teach nothing; what is left of the budget stays unspent.
                let left = remaining()
                guard left >= 5, plan.steps != nil || rungSeconds >= 5 else { return outcome(interrupted: false) }
                let seconds = max(1, plan.steps == nil ? min(rungSeconds, left - setupSeconds) : left - setupSeconds)
                var trial = SearchTrial(id: id, rung: rung, parameters: configurations[id])
                trial.trainingSeconds = seconds
                events(.trialStarted(trial, seconds: seconds))
                let trialStart = MonotonicClock.seconds()
                guard let finished = try train(&trial, seconds: seconds, shouldStop: shouldStop) else {
                    // The budget paid for the stopped trial's time; a resumed search must not spend it again.
                    let used = MonotonicClock.seconds() - trialStart
                    stoppedSeconds += used
                    try log.appendStopped(seconds: used)
                    return outcome(interrupted: true)
                }
                trials.append(finished)
                try log.append(finished)
                let best = bestTrial == finished
                try keepCheckpoint(of: finished, best: best)
                events(.trialFinished(finished, best: best))
            }
            guard rung + 1 < plan.trials.count else { break }
            ids = trials.filter { $0.rung == rung }
                .compactMap { trial in trial.validationLoss.map { (loss: $0, id: trial.id) } }
                .sorted { ($0.loss, $0.id) < ($1.loss, $1.id) }
                .prefix(plan.trials[rung + 1]).map(\.id)
            events(.promoted(rung: rung, ids: ids))
            if ids.isEmpty { break }
            // The baseline trains first, so that a budget running short shortens the search's pick, not the yardstick.
            if rung + 1 == last, let id = baselineID, !ids.contains(id) { ids.insert(id, at: 0) }
        }
        return outcome(interrupted: false)
    }

    /// The training time of each trial of `rung`: one that already ran there (a resumed search)
    /// fixes it; otherwise the plan's, shortened when the trials so far took longer than planned.
    /// Setup and validation are not in the plan, and on a word-level text they cost 20–80 s a trial
    /// (measured before trials validated within `--val-share`; the last validation still costs
    /// ~30 s there), which would otherwise leave nothing for the winner at the last rung.
    private func secondsPerTrial(rung: Int, toRun: Int, left: Double, hasBaseline: Bool) -> Double {
        if let ran = trials.first(where: { $0.rung == rung && $0.trainingSeconds != nil })?.trainingSeconds { return ran }
        let last = plan.trials.count - 1
        // Later rungs as planned, the baseline counted as an extra trial at the last one.
        let pending = [toRun] + (rung < last ? (rung + 1...last).map { plan.trials[$0] + ($0 == last && hasBaseline ? 1 : 0) } : [])
        let measured = trials.compactMap { t in t.trainingSeconds.map { t.seconds - $0 } }
        let overhead = measured.isEmpty ? 0 : measured.reduce(0, +) / Double(measured.count)
        return plan.secondsPerTrial(rung: rung, left: left, pending: pending, overhead: overhead)
    }

    /// The completed trial with the lowest validation loss (the earliest on a tie).
    public var bestTrial: SearchTrial? {
        trials.compactMap { trial in trial.validationLoss.map { (loss: $0, trial: trial) } }
            .min { ($0.loss, $0.trial.rung, $0.trial.id) < ($1.loss, $1.trial.rung, $1.trial.id) }?.trial
    }

    /// The options a trial trains with.
    public func options(for trial: SearchTrial, seconds: Double) -> TrainingOptions {
        var o = settings.base
        trial.parameters.apply(to: &o)
        o.decayShape = .cosine
        o.warmupSteps = recipe.warmupSteps
        o.epochs = TrainingOptions.unlimitedEpochs
        o.maxTime = seconds
        // A trial is scored by its last validation; validating on the way would spend its budget,
        // so only epochs' ends validate, within the share `quill train --max-time` keeps to.
        o.evaluateEvery = nil
        o.validationShare = o.validationShare ?? recipe.validationShare
        if let steps = plan.steps { o.maxSteps = steps[trial.rung] }
        o.outputFolder = trialFolder(trial)
        return o
    }

    private func trialFolder(_ trial: SearchTrial) -> String {
        settings.folder + "/trials/" + String(format: "trial-%03d-rung-%d", trial.id, trial.rung)
    }

    /// Trains one trial; nil when `shouldStop` cut it short.
    private func train(_ trial: inout SearchTrial, seconds: Double, shouldStop: @escaping () -> Bool) throws -> SearchTrial? {
        let start = MonotonicClock.seconds()
        let folder = trialFolder(trial)
        try? FileManager.default.removeItem(atPath: folder)
        do {
            let timed = try Trainer(options: options(for: trial, seconds: seconds))
            setupSeconds = MonotonicClock.seconds() - start
            let result = try timed.run(shouldStop: shouldStop)
            if result.reason == .interrupted {
                try? FileManager.default.removeItem(atPath: folder)
                return nil
            }
            trial.steps = result.steps
            trial.tokensPerSecond = timed.progress.history.last?.tokensPerSecond ?? 0
            // Sizes searched: a token is a different unit in each trial, so trials compare by nats per
            // character of the (shared) validation text.
            let perToken = settings.space.vocabularySizes == nil ? 1 : timed.data.validationTokensPerCharacter
            trial.status = result.bestValidationLoss.map { .completed(loss: $0 * perToken) } ?? .failed(message: "no validation ran")
        } catch let error as QuillError {
            trial.status = .failed(message: error.description)
        }
        trial.seconds = MonotonicClock.seconds() - start
        return trial
    }

    /// Moves the trial's checkpoint folder to `best/` when it is the best so far; deletes it otherwise.
    private func keepCheckpoint(of trial: SearchTrial, best: Bool) throws {
        let folder = trialFolder(trial), bestPath = settings.folder + "/" + Self.bestFolder
        guard best, FileManager.default.fileExists(atPath: folder) else {
            try? FileManager.default.removeItem(atPath: folder)
            return
        }
        try? FileManager.default.removeItem(atPath: bestPath)
        do {
            try FileManager.default.moveItem(atPath: folder, toPath: bestPath)
        } catch {
            throw QuillError.io(path: bestPath, problem: "cannot keep the best trial's checkpoint here")
        }
    }
}
