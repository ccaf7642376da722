import Foundation
import QuillCheckpoint
import QuillCore
import QuillModel
import QuillText

extension TrainingSetting {
    /// Every training setting, in the order `quill train --help` lists them and a front end
    /// applies them: `optimizer` comes before `lr`, `momentum` and `weight-decay`, because choosing
    /// an optimizer sets the rate and decay it defaults to.
    ///
    /// To add a setting: add its property (with its default) to `TrainingOptions`, its case to
    /// `Setting`, and one row here; the command line, its help, resume rules, the budget and
    /// search keys follow from the row, and TrainingSettingTests check it.
    public static let all: [TrainingSetting] = data + model + optimisation + limits + reporting

    /// `TrainingOptions.level`.
    public static let level = choice(.level, "level", \.level, Facts(help: "tokens are characters, words or byte-level BPE subwords (bpe)", takenFromBase: true))
    /// `TrainingOptions.mode`.
    public static let mode = choice(.mode, "mode", \.mode, Facts(help: "stream: truncated BPTT over the whole text; lines: one padded line per row", takenFromBase: true))
    /// `TrainingOptions.maxLength`.
    public static let maxLength = count(.maxLength, "max-len", \.maxLength, Facts(help: "lines mode: longest line in tokens (longer lines are truncated)", maximum: 1 << 20))
    /// `TrainingOptions.baseCheckpoint`.
    public static let baseCheckpoint = text(.baseCheckpoint, "from", \.baseCheckpoint, Facts(help: "fine-tune: start from this checkpoint's weights, config and vocabulary, with a fresh optimizer"))
    /// `TrainingOptions.unknownPolicy`.
    public static let unknownPolicy = TrainingSetting(.unknownPolicy, "unknown", .choice(UnknownTokenPolicy.allCases.map(\.spelling)), \.unknownPolicy,
        Facts(help: "with --from: text the vocabulary lacks is refused (error), left out (skip) or read as <unk>",
              defaultNote: "unk for words, error for characters"),
        parse: { UnknownTokenPolicy(spelling: $0) }, format: { $0?.spelling })
    /// `TrainingOptions.validationFile`.
    public static let validationFile = text(.validationFile, "val", \.validationFile, Facts(help: "validation text file", defaultNote: "the last --val-fraction of the text"))
    /// `TrainingOptions.validationFraction`.
    public static let validationFraction = number(.validationFraction, "val-fraction", \.validationFraction, Facts(help: "share of the text held out for validation"))
    /// `TrainingOptions.minimumCount`.
    public static let minimumCount = count(.minimumCount, "min-count", \.minimumCount, Facts(help: "tokens seen fewer times map to <unk>", maximum: 1 << 40, takenFromBase: true))
    /// `TrainingOptions.maximumVocabulary`.
    public static let maximumVocabulary = count(.maximumVocabulary, "max-vocab", \.maximumVocabulary,
        Facts(help: "largest vocabulary, specials included", maximum: ModelConfig.limits.vocabulary, defaultNote: "no limit", takenFromBase: true))

    /// `TrainingOptions.bytePairVocabularySize`.
    public static let bytePairVocabularySize = count(.bytePairVocabularySize, "vocab-size", \.bytePairVocabularySize,
        Facts(help: "bpe level: vocabulary size, counting the 256 bytes, the merges learned and the specials",
              minimum: 1, maximum: ModelConfig.limits.vocabulary, defaultNote: "\(TrainingOptions.defaultBytePairVocabularySize); 1024 in a time-only run", chosenByBudget: true, takenFromBase: true,
              searchKey: "vocab_size"))

    /// `TrainingOptions.tokenizerFile`.
    public static let tokenizerFile = text(.tokenizerFile, "tokenizer", \.tokenizerFile,
        Facts(help: "bpe level: use this Hugging Face tokenizer.json (GPT-2's byte-level BPE) instead of learning merges", defaultNote: "learn them from the text", takenFromBase: true))

    /// Data: what the run reads and how it becomes tokens.
    static let data: [TrainingSetting] = [level, mode, maxLength, baseCheckpoint, unknownPolicy, validationFile, validationFraction, minimumCount,
                                          maximumVocabulary, bytePairVocabularySize, tokenizerFile]

    /// `TrainingOptions.cell`.
    public static let cell = choice(.cell, "cell", \.cell, Facts(help: "recurrent cell", takenFromBase: true))
    /// `TrainingOptions.embeddingSize`.
    public static let embeddingSize = count(.embeddingSize, "embed", \.embeddingSize,
        Facts(help: "embedding size", maximum: ModelConfig.limits.embedding, chosenByBudget: true, takenFromBase: true, searchKey: "embed"))
    /// `TrainingOptions.hiddenSize`.
    public static let hiddenSize = count(.hiddenSize, "hidden", \.hiddenSize,
        Facts(help: "hidden size of each layer", maximum: ModelConfig.limits.hidden, chosenByBudget: true, takenFromBase: true, searchKey: "hidden"))
    /// `TrainingOptions.layers`.
    public static let layers = count(.layers, "layers", \.layers,
        Facts(help: "number of stacked layers", maximum: ModelConfig.limits.layers, chosenByBudget: true, takenFromBase: true, searchKey: "layers"))
    /// `TrainingOptions.dropout`.
    public static let dropout = number(.dropout, "dropout", \.dropout,
        Facts(help: "dropout probability on embeddings, between layers and before the decoder", chosenByBudget: true, searchKey: "dropout"))
    /// `TrainingOptions.regularization.lockedDropout`.
    public static let lockedDropout = toggle(.lockedDropout, "locked-dropout", \.regularization.lockedDropout,
        Facts(help: "variational dropout: one mask per sequence, reused at every time step", searchKey: "locked_dropout"))
    /// `TrainingOptions.regularization.embeddingDropout`.
    public static let embeddingDropout = number(.embeddingDropout, "embedding-dropout", \.regularization.embeddingDropout,
        Facts(help: "drop whole tokens: each batch zeroes this share of the embedding rows", searchKey: "embedding_dropout"))
    /// `TrainingOptions.regularization.weightDrop`.
    public static let weightDrop = number(.weightDrop, "weight-drop", \.regularization.weightDrop,
        Facts(help: "DropConnect on the hidden-to-hidden weights, one mask per batch", chosenByBudget: true, searchKey: "weight_drop"))
    /// `TrainingOptions.regularization.activation`.
    public static let activationRegularization = number(.activationRegularization, "ar", \.regularization.activation,
        Facts(help: "activation regularisation: add this times mean(y^2) of the last layer's dropped-out output"))
    /// `TrainingOptions.regularization.temporalActivation`.
    public static let temporalActivationRegularization = number(.temporalActivationRegularization, "tar", \.regularization.temporalActivation,
        Facts(help: "temporal activation regularisation: add this times mean((h_t - h_t-1)^2) of the last layer's output"))
    // 0 turns the average off, also where a time-only run's recipe would keep one.
    /// `TrainingOptions.averageDecay`.
    public static let averageDecay = numberOrNone(.averageDecay, "ema", \.averageDecay,
        Facts(help: "validate, sample and save as best an exponential moving average of the weights with this decay (e.g. 0.999; 0: none)",
              chosenByBudget: true))
    /// `TrainingOptions.embeddingsFile`.
    public static let embeddingsFile = text(.embeddingsFile, "embeddings", \.embeddingsFile,
        Facts(help: "initialise the embedding rows of tokens found in this GloVe/word2vec text file", takenFromBase: true))
    /// `TrainingOptions.freezeEmbeddings`.
    public static let freezeEmbeddings = toggle(.freezeEmbeddings, "freeze-embeddings", \.freezeEmbeddings, Facts(help: "keep the embedding matrix fixed during training"))
    /// `TrainingOptions.tieWeights`.
    public static let tieWeights = toggle(.tieWeights, "tie-weights", \.tieWeights,
        Facts(help: "share the encoder and decoder matrices (needs --embed equal to --hidden)", chosenByBudget: true, takenFromBase: true, searchKey: "tie"))
    /// `TrainingOptions.initialization`.
    public static let initialization = choice(.initialization, "init", \.initialization,
        Facts(help: "weight initialisation: PyTorch's defaults, Glorot, or every parameter U(-r, r)", takenFromBase: true))
    /// `TrainingOptions.initializationRange`.
    public static let initializationRange = number(.initializationRange, "init-range", \.initializationRange, Facts(help: "r for --init uniform", takenFromBase: true))
    /// `TrainingOptions.attention`.
    public static let attention = toggle(.attention, "attention", \.attention,
        Facts(help: "one attention head (SHA-RNN) over a memory of past states after the second-to-last layer (--attention=false: none)",
              chosenByBudget: true, takenFromBase: true, searchKey: "attention"))
    /// `TrainingOptions.attentionMemory`.
    public static let attentionMemory = count(.attentionMemory, "attention-memory", \.attentionMemory,
        Facts(help: "with --attention: past positions each position may attend to", maximum: ModelConfig.Attention.memoryLimit,
              takenFromBase: true))
    /// `TrainingOptions.adaptiveSoftmax`.
    public static let adaptiveSoftmax = TrainingSetting(.adaptiveSoftmax, "adaptive-softmax", .text, \.adaptiveSoftmax,
        Facts(help: "word level: an adaptive softmax in place of the decoder, with these increasing cutoffs (e.g. 2000,10000): the shortlist below the first, a cluster between each", defaultNote: "full softmax", takenFromBase: true,
              expected: "increasing whole numbers separated by commas, such as 2000,10000"),
        parse: { text in
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
            return .some(parts.map { $0! })
        },
        format: { $0.map { $0.map(String.init).joined(separator: ",") } })
    /// `TrainingOptions.adaptiveDivValue`.
    public static let adaptiveDivValue = number(.adaptiveDivValue, "adaptive-div", \.adaptiveDivValue,
        Facts(help: "with --adaptive-softmax: cluster i's projection is hidden / this^i wide", takenFromBase: true))
    /// `TrainingOptions.adaptiveSoftmaxFrom`.
    public static let adaptiveSoftmaxFrom = count(.adaptiveSoftmaxFrom, "adaptive-from", \.adaptiveSoftmaxFrom,
        Facts(help: "word level, without --adaptive-softmax: take one (cutoffs \(ModelConfig.AdaptiveSoftmax.defaultCutoffs.map(String.init).joined(separator: ",")), weights untied) when the vocabulary has N tokens or more",
              minimum: 1, maximum: ModelConfig.limits.vocabulary, defaultNote: "never; a time-only word run: the recipe's", chosenByBudget: true, takenFromBase: true))
    /// `TrainingOptions.seed`.
    public static let seed = TrainingSetting(.seed, "seed", .count, \.seed, Facts(help: "seed for initialisation, dropout and shuffling", minimum: 0),
        parse: { UInt64($0) }, format: { "\($0)" })

    /// The model, its regularisation and initialisation.
    static let model: [TrainingSetting] = [cell, embeddingSize, hiddenSize, layers, dropout, lockedDropout, embeddingDropout, weightDrop, activationRegularization, temporalActivationRegularization, averageDecay, embeddingsFile, freezeEmbeddings, tieWeights, initialization, initializationRange, attention, attentionMemory, adaptiveSoftmax, adaptiveDivValue, adaptiveSoftmaxFrom, seed]

    /// `TrainingOptions.batchSize`.
    public static let batchSize = count(.batchSize, "batch", \.batchSize, Facts(help: "rows per batch", maximum: 1 << 16, searchKey: "batch"))
    /// `TrainingOptions.sequenceLength`.
    public static let sequenceLength = count(.sequenceLength, "seq-len", \.sequenceLength, Facts(help: "time steps per window (truncated BPTT length)", maximum: 1 << 16, searchKey: "seq_len"))
    /// `TrainingOptions.optimizer.kind`.
    public static let optimizer = TrainingSetting(.optimizer, "optimizer", .choice(Optimizer.Kind.allCases.map(\.rawValue)),
        Facts(help: "optimizer (adamw: Adam with decoupled weight decay); sets --lr and --weight-decay to its defaults",
              chosenByBudget: true, searchKey: "optimizer"),
        read: { $0.optimizer.kind.rawValue },
        write: { options, text in
            guard let kind = Optimizer.Kind(rawValue: text) else { return false }
            options.optimizer.switchKind(to: kind)
            options.learningRate = kind.defaultLearningRate
            return true
        },
        copy: { source, target in target.optimizer.kind = source.optimizer.kind })
    /// `TrainingOptions.learningRate`.
    public static let learningRate = number(.learningRate, "lr", \.learningRate,
        Facts(help: "learning rate", defaultNote: "0.002 for adam, adamw and rmsprop, 1 for sgd", resumable: true, chosenByBudget: true, searchKey: "lr"))
    /// `TrainingOptions.optimizer.momentum`.
    public static let momentum = number(.momentum, "momentum", \.optimizer.momentum, Facts(help: "SGD momentum"))
    /// `TrainingOptions.optimizer.weightDecay`.
    public static let weightDecay = number(.weightDecay, "weight-decay", \.optimizer.weightDecay,
        Facts(help: "L2 penalty added to the gradients; with adamw, each step shrinks the weights by lr × this instead",
              defaultNote: "0, 0.01 for adamw", chosenByBudget: true))
    /// `TrainingOptions.clip`.
    public static let clip = number(.clip, "clip", \.clip, Facts(help: "clip the global gradient norm to this (0: off)", resumable: true))
    /// `TrainingOptions.learningRateDecay`.
    public static let learningRateDecay = number(.learningRateDecay, "lr-decay", \.learningRateDecay,
        Facts(help: "multiply the learning rate by this each epoch after --lr-decay-after", resumable: true))
    /// `TrainingOptions.learningRateDecayAfter`.
    public static let learningRateDecayAfter = count(.learningRateDecayAfter, "lr-decay-after", \.learningRateDecayAfter,
        Facts(help: "epochs before --lr-decay starts", maximum: 1 << 20, resumable: true))
    /// `TrainingOptions.decayShape`.
    public static let decayShape = choice(.decayShape, "schedule", \.decayShape,
        Facts(help: "learning-rate shape over the budget: cosine or linear decay to --lr-floor, ending exactly when --epochs, --max-steps or --max-time ends",
              chosenByBudget: true))
    /// `TrainingOptions.warmupSteps`.
    public static let warmupSteps = count(.warmupSteps, "warmup", \.warmupSteps, Facts(help: "steps of linear learning-rate warmup", minimum: 0, maximum: 1 << 40, chosenByBudget: true))
    /// `TrainingOptions.decayFloor`.
    public static let decayFloor = number(.decayFloor, "lr-floor", \.decayFloor, Facts(help: "with --schedule cosine|linear: the final learning rate, as a fraction of --lr"))
    /// `TrainingOptions.plateauFactor`.
    public static let plateauFactor = number(.plateauFactor, "plateau-factor", \.plateauFactor,
        Facts(help: "divide the learning rate by this when validation loss does not improve (1: off)", resumable: true))
    /// `TrainingOptions.patience`.
    public static let patience = count(.patience, "patience", \.patience,
        Facts(help: "stop after this many validations without improvement", maximum: 1 << 20, defaultNote: "never", resumable: true))

    /// Optimisation and the learning-rate schedule.
    static let optimisation: [TrainingSetting] = [batchSize, sequenceLength, optimizer, learningRate, momentum, weightDecay, clip, learningRateDecay, learningRateDecayAfter, decayShape, warmupSteps, decayFloor, plateauFactor, patience]

    /// `TrainingOptions.epochs`.
    public static let epochs = count(.epochs, "epochs", \.epochs, Facts(help: "passes over the training text", maximum: 1 << 20, resumable: true, chosenByBudget: true))
    /// `TrainingOptions.maxSteps`.
    public static let maxSteps = count(.maxSteps, "max-steps", \.maxSteps, Facts(help: "stop after this many optimizer steps", maximum: 1 << 40, resumable: true))
    /// `TrainingOptions.maxTime`.
    public static let maxTime = TrainingSetting(.maxTime, "max-time", .duration, \.maxTime,
        Facts(help: "stop after this long, e.g. 90s, 10m, 2h, 4m11s (plain numbers are seconds)", resumable: true),
        parse: { TimeSpan.seconds($0).map { $0 } }, format: { $0.map(decimal) })
    /// `TrainingOptions.evaluateEvery`.
    public static let evaluateEvery = count(.evaluateEvery, "eval-every", \.evaluateEvery,
        Facts(help: "validate and save every N steps as well as after each epoch", maximum: 1 << 40, resumable: true))

    /// `TrainingOptions.validationShare`.
    public static let validationShare = numberOrNone(.validationShare, "val-share", \.validationShare,
        Facts(help: "skip a validation during the run that would take validations past this share of the time so far (the last always runs; 0: no limit)",
              defaultNote: "no limit; 0.05 in a time-only run without --eval-every", resumable: true, chosenByBudget: true))

    /// When the run stops, and how often it validates.
    static let limits: [TrainingSetting] = [epochs, maxSteps, maxTime, evaluateEvery, validationShare]

    /// `TrainingOptions.sampleEvery`.
    public static let sampleEvery = count(.sampleEvery, "sample-every", \.sampleEvery,
        Facts(help: "after every N validations, print a short sample and append it to samples.txt", maximum: 1 << 20, resumable: true))
    /// `TrainingOptions.sampleLength`.
    public static let sampleLength = count(.sampleLength, "sample-length", \.sampleLength, Facts(help: "tokens per sample", maximum: 1 << 24, resumable: true))
    /// `TrainingOptions.sampleTemperature`.
    public static let sampleTemperature = number(.sampleTemperature, "sample-temperature", \.sampleTemperature, Facts(help: "sampling temperature of the samples", resumable: true))
    /// `TrainingOptions.samplePrompt`.
    public static let samplePrompt = text(.samplePrompt, "sample-prompt", \.samplePrompt, Facts(help: "text the samples continue", resumable: true))
    /// `TrainingOptions.keepCheckpoints`.
    public static let keepCheckpoints = count(.keepCheckpoints, "keep", \.keepCheckpoints,
        Facts(help: "keep a copy of the weights at each of the last N validations (step-NNNNNNN.safetensors)", maximum: 1 << 20, resumable: true))
    /// `TrainingOptions.logEvery`.
    public static let logEvery = count(.logEvery, "log-every", \.logEvery,
        Facts(help: "steps between the training-loss points of metrics.csv and loss.svg, and between progress lines when not on a terminal",
              minimum: 1, maximum: 1 << 40, resumable: true))

    /// Samples, kept checkpoints and the loss log.
    static let reporting: [TrainingSetting] = [sampleEvery, sampleLength, sampleTemperature, samplePrompt, keepCheckpoints, logEvery]
}
