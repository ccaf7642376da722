import Foundation
import QuillCheckpoint
import QuillCore
import QuillInference
import QuillKernels
import QuillModel
import QuillText

/// Runs training: batches, forward/backward, clipping, optimizer steps, the learning-rate
/// schedule, validation and checkpoints, until its `StopPolicy` gives a reason to stop.
///
/// Run folder (see `RunFolder`):
/// - `model.safetensors`: the best model by validation loss (a whole model: weights, config,
///   vocabulary, history);
/// - `latest.safetensors`: the latest weights, same form;
/// - `resume.safetensors`: the latest weights again with all a resume needs (`ResumeFile`);
/// - `metrics.csv`, `loss.svg`, and with `keepCheckpoints` or `sampleEvery`,
///   `step-NNNNNNN.safetensors` and `samples.txt`.
/// Every file is written atomically, so a kill at any moment leaves the previous ones loadable.
public final class Trainer {
    /// The run's settings (a fine-tuned run's model settings are the base checkpoint's), with
    /// `adaptiveSoftmaxFrom` resolved against the vocabulary: the softmax and tie that were built.
    public let options: TrainingOptions
    /// The encoded texts and their batchers.
    public let data: TrainingData
    /// The network being trained, over its own writable copy of the weights.
    let network: Network
    /// The latest weights, as an immutable value (a copy: more training does not change it).
    public var model: LanguageModel { network.snapshot() }
    /// The optimizer and its moments.
    public let optimizer: Optimizer
    /// Where the run stands (steps, schedule, history).
    public private(set) var progress: TrainingProgress
    private var state: RecurrentState
    private var rng: SeededGenerator
    /// The optimizer leaves the gradients zeroed; a step that stopped before it did not.
    private var gradientsAreZero = false
    /// What a pretrained-vectors file covered (new runs with `embeddingsFile` only).
    public private(set) var embeddingCoverage: PretrainedEmbeddings.Coverage?
    /// The embedding matrix as it must stay, when `freezeEmbeddings` holds it fixed.
    private var frozenEmbedding: [Float]?
    /// The averaged weights, when `averageDecay` asks for them.
    private var average: WeightAverage?
    /// The output folder, held while `run` writes to it (nil otherwise, and for runs in memory).
    private var runFolder: RunFolder?
    /// The current (or last) call of `run`.
    private var session: TrainingSession

    /// Prepares a new run from the text files `options` names: reads the data, builds the
    /// vocabulary and initialises the model, or, with `options.baseCheckpoint`, starts from that
    /// checkpoint's weights, config and vocabulary (fine-tuning; the options' model settings are
    /// replaced by the checkpoint's).
    public convenience init(options: TrainingOptions) throws {
        let (options, base) = try Self.resolveBase(options)
        try self.init(options: options, data: try TrainingData(options: options, vocabulary: base?.vocabulary), base: base)
    }

    /// Prepares a new run on text in memory (`validationText` nil holds out the last
    /// `options.validationFraction`). With `options.outputFolder` nil nothing is written.
    public convenience init(options: TrainingOptions, text: String, validationText: String? = nil) throws {
        let (options, base) = try Self.resolveBase(options)
        try self.init(options: options, data: try TrainingData(options: options, text: text, validationText: validationText,
                                                               vocabulary: base?.vocabulary), base: base)
    }

    private static func resolveBase(_ options: TrainingOptions) throws -> (TrainingOptions, Checkpoint?) {
        var options = options
        guard let path = options.baseCheckpoint else {
            try options.validate()
            return (options, nil)
        }
        let base = try Checkpoint(contentsOf: path)
        options.adoptModel(base.config, level: base.summary.level, mode: base.summary.mode)
        try options.validate()
        return (options, base)
    }

    private init(options given: TrainingOptions, data: TrainingData, base: Checkpoint?) throws {
        var options = given
        options.resolveAdaptiveSoftmax(vocabularySize: data.vocabulary.count)
        self.options = options
        self.data = data
        let config = options.modelConfig(vocabularySize: data.vocabulary.count)
        try config.validate() // before the estimate sizes anything from it (cutoffs against the vocabulary)
        let window = options.mode == .lines ? (Setting.maxLength, options.maxLength) : (Setting.sequenceLength, options.sequenceLength)
        try MemoryEstimate(config: config, batch: options.batchSize, steps: window.1, training: true,
                           optimizerMoments: options.optimizer.momentBuffers)
            .check(setting: .hiddenSize, related: [.embeddingSize, .layers, .batchSize, window.0],
                   parametersFrom: "embeddingSize \(config.embeddingSize), hiddenSize \(config.hiddenSize), layers \(config.layers) and \(config.vocabularySize) tokens",
                   activationsFrom: "batchSize \(options.batchSize) × \(window.0.rawValue) \(window.1)")
        if let base {
            network = Network(training: try LanguageModel(config: config, tensors: base.weights, path: options.baseCheckpoint!))
        } else {
            network = try Network(config: config)
            var initRNG = SeededGenerator(seed: options.seed)
            network.initialize(rng: &initRNG)
            if let file = options.embeddingsFile {
                let vectors = try PretrainedEmbeddings(path: file, vocabulary: data.vocabulary, dimension: config.embeddingSize)
                vectors.apply(to: network.parameters.pointer("encoder.weight"))
                embeddingCoverage = vectors.coverage
            }
        }
        if options.freezeEmbeddings { frozenEmbedding = network.parameters.array("encoder.weight") }
        network.regularization = options.regularization
        if let decay = options.averageDecay { average = WeightAverage(decay: decay, values: network.parameters.allValues) }
        optimizer = Optimizer(settings: options.optimizer, layoutOf: network.parameters)
        rng = Self.dropoutGenerator(seed: options.seed)
        progress = TrainingProgress(options: options, schedule: LearningRateSchedule(options: options), rngState: [])
        state = RecurrentState(config: config, batchSize: data.trainBatcher.batchSize)
        session = TrainingSession(progress: progress, maxTime: nil)
    }

    /// Resumes the run saved in `folder`. `overrides` may change the limits (epochs, maxSteps,
    /// maxTime, patience, evaluateEvery, validationShare), the learning-rate schedule (learningRate,
    /// which then replaces the current rate, learningRateDecay, learningRateDecayAfter,
    /// plateauFactor) and clip; a run resumed without changes continues bit for bit. The model,
    /// data and optimizer stay as saved.
    public init(resuming folder: String, overrides: (inout TrainingOptions) -> Void = { _ in }) throws {
        let saved = try ResumeFile(folder: folder)
        let progress = try Self.applying(overrides, to: saved.progress, folder: folder)
        options = progress.options
        let checkpoint = saved.checkpoint
        // The corpus must still give the vocabulary the model was built on (a fine-tuned run's
        // vocabulary is the base model's, whatever the text).
        let fresh = try TrainingData(options: options, vocabulary: options.baseCheckpoint == nil ? nil : checkpoint.vocabulary)
        guard fresh.vocabulary == checkpoint.vocabulary else {
            throw QuillError.badCheckpoint(path: folder, problem: "the corpus \(options.corpus) now gives a different vocabulary (\(fresh.vocabulary.count) tokens) than the checkpoint's (\(checkpoint.vocabulary.count)); it has changed since training began")
        }
        guard checkpoint.config == options.modelConfig(vocabularySize: checkpoint.vocabulary.count) else {
            throw QuillError.badCheckpoint(path: saved.weightsPath, problem: "model config does not match the saved run's options")
        }
        data = fresh
        network = Network(training: try checkpoint.makeModel(path: saved.weightsPath))
        optimizer = Optimizer(settings: options.optimizer, layoutOf: network.parameters)
        optimizer.restore(stepCount: progress.step)
        try saved.restoreMoments(into: optimizer)
        state = try saved.carriedState(config: network.config)
        rng = try saved.generator()
        if options.freezeEmbeddings { frozenEmbedding = network.parameters.array("encoder.weight") }
        network.regularization = options.regularization
        if let decay = options.averageDecay {
            let values = try saved.average(count: network.parameters.count, startingAt: network.parameters.allValues)
            average = WeightAverage(decay: decay, values: values)
        }
        self.progress = progress
        session = TrainingSession(progress: progress, maxTime: nil)
    }

    /// `saved` with `overrides` applied to its options, which may change only the resumable
    /// settings; a changed schedule setting retunes the saved schedule.
    private static func applying(_ overrides: (inout TrainingOptions) -> Void, to saved: TrainingProgress,
                                 folder: String) throws -> TrainingProgress {
        var progress = saved
        overrides(&progress.options)
        let (options, before) = (progress.options, saved.options)
        guard !options.corpus.isEmpty else {
            throw QuillError.invalidValue(name: "the corpus of \(folder)", value: "none",
                                          problem: "it holds a model that has not been trained here yet (an import); name the text to train it on")
        }
        guard options.differsOnlyInResumableSettings(from: before) else {
            let rule = "a resumed run may change only \(TrainingOptions.resumableSettings.map(\.rawValue).joined(separator: ", ")), the corpus path and the output folder"
            guard let changed = options.unresumableChanges(from: before).first else {
                throw QuillError.invalidValue(name: "the resumed run's options", value: "changed", problem: rule)
            }
            throw QuillError.invalidSetting(InvalidSetting(changed.name, changed.text(in: options) ?? "none", rule))
        }
        try options.validate()
        if options != before {
            progress.schedule.retune(learningRate: options.learningRate != before.learningRate ? options.learningRate : nil,
                                     decay: options.learningRateDecay, decayAfter: options.learningRateDecayAfter,
                                     plateauFactor: options.plateauFactor, patience: options.patience)
        }
        return progress
    }

    private var stepsPerEpoch: Int { data.trainBatcher.count }

    private var shortenedWindow: (requested: Int, used: Int)? {
        guard case .stream(let batcher) = data.trainBatcher, batcher.streamLength - 1 < batcher.steps else { return nil }
        return (batcher.steps, batcher.streamLength - 1)
    }

    private var plannedSteps: Int {
        let byEpochs = options.epochs * stepsPerEpoch
        return min(byEpochs, options.maxSteps ?? byEpochs)
    }

    private var fractionalEpoch: Double { Double(progress.epoch) + Double(progress.batchIndex) / Double(stepsPerEpoch) }

    /// Trains until a limit is reached, early stopping triggers, `events` answers `.stop` or
    /// `shouldStop` answers true. `shouldStop` is asked before every step and between the batches
    /// of a validation, so a stop lands within one batch wherever the run is; a validation it
    /// interrupts is dropped, recorded as owed and done first by the resumed run.
    /// Throws when the loss or gradients stop being finite (the last good checkpoint is kept).
    @discardableResult
    public func run(events: (TrainingEvent) -> TrainingControl = { _ in .proceed },
                    shouldStop: () -> Bool = { false }) throws -> TrainingOutcome {
        runFolder = try options.outputFolder.map(RunFolder.init(claiming:))
        defer { runFolder = nil }
        session = TrainingSession(progress: progress, maxTime: options.maxTime)
        _ = events(.started(startReport()))
        var reason = try train(events: events, shouldStop: shouldStop)
        // An interrupted run saves where it stands without validating: what a stop leaves behind
        // is whole, and a resumed run's history matches an uninterrupted one's.
        var savedByValidation = false
        if reason != .interrupted && progress.step != session.lastValidationStep {
            savedByValidation = try validate(scheduled: false, events: events, shouldStop: shouldStop) != nil
            if !savedByValidation { reason = .interrupted }
        }
        if !savedByValidation { try save(bestImproved: false) }
        let outcome = TrainingOutcome(reason: reason, steps: progress.step, bestValidationLoss: progress.bestValidationLoss,
                                      folder: options.outputFolder)
        _ = events(.finished(outcome))
        return outcome
    }

    /// Trains epoch after epoch until the stop policy gives a reason to stop, and returns it.
    private func train(events: (TrainingEvent) -> TrainingControl, shouldStop: () -> Bool) throws -> TrainingOutcome.Reason {
        var policy = StopPolicy(options: options)
        // A validation the previous session was stopped in the middle of comes first, as it would have.
        if progress.pendingValidation == true {
            let improved = try validate(scheduled: true, events: events, shouldStop: shouldStop)
            if let reason = policy.afterValidation(improved: improved, schedule: progress.schedule) { return reason }
        }
        while true {
            if let reason = policy.beforeEpoch(progress.epoch) { return reason }
            if let reason = try trainEpoch(&policy, events: events, shouldStop: shouldStop) { return reason }
            progress.epoch += 1
            progress.batchIndex = 0
            progress.schedule.epochEnded(completed: progress.epoch)
            guard try affordsValidation(policy, events: events) else { continue }
            let improved = try validate(scheduled: true, events: events, shouldStop: shouldStop)
            if let reason = policy.afterValidation(improved: improved, schedule: progress.schedule) { return reason }
        }
    }

    /// Trains the rest of the current epoch, validating every `evaluateEvery` steps; the reason
    /// to stop, or nil when the epoch's batches ran out.
    private func trainEpoch(_ policy: inout StopPolicy, events: (TrainingEvent) -> TrainingControl,
                            shouldStop: () -> Bool) throws -> TrainingOutcome.Reason? {
        let order = data.trainBatcher.order(epoch: progress.epoch)
        while progress.batchIndex < stepsPerEpoch {
            if let reason = policy.beforeStep(step: progress.step, elapsed: session.elapsed(), shouldStop: shouldStop) {
                return reason
            }
            let batch = data.trainBatcher.batch(progress.batchIndex, order: order)
            let (loss, norm) = try step(batch, seconds: session.totalSeconds())
            session.tokens += batch.steps * batch.batchSize
            if events(.step(stepReport(loss: loss, gradientNorm: norm))) == .stop { policy.requested = true }
            // The epoch's last step is validated as the epoch ends.
            if let every = options.evaluateEvery, progress.step % every == 0, progress.batchIndex < stepsPerEpoch,
               try affordsValidation(policy, events: events) {
                let improved = try validate(scheduled: true, events: events, shouldStop: shouldStop)
                if let reason = policy.afterValidation(improved: improved, schedule: progress.schedule) { return reason }
            }
        }
        return nil
    }

    /// Whether a scheduled validation fits `options.validationShare` of this session's time
    /// (`ValidationAllowance`); when it does not, the latest weights and the resume file are saved
    /// as a validation would have, so a long run still leaves something to resume from. Skipping
    /// leaves the best-model choice and `patience` to the validations that run. The run's last
    /// validation always runs: the one after the loop, and a scheduled one that a limit of
    /// `policy` falls on (the last epoch's end, `maxSteps`, `maxTime`), which is then the last.
    private func affordsValidation(_ policy: StopPolicy, events: (TrainingEvent) -> TrainingControl) throws -> Bool {
        guard let share = options.validationShare,
              !policy.limitReached(epoch: progress.epoch, step: progress.step, elapsed: session.elapsed()) else { return true }
        let elapsed = session.elapsed()
        let expected = ValidationAllowance.expectedSeconds(
            last: session.lastValidationSeconds, validationTokens: data.validationIDs.count,
            trainingTokensPerSecond: session.tokensPerSecond(elapsed: max(1e-9, elapsed - session.validationSeconds)))
        if ValidationAllowance.affords(share: share, elapsed: elapsed, spent: session.validationSeconds, expected: expected) { return true }
        try save(bestImproved: false)
        _ = events(.validationSkipped(ValidationSkip(step: progress.step, epoch: fractionalEpoch, expectedSeconds: expected,
                                                     spentSeconds: session.validationSeconds, elapsedSeconds: elapsed, share: share)))
        return false
    }

    /// What the run is about to do, for the `.started` event.
    private func startReport() -> TrainingStart {
        let startStep = progress.step
        return TrainingStart(
            vocabularySize: data.vocabulary.count, parameterCount: network.config.parameterCount,
            trainTokens: data.trainIDs.count, validationTokens: data.validationIDs.count,
            validationUnknown: data.validationUnknown, stepsPerEpoch: stepsPerEpoch, plannedSteps: plannedSteps,
            resumedAtStep: startStep, threads: Parallel.threadCount, shortenedWindow: shortenedWindow,
            baseCheckpoint: startStep == 0 ? options.baseCheckpoint : nil, missing: startStep == 0 ? data.missing : nil,
            embeddingCoverage: embeddingCoverage)
    }

    /// The step just taken, for the `.step` event, with the time left by the plan or the time limit.
    private func stepReport(loss: Double, gradientNorm: Double) -> StepReport {
        let t = session.elapsed()
        var remaining: Double? = Double(plannedSteps - progress.step) * t / Double(max(1, progress.step - session.startStep))
        if let maxTime = options.maxTime { remaining = min(remaining ?? maxTime, max(0, maxTime - t)) }
        return StepReport(
            step: progress.step, plannedSteps: plannedSteps, epoch: fractionalEpoch, loss: loss,
            averageLoss: progress.lossSinceRecord / Double(max(1, progress.tokensSinceRecord)),
            learningRate: lastLearningRate ?? progress.schedule.learningRate, gradientNorm: gradientNorm,
            tokensPerSecond: session.tokensPerSecond(elapsed: t), elapsed: t, remaining: remaining)
    }

    /// Validates and saves; nil when `shouldStop` cut it short (nothing recorded or saved), else
    /// whether the validation loss improved on the best so far.
    private func validate(scheduled: Bool, events: (TrainingEvent) -> TrainingControl,
                          shouldStop: () -> Bool) throws -> Bool? {
        if scheduled { progress.pendingValidation = true }
        progress.seconds = session.totalSeconds()
        let started = MonotonicClock.seconds()
        guard let (sum, count) = withValidatedWeights({
            Evaluator.score(network: network, batcher: data.validationBatcher, shouldStop: shouldStop)
        }) else {
            return nil
        }
        progress.pendingValidation = nil
        let loss = sum / Double(max(1, count))
        guard loss.isFinite, loss < divergenceCeiling else {
            throw diverged(step: progress.step, what: "the validation loss became \(loss)")
        }
        let record = TrainingRecord(
            step: progress.step, epoch: fractionalEpoch,
            trainLoss: progress.tokensSinceRecord > 0 ? progress.lossSinceRecord / Double(progress.tokensSinceRecord) : .nan,
            validationLoss: loss, learningRate: learningRate(seconds: progress.seconds),
            tokensPerSecond: session.tokensPerSecond(elapsed: session.elapsed()), seconds: progress.seconds)
        progress.history.append(record)
        progress.lossSinceRecord = 0
        progress.tokensSinceRecord = 0
        session.lastValidationStep = progress.step
        if scheduled { progress.schedule.validated(loss: loss) }
        let improved = progress.bestValidationLoss.map { loss < $0 } ?? true
        if improved { progress.bestValidationLoss = loss }
        try save(bestImproved: improved, validated: true)
        let bits = options.level.bitsPerCharacter(natsPerToken: loss, tokensPerCharacter: data.validationTokensPerCharacter,
                                                  unknownTokens: data.validationUnknown)
        _ = events(.validated(ValidationReport(record: record, improved: improved, bitsPerCharacter: bits,
                                               bitsPerByte: bits.map { $0 * data.validationCharactersPerByte })))
        if let every = options.sampleEvery, progress.history.count % every == 0 {
            _ = events(.sampled(try withValidatedWeights(sample)))
        }
        // Saving and sampling count too: time not spent learning.
        session.lastValidationSeconds = MonotonicClock.seconds() - started
        session.validationSeconds += session.lastValidationSeconds!
        return improved
    }

    /// The rate the last step used (the schedule's rate times the budget's factor).
    private var lastLearningRate: Double?

    /// The rate for the next step: the schedule's, shaped by warmup and decay over the budget.
    private func learningRate(seconds: Double) -> Double {
        let budget = BudgetSchedule(shape: options.decayShape, warmupSteps: options.warmupSteps, floor: options.decayFloor)
        let fraction = BudgetSchedule.fraction(step: progress.step, warmupSteps: options.warmupSteps, plannedSteps: plannedSteps,
                                               seconds: seconds, timeBudget: options.decayShape == .constant ? nil : session.timeBudget)
        return progress.schedule.learningRate * budget.factor(step: progress.step, budgetFraction: fraction)
    }

    /// One optimizer step on `batch`; returns its mean loss and the gradient norm before clipping.
    private func step(_ batch: Batch, seconds: Double) throws -> (loss: Double, norm: Double) {
        if !batch.continuesState || state.batchSize != batch.batchSize {
            state = RecurrentState(config: network.config, batchSize: batch.batchSize)
        }
        if !gradientsAreZero { network.gradients.zero() }
        gradientsAreZero = false
        network.forward(inputs: batch.inputs, steps: batch.steps, batch: batch.batchSize, state: &state, training: true, rng: &rng,
                        distribution: false)
        let (sum, count) = network.lossAndGradient(targets: batch.targets, mask: batch.mask)
        let loss = sum / Double(max(1, count))
        let nextStep = progress.step + 1
        guard loss.isFinite, loss < divergenceCeiling else { throw diverged(step: nextStep, what: "the loss became \(loss)") }
        network.backward()
        if frozenEmbedding != nil {
            let e = network.parameters.entry("encoder.weight")!
            network.gradients.pointer("encoder.weight").update(repeating: 0, count: e.count)
        }
        let norm = GradientClipping.norm(network.gradients)
        guard norm.isFinite else { throw diverged(step: nextStep, what: "the gradients became infinite or NaN") }
        // Clipping's factor and the zeroing for the next step ride along in the update's one pass.
        let rate = learningRate(seconds: seconds)
        lastLearningRate = rate
        optimizer.step(parameters: network.parameters, gradients: network.gradients, learningRate: rate,
                       gradientScale: GradientClipping.scale(norm: norm, maxNorm: options.clip), zeroingGradients: true)
        gradientsAreZero = true
        // Weight decay and optimizer moments would still move a frozen matrix; it is put back.
        if let frozenEmbedding { network.parameters.set("encoder.weight", frozenEmbedding) }
        average?.update(from: network.parameters, step: nextStep)
        progress.step = nextStep
        progress.lossSinceRecord += sum
        progress.tokensSinceRecord += count
        progress.batchIndex += 1
        // Mutated in place: a local copy would copy every point on every step.
        if progress.curve == nil { progress.curve = TrainingCurve() }
        progress.curve!.add(sum: sum, count: count, step: nextStep, every: options.logEvery, epoch: fractionalEpoch,
                            learningRate: rate, seconds: seconds)
        return (loss, norm)
    }

    /// A mean loss above this means the run has diverged: a model that knows nothing (uniform
    /// predictions) scores ln V, and a run far above that is not learning but blowing up, even
    /// while its numbers stay finite.
    private var divergenceCeiling: Double { 10 * Foundation.log(Double(max(2, data.vocabulary.count))) + 10 }

    /// The error that ends a diverging run, saying whether an earlier checkpoint survives it.
    private func diverged(step: Int, what: String) -> QuillError {
        let kept = runFolder.flatMap { $0.holdsBestModel ? $0.path : nil }
        return .diverged(step: step, problem: what, learningRate: progress.schedule.learningRate, keptCheckpoint: kept)
    }

    /// A sample from the current weights, appended to the run folder's `samples.txt`. It draws
    /// from its own generator (seeded by the run's seed and step), so sampling never changes what
    /// training computes, and a resumed run samples what an uninterrupted one does.
    private func sample() throws -> TrainingSample {
        let loaded = LoadedModel(model: network.snapshot(), vocabulary: data.vocabulary, level: options.level, mode: options.mode)
        let generator = Generator(loaded: loaded, sampler: try Sampler(temperature: options.sampleTemperature))
        let prompt = try generator.encodePrompt(options.samplePrompt, policy: .skip).ids
        let text = try generator.generate(prompt: prompt, length: options.sampleLength,
                                          seed: options.seed &+ UInt64(progress.step), promptHasText: !prompt.isEmpty)[0].text
        let result = TrainingSample(step: progress.step, prompt: options.samplePrompt, text: text)
        try runFolder?.appendSample(result)
        return result
    }

    /// Runs `body` with the weights that validation judges: the average when there is one.
    private func withValidatedWeights<R>(_ body: () throws -> R) rethrows -> R {
        guard let average else { return try body() }
        return try average.withAveragedWeights(in: network.parameters, body)
    }

    /// The run folder's log of samples (`TrainingOptions.sampleEvery`).
    public static let samplesFile = RunFolder.samplesFile

    /// The generator of a new run's dropout masks: seeded apart from the one that initialises
    /// the weights (`seed` itself), so the two draw different streams. An unstarted run's resume
    /// file saves its state, so resuming it draws what training a new run would.
    static func dropoutGenerator(seed: UInt64) -> SeededGenerator {
        SeededGenerator(seed: seed &+ 0xD80F)
    }

    /// The validation text's tokens per character when its losses have a bits-per-character figure
    /// (nil at word level when it has `<unk>`).
    private var storedTokensPerCharacter: Double? {
        options.level.hasBitsPerCharacter(unknownTokens: data.validationUnknown) ? data.validationTokensPerCharacter : nil
    }

    /// Writes latest, resume state, metrics, (when `bestImproved`) the best model and (when
    /// `validated` and `keepCheckpoints` asks) a copy kept by step.
    private func save(bestImproved: Bool, validated: Bool = false) throws {
        guard (0..<network.parameters.count).allSatisfy({ network.parameters.values[$0].isFinite }) else {
            throw QuillError.runtime("step \(progress.step): weights are no longer finite; nothing was saved (the last good checkpoint is kept)")
        }
        guard let folder = runFolder else { return }
        // A save between validations (a skipped one, a stop) must not leave an older time behind:
        // a resumed time budget continues from it.
        progress.seconds = session.totalSeconds()
        let summary = TrainingSummary(level: options.level, mode: options.mode, steps: progress.step, epochs: fractionalEpoch,
                                      bestValidationLoss: progress.bestValidationLoss, history: progress.history,
                                      corpus: options.corpus, validationTokensPerCharacter: storedTokensPerCharacter)
        let checkpoint = Checkpoint(model: network.snapshot(), vocabulary: data.vocabulary, summary: summary)
        // The best model and kept copies are what validation judged (the average, when there is one);
        // a save that writes neither (a skipped validation, a stop) does not snapshot the average.
        let keep = validated ? options.keepCheckpoints : nil
        var judged: Checkpoint?
        if bestImproved || keep != nil {
            judged = average == nil ? checkpoint
                : withValidatedWeights { Checkpoint(model: network.snapshot(), vocabulary: data.vocabulary, summary: summary) }
        }
        if bestImproved, let judged { try folder.write(judged, as: Checkpoint.modelFile) }
        try folder.write(checkpoint, as: Checkpoint.latestFile)
        if let keep, let judged { try folder.keep(judged, step: progress.step, newest: keep) }
        let s = rng.state
        progress.rngState = [s.0, s.1, s.2, s.3]
        try ResumeFile.write(checkpoint: checkpoint, optimizer: optimizer, state: state, progress: progress,
                             average: average?.values, folder: folder.path)
        try folder.writeMetrics(progress)
    }
}
