import Foundation
import QuillKernels

/// Runs training: batches, forward/backward, clipping, optimizer steps, the learning-rate
/// schedule, validation, early stopping and checkpoints.
///
/// Checkpoint folder:
/// - `model.safetensors`: the best model by validation loss (a whole model: weights, config,
///   vocabulary, history);
/// - `latest.safetensors`: the latest weights, same form;
/// - `resume.safetensors`: the latest weights again (same form), with the optimizer moments, the
///   carried hidden state and `TrainingProgress`, so one atomic write saves all a resume needs;
/// - `metrics.csv`, `loss.svg`.
/// Every file is written atomically, so a kill at any moment leaves the previous ones loadable.
public final class Trainer {
    /// The run's settings (a fine-tuned run's model settings are the base checkpoint's).
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

    private init(options: TrainingOptions, data: TrainingData, base: Checkpoint?) throws {
        self.options = options
        self.data = data
        let config = options.modelConfig(vocabularySize: data.vocabulary.count)
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
        rng = SeededGenerator(seed: options.seed &+ 0xD80F)
        progress = TrainingProgress(options: options, schedule: LearningRateSchedule(options: options), rngState: [])
        state = RecurrentState(config: config, batchSize: data.trainBatcher.batchSize)
    }

    /// Resumes the run saved in `folder`. `overrides` may change the limits (epochs, maxSteps,
    /// maxTime, patience, evaluateEvery), the learning-rate schedule (learningRate, which then
    /// replaces the current rate, learningRateDecay, learningRateDecayAfter, plateauFactor) and
    /// clip; a run resumed without changes continues bit for bit. The model, data and optimizer
    /// stay as saved.
    public init(resuming folder: String, overrides: (inout TrainingOptions) -> Void = { _ in }) throws {
        let resumePath = folder + "/" + Checkpoint.resumeFile
        let latestPath = folder + "/" + Checkpoint.latestFile
        guard FileManager.default.fileExists(atPath: resumePath) else {
            throw QuillError.badCheckpoint(path: folder, problem: "no resumable run here (needs \(Checkpoint.resumeFile))")
        }
        let resumeFile = try SafeTensors(contentsOf: resumePath)
        guard let text = resumeFile.metadata["quill.progress"],
              var saved = TrainingProgress.decode(text) else {
            throw QuillError.badCheckpoint(path: resumePath, problem: "no valid quill.progress metadata")
        }
        // The resume file holds the weights it belongs with, so it is one atomic unit. Files from
        // before it did are paired with latest.safetensors, which must be at the same step.
        let checkpoint: Checkpoint, checkpointPath: String
        if resumeFile.metadata[Checkpoint.Key.config] != nil {
            (checkpoint, checkpointPath) = (try Checkpoint(safeTensors: resumeFile, path: resumePath), resumePath)
        } else {
            (checkpoint, checkpointPath) = (try Checkpoint(contentsOf: latestPath), latestPath)
            guard checkpoint.summary.steps == saved.step else {
                throw QuillError.badCheckpoint(path: folder, problem: "\(Checkpoint.latestFile) is at step \(checkpoint.summary.steps) but \(Checkpoint.resumeFile) at step \(saved.step); they do not belong together (a save was interrupted?)")
            }
        }
        let before = saved.options
        overrides(&saved.options)
        guard !saved.options.corpus.isEmpty else {
            throw QuillError.usage("\(folder) holds a model that has not been trained here yet (an import); name the text to train it on")
        }
        guard saved.options.differsOnlyInResumableSettings(from: before) else {
            throw QuillError.usage("a resumed run may change only \(TrainingOptions.resumableSettings.map(\.rawValue).joined(separator: ", ")), the corpus path and the output folder")
        }
        try saved.options.validate()
        options = saved.options
        if options != before {
            saved.schedule.retune(learningRate: options.learningRate != before.learningRate ? options.learningRate : nil,
                                  decay: options.learningRateDecay, decayAfter: options.learningRateDecayAfter,
                                  plateauFactor: options.plateauFactor, patience: options.patience)
        }
        // The corpus must still give the vocabulary the model was built on (a fine-tuned run's
        // vocabulary is the base model's, whatever the text).
        let fresh = try TrainingData(options: options, vocabulary: options.baseCheckpoint == nil ? nil : checkpoint.vocabulary)
        guard fresh.vocabulary == checkpoint.vocabulary else {
            throw QuillError.badCheckpoint(path: folder, problem: "the corpus \(options.corpus) now gives a different vocabulary (\(fresh.vocabulary.count) tokens) than the checkpoint's (\(checkpoint.vocabulary.count)); it has changed since training began")
        }
        guard checkpoint.config == options.modelConfig(vocabularySize: checkpoint.vocabulary.count) else {
            throw QuillError.badCheckpoint(path: checkpointPath, problem: "model config does not match the saved run's options")
        }
        data = fresh
        network = Network(training: try checkpoint.makeModel(path: checkpointPath))
        optimizer = Optimizer(settings: options.optimizer, layoutOf: network.parameters)
        optimizer.restore(stepCount: saved.step)
        for (name, store) in [("optimizer.first", optimizer.first), ("optimizer.second", optimizer.second)] {
            guard let store else { continue }
            guard let values = resumeFile[name]?.floats(), values.count == store.count else {
                throw QuillError.badCheckpoint(path: resumePath, problem: "missing or mis-sized tensor '\(name)'")
            }
            values.withUnsafeBufferPointer { store.values.update(from: $0.baseAddress!, count: store.count) }
        }
        let l = network.config.layers, h = network.config.hiddenSize
        let hasCell = network.config.cell.hasCellState
        guard let stateShape = resumeFile["state.hidden"]?.shape, stateShape.count == 3,
              stateShape[0] == l, stateShape[2] == h,
              let hidden = resumeFile["state.hidden"]?.floats(),
              let cell = hasCell ? resumeFile["state.cell"]?.floats() : [],
              cell.count == (hasCell ? hidden.count : 0) else {
            throw QuillError.badCheckpoint(path: resumePath, problem: "missing or mis-sized carried state (state.hidden, state.cell)")
        }
        state = RecurrentState(layers: l, batchSize: stateShape[1], hiddenSize: h, hidden: hidden, cell: cell)
        guard saved.rngState.count == 4, saved.rngState != [0, 0, 0, 0] else {
            throw QuillError.badCheckpoint(path: resumePath, problem: "invalid generator state")
        }
        rng = SeededGenerator(state: (saved.rngState[0], saved.rngState[1], saved.rngState[2], saved.rngState[3]))
        if options.freezeEmbeddings { frozenEmbedding = network.parameters.array("encoder.weight") }
        network.regularization = options.regularization
        if let decay = options.averageDecay {
            // A run saved before its first step (an import) has no average yet: it starts at the weights.
            let stored = resumeFile[Self.averageTensor]?.floats() ?? (saved.step == 0 ? network.parameters.allValues : nil)
            guard let values = stored, values.count == network.parameters.count else {
                throw QuillError.badCheckpoint(path: resumePath, problem: "missing or mis-sized tensor '\(Self.averageTensor)'")
            }
            average = WeightAverage(decay: decay, values: values)
        }
        saved.options = options
        progress = saved
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
        var lock: RunLock?
        if let folder = options.outputFolder {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw QuillError.io(path: folder, problem: "cannot create the run folder (is a file in the way, or is its parent read-only?)")
            }
            lock = try RunLock(folder: folder)
            // The folder is ours now, so any temporary file in it is a dead writer's.
            AtomicFile.removeLeftovers(in: folder)
        }
        defer { withExtendedLifetime(lock) {} }
        let sessionStart = MonotonicClock.seconds()
        let secondsBefore = progress.seconds
        // A time limit is this session's: the schedule's budget ends when it does.
        timeBudget = options.maxTime.map { secondsBefore + $0 }
        var sessionTokens = 0
        let startStep = progress.step
        var stopRequested = false
        var lastValidationStep = progress.history.last?.step ?? -1

        _ = events(.started(TrainingStart(
            vocabularySize: data.vocabulary.count, parameterCount: network.config.parameterCount,
            trainTokens: data.trainIDs.count, validationTokens: data.validationIDs.count,
            validationUnknown: data.validationUnknown, stepsPerEpoch: stepsPerEpoch, plannedSteps: plannedSteps,
            resumedAtStep: startStep, threads: Parallel.threadCount, shortenedWindow: shortenedWindow,
            baseCheckpoint: startStep == 0 ? options.baseCheckpoint : nil, missing: startStep == 0 ? data.missing : nil,
            embeddingCoverage: embeddingCoverage)))

        func elapsed() -> Double { MonotonicClock.seconds() - sessionStart }
        /// Validates and saves; nil when `shouldStop` cut it short (nothing recorded or saved).
        func validate(scheduled: Bool) throws -> Bool? {
            if scheduled { progress.pendingValidation = true }
            progress.seconds = secondsBefore + elapsed()
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
                tokensPerSecond: Double(sessionTokens) / max(1e-9, elapsed()), seconds: progress.seconds)
            progress.history.append(record)
            progress.lossSinceRecord = 0
            progress.tokensSinceRecord = 0
            lastValidationStep = progress.step
            if scheduled { progress.schedule.validated(loss: loss) }
            let improved = progress.bestValidationLoss.map { loss < $0 } ?? true
            if improved { progress.bestValidationLoss = loss }
            try save(bestImproved: improved, validated: true)
            let bits = options.level == .char ? loss / Foundation.log(2.0) : nil
            _ = events(.validated(ValidationReport(record: record, improved: improved, bitsPerCharacter: bits)))
            if let every = options.sampleEvery, progress.history.count % every == 0 {
                _ = events(.sampled(try withValidatedWeights(sample)))
            }
            return improved
        }

        var reason: TrainingOutcome.Reason = .completed
        // A validation the previous session was stopped in the middle of comes first, as it would have.
        if progress.pendingValidation == true {
            if try validate(scheduled: true) == nil { reason = .interrupted }
            if progress.schedule.shouldStopEarly { reason = .earlyStopping }
        }
        training: while reason == .completed && progress.epoch < options.epochs {
            let order = data.trainBatcher.order(epoch: progress.epoch)
            while progress.batchIndex < stepsPerEpoch {
                if let maxSteps = options.maxSteps, progress.step >= maxSteps { reason = .maxSteps; break training }
                if let maxTime = options.maxTime, elapsed() >= maxTime { reason = .maxTime; break training }
                if stopRequested || shouldStop() { reason = .interrupted; break training }

                let batch = data.trainBatcher.batch(progress.batchIndex, order: order)
                let (loss, norm) = try step(batch, seconds: secondsBefore + elapsed())
                sessionTokens += batch.steps * batch.batchSize
                let t = elapsed()
                let rate = Double(sessionTokens) / max(1e-9, t)
                var remaining: Double? = Double(plannedSteps - progress.step) * t / Double(max(1, progress.step - startStep))
                if let maxTime = options.maxTime { remaining = min(remaining ?? maxTime, max(0, maxTime - t)) }
                let control = events(.step(StepReport(
                    step: progress.step, plannedSteps: plannedSteps, epoch: fractionalEpoch, loss: loss,
                    averageLoss: progress.lossSinceRecord / Double(max(1, progress.tokensSinceRecord)),
                    learningRate: lastLearningRate ?? progress.schedule.learningRate, gradientNorm: norm, tokensPerSecond: rate,
                    elapsed: t, remaining: remaining)))
                if control == .stop { stopRequested = true }
                if let every = options.evaluateEvery, progress.step % every == 0, progress.batchIndex < stepsPerEpoch {
                    if try validate(scheduled: true) == nil { reason = .interrupted; break training }
                    if progress.schedule.shouldStopEarly { reason = .earlyStopping; break training }
                }
            }
            progress.epoch += 1
            progress.batchIndex = 0
            progress.schedule.epochEnded(completed: progress.epoch)
            if try validate(scheduled: true) == nil { reason = .interrupted; break training }
            if progress.schedule.shouldStopEarly { reason = .earlyStopping; break training }
        }
        if (stopRequested || shouldStop()) && reason == .completed && progress.epoch < options.epochs { reason = .interrupted }
        // An interrupted run saves where it stands without validating: what a stop leaves behind
        // is whole, and a resumed run's history matches an uninterrupted one's.
        var savedByValidation = false
        if reason != .interrupted && progress.step != lastValidationStep {
            savedByValidation = try validate(scheduled: false) != nil
            if !savedByValidation { reason = .interrupted }
        }
        if !savedByValidation { try save(bestImproved: false) }
        let outcome = TrainingOutcome(reason: reason, steps: progress.step, bestValidationLoss: progress.bestValidationLoss,
                                      folder: options.outputFolder)
        _ = events(.finished(outcome))
        return outcome
    }

    /// One optimizer step on `batch`; returns its mean loss and the gradient norm before clipping.
    /// The rate the last step used (the schedule's rate times the budget's factor).
    private var lastLearningRate: Double?
    /// Seconds of training (over all sessions) at which a time-limited budget ends.
    private var timeBudget: Double?

    /// The rate for the next step: the schedule's, shaped by warmup and decay over the budget.
    private func learningRate(seconds: Double) -> Double {
        let budget = BudgetSchedule(shape: options.decayShape, warmupSteps: options.warmupSteps, floor: options.decayFloor)
        let fraction = BudgetSchedule.fraction(step: progress.step, warmupSteps: options.warmupSteps, plannedSteps: plannedSteps,
                                               seconds: seconds, timeBudget: options.decayShape == .constant ? nil : timeBudget)
        return progress.schedule.learningRate * budget.factor(step: progress.step, budgetFraction: fraction)
    }

    private func step(_ batch: Batch, seconds: Double) throws -> (loss: Double, norm: Double) {
        if !batch.continuesState || state.batchSize != batch.batchSize {
            state = RecurrentState(config: network.config, batchSize: batch.batchSize)
        }
        if !gradientsAreZero { network.gradients.zero() }
        gradientsAreZero = false
        network.forward(inputs: batch.inputs, steps: batch.steps, batch: batch.batchSize, state: &state, training: true, rng: &rng)
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
        let kept = options.outputFolder.flatMap { folder in
            FileManager.default.fileExists(atPath: folder + "/" + Checkpoint.modelFile) ? folder : nil
        }
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
        if let folder = options.outputFolder {
            let entry = "=== step \(progress.step) ===\n\(options.samplePrompt)\(text)\n"
            let path = folder + "/" + Self.samplesFile
            if let handle = FileHandle(forWritingAtPath: path) {
                defer { try? handle.close() }
                handle.seekToEndOfFile()
                handle.write(Data(entry.utf8))
            } else {
                try AtomicFile.write(entry, to: path)
            }
        }
        return result
    }

    /// Deletes all but the `keep` newest `step-NNNNNNN.safetensors` copies in `folder`.
    static func removeKeptCheckpoints(in folder: String, beyond keep: Int) {
        let kept = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasPrefix("step-") && $0.hasSuffix(".safetensors") }.sorted()
        for name in kept.dropLast(keep) { try? FileManager.default.removeItem(atPath: folder + "/" + name) }
    }

    /// Runs `body` with the weights that validation judges: the average when there is one.
    private func withValidatedWeights<R>(_ body: () throws -> R) rethrows -> R {
        guard let average else { return try body() }
        return try average.withAveragedWeights(in: network.parameters, body)
    }

    /// The resume file's tensor holding the averaged weights (flat, in parameter order).
    static let averageTensor = "average"

    /// The run folder's log of samples (`TrainingOptions.sampleEvery`).
    public static let samplesFile = "samples.txt"

    /// Writes latest, resume state, metrics, (when `bestImproved`) the best model and (when
    /// `validated` and `keepCheckpoints` asks) a copy kept by step.
    private func save(bestImproved: Bool, validated: Bool = false) throws {
        guard (0..<network.parameters.count).allSatisfy({ network.parameters.values[$0].isFinite }) else {
            throw QuillError.runtime("step \(progress.step): weights are no longer finite; nothing was saved (the last good checkpoint is kept)")
        }
        guard let folder = options.outputFolder else { return }
        let summary = TrainingSummary(level: options.level, mode: options.mode, steps: progress.step, epochs: fractionalEpoch,
                                      bestValidationLoss: progress.bestValidationLoss, history: progress.history,
                                      corpus: options.corpus)
        let checkpoint = Checkpoint(model: network.snapshot(), vocabulary: data.vocabulary, summary: summary)
        // The best model and kept copies are what validation judged (the average, when there is one).
        let judged = average == nil ? checkpoint
            : withValidatedWeights { Checkpoint(model: network.snapshot(), vocabulary: data.vocabulary, summary: summary) }
        if bestImproved { try judged.write(to: folder + "/" + Checkpoint.modelFile) }
        try checkpoint.write(to: folder + "/" + Checkpoint.latestFile)
        if validated, let keep = options.keepCheckpoints {
            try judged.write(to: folder + "/" + String(format: "step-%07d.safetensors", progress.step))
            Self.removeKeptCheckpoints(in: folder, beyond: keep)
        }

        let s = rng.state
        progress.rngState = [s.0, s.1, s.2, s.3]
        var resume = Self.resumeFile(checkpoint: checkpoint, optimizer: optimizer, state: state, progress: progress)
        if let average { resume.set(Self.averageTensor, .init(shape: [average.values.count], floats: average.values)) }
        try resume.write(to: folder + "/" + Checkpoint.resumeFile)
        try MetricsLog.write(progress.history, curve: progress.curve?.points ?? [], folder: folder)
    }

    /// A whole checkpoint plus what resuming needs, so that one atomic rename saves all of it.
    private static func resumeFile(checkpoint: Checkpoint, optimizer: Optimizer, state: RecurrentState,
                                   progress: TrainingProgress) -> SafeTensors {
        var resume = checkpoint.safeTensors()
        if let first = optimizer.first { resume.set("optimizer.first", .init(shape: [first.count], floats: first.allValues)) }
        if let second = optimizer.second { resume.set("optimizer.second", .init(shape: [second.count], floats: second.allValues)) }
        resume.set("state.hidden", .init(shape: [state.layers, state.batchSize, state.hiddenSize], floats: state.hidden))
        if !state.cell.isEmpty {
            resume.set("state.cell", .init(shape: [state.layers, state.batchSize, state.hiddenSize], floats: state.cell))
        }
        resume.metadata["quill.progress"] = JSONCoding.string(progress)
        return resume
    }

    /// Writes `checkpoint` to `folder` as a run that has not taken a step: `model.safetensors`,
    /// `latest.safetensors`, and a resume file whose options fine-tune it (`baseCheckpoint`) with
    /// `options`' optimisation settings, so resuming the folder with a text to train on starts
    /// training it (`quill import` writes such folders). `options.corpus` may be empty: the resumed
    /// run must then name its text.
    public static func writeUnstartedRun(_ checkpoint: Checkpoint, options given: TrainingOptions, folder: String) throws {
        var options = given
        options.outputFolder = folder
        options.baseCheckpoint = folder + "/" + Checkpoint.modelFile
        options.adoptModel(checkpoint.config, level: checkpoint.summary.level, mode: checkpoint.summary.mode)
        try options.validate()
        var checkpoint = checkpoint
        checkpoint.config = options.modelConfig(vocabularySize: checkpoint.vocabulary.count)
        // Zero moments in the parameters' layout; the weights themselves are the checkpoint's.
        let optimizer = Optimizer(settings: options.optimizer, layoutOf: ParameterStore(shapes: checkpoint.config.parameterShapes))
        let generator = SeededGenerator(seed: options.seed &+ 0xD80F)
        let s = generator.state
        let progress = TrainingProgress(options: options, schedule: LearningRateSchedule(options: options), rngState: [s.0, s.1, s.2, s.3])
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw QuillError.io(path: folder, problem: "cannot create the folder (is a file in the way, or is its parent read-only?)")
        }
        try checkpoint.write(to: folder + "/" + Checkpoint.modelFile)
        try checkpoint.write(to: folder + "/" + Checkpoint.latestFile)
        try resumeFile(checkpoint: checkpoint, optimizer: optimizer,
                       state: RecurrentState(config: checkpoint.config, batchSize: options.batchSize), progress: progress)
            .write(to: folder + "/" + Checkpoint.resumeFile)
    }
}
