import QuillCore
import QuillModel
import QuillText

/// Everything that defines a training run. Stored with a run's resume state, so resuming needs
/// nothing but the folder.
public struct TrainingOptions: Codable, Equatable, Sendable {
    // Data
    /// The training text's path (a label only, when the text is given in memory).
    public var corpus: String
    /// A separate validation text; nil holds out the last `validationFraction` of the corpus.
    public var validationFile: String? = nil
    /// Share of the corpus held out for validation when there is no `validationFile`.
    public var validationFraction: Double = 0.05
    /// Characters or words.
    public var level: TokenLevel = .char
    /// Streams (truncated BPTT) or one line per row.
    public var mode: TrainingMode = .stream
    /// Lines mode: most predicted positions per line.
    public var maxLength: Int = 128
    /// Tokens seen fewer times map to `<unk>`.
    public var minimumCount: Int = 1
    /// Largest vocabulary, specials included (nil: no limit); the word and char levels' cap.
    public var maximumVocabulary: Int? = nil
    /// The bpe level's vocabulary size: specials, the 256 bytes and the merges to learn (nil:
    /// `defaultBytePairVocabularySize`). Optional so that options stored before it existed read back.
    public var bytePairVocabularySize: Int? = nil
    /// The bpe vocabulary size when none is given.
    public static let defaultBytePairVocabularySize = 2048
    /// The bpe level: a Hugging Face `tokenizer.json` (GPT-2's byte-level kind) whose vocabulary
    /// and merges the run uses instead of learning its own (nil: learn them).
    public var tokenizerFile: String? = nil
    /// Fine-tuning: the checkpoint whose weights, config and vocabulary the run starts from (the
    /// model settings below are then taken from it). Nil trains a new model.
    public var baseCheckpoint: String? = nil
    /// What becomes of training or validation tokens a fixed vocabulary lacks (fine-tuning).
    /// Nil: `<unk>` at word level, refusal at character level.
    public var unknownPolicy: UnknownTokenPolicy? = nil
    /// Pretrained vectors (GloVe or word2vec text format) for the embedding rows they cover.
    public var embeddingsFile: String? = nil
    /// Keeps the embedding matrix at its initial (pretrained) values.
    public var freezeEmbeddings = false

    // Model
    /// E: embedding width.
    public var embeddingSize: Int = 64
    /// H: hidden size of each layer.
    public var hiddenSize: Int = 256
    /// L: stacked recurrent layers.
    public var layers: Int = 2
    /// Dropout on the embedding, between layers and before the decoder.
    public var dropout: Float = 0.1
    /// Share the encoder and decoder matrices (needs E = H).
    public var tieWeights: Bool = false
    /// The recurrent cell.
    public var cell: ModelConfig.Cell = .lstm
    /// Weight initialisation.
    public var initialization: ModelConfig.Initialization = .pytorch
    /// r of `.uniform` initialisation.
    public var initializationRange: Float = 0.1
    /// One attention head over a memory of past states after the second-to-last layer
    /// (`ModelConfig.Attention`).
    public var attention: Bool = false
    /// M: past positions the attention head may reach (with `attention`).
    public var attentionMemory: Int = ModelConfig.Attention.defaultMemory
    /// Cutoffs of an adaptive softmax in place of the decoder (`ModelConfig.AdaptiveSoftmax`;
    /// word level only, whose ids are frequency ranks), or nil for the full softmax.
    public var adaptiveSoftmax: [Int]? = nil
    /// The adaptive softmax's `div_value`: tail i projects to H / this^(i+1) features.
    public var adaptiveDivValue: Double = ModelConfig.AdaptiveSoftmax.defaultDivValue
    /// Without `adaptiveSoftmax`: the vocabulary size from which a word model takes one anyway,
    /// with `ModelConfig.AdaptiveSoftmax.defaultCutoffs` and untied weights (nil: never). The
    /// vocabulary is built after the options are chosen, so the trainer decides
    /// (`resolveAdaptiveSoftmax`); a time-only word run's `BudgetRecipe` sets it.
    public var adaptiveSoftmaxFrom: Int? = nil
    /// Seed of initialisation, dropout and shuffling.
    public var seed: UInt64 = 1

    // Optimisation
    /// B: rows per batch.
    public var batchSize: Int = 32
    /// T: steps per window (stream mode).
    public var sequenceLength: Int = 64
    /// The optimizer and its hyperparameters.
    public var optimizer: Optimizer.Settings = .init(kind: .adam)
    /// The starting learning rate.
    public var learningRate: Double = 0.002
    /// AWD-LSTM's regularisers beyond dropout (embedding dropout, weight-drop, locked dropout,
    /// AR, TAR); all off by default.
    public var regularization = Regularization()
    /// Weight averaging: validation, the best model and samples use an exponential moving average
    /// of the weights with this decay (e.g. 0.999; early steps use min(decay, (1+n)/(10+n)) so the
    /// average is not dominated by the initial weights). Nil: the raw weights.
    public var averageDecay: Double? = nil
    /// Global gradient-norm limit; 0 turns clipping off.
    public var clip: Double = 5
    /// Step decay: after `learningRateDecayAfter` epochs, multiply the rate by this each epoch.
    public var learningRateDecay: Double = 1
    /// Epochs before step decay starts.
    public var learningRateDecayAfter: Int = 0
    /// Shape of the learning rate over the run's budget (see `BudgetSchedule`).
    public var decayShape: DecayShape = .constant
    /// Steps of linear warmup.
    public var warmupSteps = 0
    /// Where `decayShape` ends, as a fraction of the rate.
    public var decayFloor = 0.0
    /// Plateau annealing: divide the rate by this when a validation does not improve (1 = off).
    public var plateauFactor: Double = 1
    /// Early stopping: validations without improvement before stopping (nil = never).
    public var patience: Int? = nil

    // Limits and reporting
    /// Passes over the training text.
    public var epochs: Int = 10
    /// An epoch limit that never ends a run (time-only runs, searches): the most the `quill` tool accepts.
    public static let unlimitedEpochs = 1 << 20
    /// Stop after this many optimizer steps.
    public var maxSteps: Int? = nil
    /// Seconds of training in this invocation.
    public var maxTime: Double? = nil
    /// Validate (and save, with an output folder) every N steps as well as at each epoch's end;
    /// nil: at epochs' ends only. 1000 by default, as the `quill` tool always did: an epoch of a
    /// large text or a time-only run's single long epoch would otherwise show no validation and
    /// leave nothing to resume from for hours.
    public var evaluateEvery: Int? = 1000
    /// The largest share of the time so far that this session's validations may take: a scheduled
    /// validation (an epoch's end, `evaluateEvery`) whose expected cost would pass it is skipped,
    /// while the last validation, on the whole validation text, always runs. Nil: no limit. A
    /// time-only run without `evaluateEvery` chosen gets 0.05 from `BudgetRecipe`: a word model's
    /// validation text can cost a quarter of a short budget to score at every epoch's end.
    public var validationShare: Double? = nil
    /// Generate a sample after every N validations (nil: never); see `TrainingSample`.
    public var sampleEvery: Int? = nil
    /// Tokens per sample.
    public var sampleLength = 200
    /// Sampling temperature of the samples.
    public var sampleTemperature = 0.8
    /// Text the samples continue.
    public var samplePrompt = ""
    /// Steps between the training-loss points of `metrics.csv` and `loss.svg` (and the progress
    /// lines of the `quill` tool when it is not on a terminal).
    public var logEvery = 50
    /// Keep a copy of the weights at each of the last N validations (`step-NNNNNNN.safetensors`;
    /// nil: none beyond the best and the latest).
    public var keepCheckpoints: Int? = nil
    /// Where checkpoints, metrics and the loss plot are written; nil keeps the run in memory (no
    /// files, no resuming: the trained weights are `Trainer.model`).
    public var outputFolder: String?

    /// Options with the defaults for `corpus`, written to `outputFolder` (nil: in memory).
    public init(corpus: String, outputFolder: String?) {
        self.corpus = corpus
        self.outputFolder = outputFolder
    }

    /// Rejects impossible settings: throws `QuillError.invalidSetting` naming the setting.
    public func validate() throws {
        func invalid(_ setting: Setting, _ value: Any, _ message: String, related: [Setting] = []) -> QuillError {
            .invalidSetting(InvalidSetting(setting, value, message, related: related))
        }
        let counts: [(Setting, Int?)] = [
            (.embeddingSize, embeddingSize), (.hiddenSize, hiddenSize), (.layers, layers), (.batchSize, batchSize),
            (.sequenceLength, sequenceLength), (.maxLength, maxLength), (.epochs, epochs), (.minimumCount, minimumCount),
            (.maxSteps, maxSteps), (.evaluateEvery, evaluateEvery), (.patience, patience), (.maximumVocabulary, maximumVocabulary), (.bytePairVocabularySize, bytePairVocabularySize),
            (.sampleEvery, sampleEvery), (.warmupSteps, warmupSteps == 0 ? nil : warmupSteps), (.sampleLength, sampleLength), (.keepCheckpoints, keepCheckpoints), (.logEvery, logEvery),
        ]
        for case let (setting, value?) in counts where value <= 0 { throw QuillError.invalidSetting(.positive(setting, value)) }
        guard learningRate > 0, learningRate.isFinite else { throw invalid(.learningRate, learningRate, "learningRate must be positive, got \(learningRate)") }
        guard dropout >= 0 && dropout < 1 else { throw invalid(.dropout, dropout, "dropout must be in [0, 1), got \(dropout)") }
        guard validationFraction > 0 && validationFraction < 1 else {
            throw invalid(.validationFraction, validationFraction, "validationFraction must be between 0 and 1 (exclusive), got \(validationFraction)")
        }
        guard clip >= 0 else { throw invalid(.clip, clip, "clip must be 0 (off) or positive, got \(clip)") }
        guard learningRateDecay > 0 && learningRateDecay <= 1 else {
            throw invalid(.learningRateDecay, learningRateDecay, "learningRateDecay must be in (0, 1], got \(learningRateDecay)")
        }
        guard learningRateDecayAfter >= 0 else {
            throw invalid(.learningRateDecayAfter, learningRateDecayAfter, "learningRateDecayAfter must be 0 or more, got \(learningRateDecayAfter)")
        }
        guard plateauFactor >= 1 else { throw invalid(.plateauFactor, plateauFactor, "plateauFactor must be at least 1 (1 = off), got \(plateauFactor)") }
        guard optimizer.momentum >= 0 && optimizer.momentum < 1 else {
            throw invalid(.momentum, optimizer.momentum, "momentum must be in [0, 1), got \(optimizer.momentum)")
        }
        guard optimizer.weightDecay >= 0 else { throw invalid(.weightDecay, optimizer.weightDecay, "weightDecay must be 0 or more, got \(optimizer.weightDecay)") }
        guard decayFloor >= 0 && decayFloor <= 1 else {
            throw invalid(.decayFloor, decayFloor, "decayFloor must be in [0, 1], got \(decayFloor)")
        }
        guard sampleTemperature >= 0, sampleTemperature.isFinite else {
            throw invalid(.sampleTemperature, sampleTemperature, "sampleTemperature must be 0 (greedy) or positive, got \(sampleTemperature)")
        }
        try regularization.validate()
        if let averageDecay, !(averageDecay > 0 && averageDecay < 1) {
            throw invalid(.averageDecay, averageDecay, "averageDecay must be between 0 and 1 (exclusive), got \(averageDecay)")
        }
        if let validationShare, !(validationShare > 0 && validationShare < 1) {
            throw invalid(.validationShare, validationShare, "validationShare must be between 0 and 1 (exclusive), got \(validationShare)")
        }
        if let maxTime, let problem = TimeSpan.problem(maxTime) { throw invalid(.maxTime, maxTime, "maxTime \(problem), got \(maxTime) s") }
        if freezeEmbeddings && tieWeights {
            throw invalid(.freezeEmbeddings, true, "freezeEmbeddings would freeze the decoder too, which tieWeights shares with the embedding", related: [.tieWeights])
        }
        if level == .bpe && mode == .lines {
            // Its tokens never include <eos>, so a lines-mode batcher would see one long line.
            throw invalid(.mode, mode.rawValue, "mode lines needs line ends as tokens, which the bpe level folds into its subwords; use mode stream at level bpe", related: [.level])
        }
        if let adaptiveSoftmax, level != .word {
            // Its clusters rest on ids ranked by frequency, which only the word vocabulary has (bpe
            // ids follow merges), and a character vocabulary is too small to need one.
            throw invalid(.adaptiveSoftmax, adaptiveSoftmax.map(String.init).joined(separator: ","),
                          "adaptiveSoftmax is for word models (level word), not level \(level.rawValue)", related: [.level])
        }
        if let adaptiveSoftmaxFrom {
            if level != .word {
                throw invalid(.adaptiveSoftmaxFrom, adaptiveSoftmaxFrom, "adaptiveSoftmaxFrom is for word models (level word), not level \(level.rawValue)", related: [.level])
            }
            // The cutoffs must stay below the vocabulary it is taken at.
            let last = ModelConfig.AdaptiveSoftmax.defaultCutoffs.last!
            if adaptiveSoftmaxFrom <= last {
                throw invalid(.adaptiveSoftmaxFrom, adaptiveSoftmaxFrom, "adaptiveSoftmaxFrom must be more than \(last), the default cutoffs' last, got \(adaptiveSoftmaxFrom)")
            }
            // Checked now rather than once the text is read.
            try defaultAdaptiveSoftmax.validate(vocabularySize: adaptiveSoftmaxFrom, hiddenSize: hiddenSize)
        }
        if let tokenizerFile, level != .bpe {
            throw invalid(.tokenizerFile, tokenizerFile, "tokenizerFile holds a byte-level BPE: it needs level bpe, not \(level.rawValue)", related: [.level])
        }
        if embeddingsFile != nil && baseCheckpoint != nil {
            throw invalid(.embeddingsFile, embeddingsFile!, "embeddingsFile initialises a new model's embedding; a run from baseCheckpoint starts from trained weights", related: [.baseCheckpoint])
        }
        // The vocabulary is not known yet: as small as the cutoffs allow; the trainer checks the real one.
        try modelConfig(vocabularySize: (adaptiveSoftmax?.max() ?? 0) + 1).validate()
    }

    /// Settings a resumed run may change (besides `corpus` and `outputFolder`, which may move):
    /// the rows of `TrainingSetting.all` marked resumable.
    /// The values a saved run's options take for keys they lack: today's defaults, except the
    /// optional settings whose default is not nil (`evaluateEvery`), which are nil there, since a
    /// missing optional key is how a nil value was saved.
    static var fillingMissingKeys: TrainingOptions {
        var options = TrainingOptions(corpus: "", outputFolder: "")
        options.evaluateEvery = nil
        return options
    }

    /// The settings a resumed run may change (the rows of `TrainingSetting.all` marked resumable).
    public static let resumableSettings: [Setting] = TrainingSetting.all.filter(\.resumable).map(\.name)

    /// The settings a resumed run may not change whose values differ from `saved`'s, in table
    /// order.
    public func unresumableChanges(from saved: TrainingOptions) -> [TrainingSetting] {
        TrainingSetting.all.filter { row in
            guard !row.resumable else { return false }
            var probe = saved
            row.copyValue(from: self, to: &probe)
            return probe != saved
        }
    }

    /// True when these options differ from `saved` only in `resumableSettings`, the corpus path
    /// and the output folder.
    public func differsOnlyInResumableSettings(from saved: TrainingOptions) -> Bool {
        var same = self
        for setting in TrainingSetting.all where setting.resumable { setting.copyValue(from: saved, to: &same) }
        same.corpus = saved.corpus
        same.outputFolder = saved.outputFolder
        return same == saved
    }

    /// The bpe vocabulary size in force: the one chosen, else `defaultBytePairVocabularySize`.
    public var effectiveBytePairVocabularySize: Int {
        bytePairVocabularySize ?? Self.defaultBytePairVocabularySize
    }

    /// The unknown-token policy in force: the one chosen, else `<unk>` for words and refusal for
    /// characters (a character model's text rarely lacks a character by accident).
    public var effectiveUnknownPolicy: UnknownTokenPolicy {
        unknownPolicy ?? (level == .word ? .unk : .refuse)
    }

    /// Takes the model settings (sizes, cell, tying, initialisation, level, mode) from `config` and
    /// `summary`, as a run that starts from that model must.
    public mutating func adoptModel(_ config: ModelConfig, level: TokenLevel, mode: TrainingMode) {
        embeddingSize = config.embeddingSize
        hiddenSize = config.hiddenSize
        layers = config.layers
        tieWeights = config.tieWeights
        cell = config.cell
        initialization = config.initialization
        initializationRange = config.initializationRange
        attention = config.attention != nil
        attentionMemory = config.attention?.memory ?? ModelConfig.Attention.defaultMemory
        adaptiveSoftmax = config.adaptiveSoftmax?.cutoffs
        adaptiveDivValue = config.adaptiveSoftmax?.divValue ?? ModelConfig.AdaptiveSoftmax.defaultDivValue
        adaptiveSoftmaxFrom = nil
        self.level = level
        self.mode = mode
    }

    /// Takes an adaptive softmax with the default cutoffs, untied, when `adaptiveSoftmaxFrom` asks
    /// for one at a vocabulary of `vocabularySize` tokens and none is chosen; then clears
    /// `adaptiveSoftmaxFrom`, so the options say what was built (a resumed run reads them back).
    public mutating func resolveAdaptiveSoftmax(vocabularySize: Int) {
        guard let from = adaptiveSoftmaxFrom else { return }
        adaptiveSoftmaxFrom = nil
        guard adaptiveSoftmax == nil, vocabularySize >= from else { return }
        adaptiveSoftmax = ModelConfig.AdaptiveSoftmax.defaultCutoffs
        tieWeights = false
    }

    /// The softmax `adaptiveSoftmaxFrom` takes: the default cutoffs with this divisor.
    private var defaultAdaptiveSoftmax: ModelConfig.AdaptiveSoftmax {
        ModelConfig.AdaptiveSoftmax(cutoffs: ModelConfig.AdaptiveSoftmax.defaultCutoffs, divValue: adaptiveDivValue)
    }

    /// Whether the default cutoffs' tails keep at least one feature at this hidden size and divisor.
    var defaultCutoffsFit: Bool {
        (try? defaultAdaptiveSoftmax.validate(vocabularySize: Int.max, hiddenSize: hiddenSize)) != nil
    }

    /// The model shape for a vocabulary of `vocabularySize` tokens.
    public func modelConfig(vocabularySize: Int) -> ModelConfig {
        ModelConfig(vocabularySize: vocabularySize, embeddingSize: embeddingSize, hiddenSize: hiddenSize,
                    layers: layers, dropout: dropout, tieWeights: tieWeights, cell: cell, initialization: initialization,
                    initializationRange: initializationRange,
                    attention: attention ? ModelConfig.Attention(memory: attentionMemory) : nil,
                    adaptiveSoftmax: adaptiveSoftmax.map { ModelConfig.AdaptiveSoftmax(cutoffs: $0, divValue: adaptiveDivValue) })
    }
}
