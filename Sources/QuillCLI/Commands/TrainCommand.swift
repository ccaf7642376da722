import Foundation
import Quill

/// `quill train FILE`: train a model and write checkpoints.
enum TrainCommand {
    static let spec = CommandSpec(
        name: "train",
        summary: "Train a recurrent language model (LSTM, GRU or RNN) on a text file and save it as a checkpoint folder.",
        positionals: ["FILE"],
        options: [
            OptionSpec("level", .choice(["char", "word"]), default: "char", "tokens are characters or words"),
            OptionSpec("mode", .choice(["stream", "lines"]), default: "stream", "stream: truncated BPTT over the whole text; lines: one padded line per row"),
            OptionSpec("max-len", .int, default: "128", "lines mode: longest line in tokens (longer lines are truncated)"),
            OptionSpec("out", .string, "checkpoint folder (default: checkpoints/<corpus name>)"),
            OptionSpec("resume", .string, "continue the run saved in this folder (FILE may then be left out)"),
            OptionSpec("from", .string, "fine-tune: start from this checkpoint's weights, config and vocabulary, with a fresh optimizer"),
            OptionSpec("unknown", .choice(["error", "skip", "unk"]), "with --from: text the vocabulary lacks is refused (error), left out (skip) or read as <unk> (default: unk for words, error for characters)"),
            OptionSpec("overwrite", .flag, "start afresh even if --out already holds a run (its files are replaced)"),
            OptionSpec("cell", .choice(ModelConfig.Cell.allCases.map(\.rawValue)), default: "lstm", "recurrent cell"),
            OptionSpec("embed", .int, default: "64", "embedding size"),
            OptionSpec("hidden", .int, default: "256", "hidden size of each layer"),
            OptionSpec("layers", .int, default: "2", "number of stacked layers"),
            OptionSpec("dropout", .float, default: "0.1", "dropout probability on embeddings, between layers and before the decoder"),
            OptionSpec("locked-dropout", .flag, "variational dropout: one mask per sequence, reused at every time step"),
            OptionSpec("embedding-dropout", .float, default: "0", "drop whole tokens: each batch zeroes this share of the embedding rows"),
            OptionSpec("weight-drop", .float, default: "0", "DropConnect on the hidden-to-hidden weights, one mask per batch"),
            OptionSpec("ar", .float, default: "0", "activation regularisation: add this times mean(y^2) of the last layer's dropped-out output"),
            OptionSpec("tar", .float, default: "0", "temporal activation regularisation: add this times mean((h_t - h_t-1)^2) of the last layer's output"),
            OptionSpec("ema", .float, "validate, sample and save as best an exponential moving average of the weights with this decay (e.g. 0.999; 0: none)"),
            OptionSpec("embeddings", .string, "initialise the embedding rows of tokens found in this GloVe/word2vec text file"),
            OptionSpec("freeze-embeddings", .flag, "keep the embedding matrix fixed during training"),
            OptionSpec("tie-weights", .flag, "share the encoder and decoder matrices (needs --embed equal to --hidden)"),
            OptionSpec("init", .choice(ModelConfig.Initialization.allCases.map(\.rawValue)), default: "pytorch", "weight initialisation: PyTorch's defaults, Glorot, or every parameter U(-r, r)"),
            OptionSpec("init-range", .float, default: "0.1", "r for --init uniform"),
            OptionSpec("seed", .int, default: "1", "seed for initialisation, dropout and shuffling"),
            OptionSpec("batch", .int, default: "32", "rows per batch"),
            OptionSpec("seq-len", .int, default: "64", "time steps per window (truncated BPTT length)"),
            OptionSpec("val", .string, "validation text file (default: the last --val-fraction of the text)"),
            OptionSpec("val-fraction", .float, default: "0.05", "share of the text held out for validation"),
            OptionSpec("min-count", .int, default: "1", "tokens seen fewer times map to <unk>"),
            OptionSpec("max-vocab", .int, "largest vocabulary, specials included (default: no limit)"),
            OptionSpec("optimizer", .choice(["adam", "adamw", "sgd", "rmsprop"]), default: "adam", "optimizer (adamw: Adam with decoupled weight decay)"),
            OptionSpec("lr", .float, "learning rate (default: 0.002 for adam, adamw and rmsprop, 1 for sgd)"),
            OptionSpec("momentum", .float, default: "0", "SGD momentum"),
            OptionSpec("weight-decay", .float, "L2 penalty added to the gradients; with adamw, each step shrinks the weights by lr × this instead (default: 0, 0.01 for adamw)"),
            OptionSpec("clip", .float, default: "5", "clip the global gradient norm to this (0: off)"),
            OptionSpec("lr-decay", .float, default: "1", "multiply the learning rate by this each epoch after --lr-decay-after"),
            OptionSpec("lr-decay-after", .int, default: "0", "epochs before --lr-decay starts"),
            OptionSpec("schedule", .choice(DecayShape.allCases.map(\.rawValue)), default: "constant", "learning-rate shape over the budget: cosine or linear decay to --lr-floor, ending exactly when --epochs, --max-steps or --max-time ends"),
            OptionSpec("warmup", .int, default: "0", "steps of linear learning-rate warmup"),
            OptionSpec("lr-floor", .float, default: "0", "with --schedule cosine|linear: the final learning rate, as a fraction of --lr"),
            OptionSpec("plateau-factor", .float, default: "1", "divide the learning rate by this when validation loss does not improve (1: off)"),
            OptionSpec("patience", .int, "stop after this many validations without improvement (default: never)"),
            OptionSpec("epochs", .int, default: "10", "passes over the training text"),
            OptionSpec("max-steps", .int, "stop after this many optimizer steps"),
            OptionSpec("max-time", .duration, "stop after this long, e.g. 90s, 10m, 2h, 4m11s"),
            OptionSpec("eval-every", .int, default: "1000", "validate and save every N steps as well as after each epoch"),
            OptionSpec("sample-every", .int, "after every N validations, print a short sample and append it to samples.txt"),
            OptionSpec("sample-length", .int, default: "200", "tokens per sample"),
            OptionSpec("sample-temperature", .float, default: "0.8", "sampling temperature of the samples"),
            OptionSpec("sample-prompt", .string, default: "", "text the samples continue"),
            OptionSpec("keep", .int, "keep a copy of the weights at each of the last N validations (step-NNNNNNN.safetensors)"),
            OptionSpec("log-every", .int, default: "50", "steps between the training-loss points of metrics.csv and loss.svg, and between progress lines when not on a terminal"),
            OptionSpec("quiet", .flag, "print nothing but errors"),
        ],
        notes: ["With --max-time and neither --epochs nor --max-steps, time is the limit and the budget chooses the flags left",
                "unset: model size, embedding, locked dropout, weight-drop, tying (words), --optimizer, --weight-decay, --ema, --lr,",
                "a cosine --schedule with --warmup (the README's \"Training for a time budget\" lists them); the defaults shown",
                "here apply otherwise."],
        examples: ["quill train corpora/lighthouse.txt --max-time 2m",
                   "quill train corpus.txt --level word --embed 200 --hidden 200 --optimizer sgd --lr 20 --dropout 0.2",
                   "quill train letters.txt --from checkpoints/lighthouse --out checkpoints/letters --lr 0.0005 --max-time 5m"]
    )

    /// Flags that a resumed run may change; everything else comes from the saved run.
    static let resumableFlags: Set<String> = ["epochs", "max-steps", "max-time", "patience", "eval-every",
                                             "lr", "lr-decay", "lr-decay-after", "plateau-factor", "clip",
                                             "sample-every", "sample-length", "sample-temperature", "sample-prompt", "keep",
                                             "log-every", "quiet", "resume"]
    /// Flags that define the model or its vocabulary, which a fine-tuned run takes from --from.
    static let modelFlags: [String] = ["level", "mode", "cell", "embed", "hidden", "layers", "tie-weights", "init",
                                       "init-range", "min-count", "max-vocab", "embeddings"]

    static func run(_ args: ParsedArguments) throws {
        let trainer: Trainer
        if let folder = args.string("resume") {
            let fixed = args.values.keys.filter { !resumableFlags.contains($0) }.sorted()
            if !fixed.isEmpty {
                throw CLIError.usage("--resume continues the saved run as it was configured; only the limits (--epochs, --max-steps, --max-time, --patience, --eval-every) the learning rate (--lr, --lr-decay, --lr-decay-after, --plateau-factor, --clip) and the reporting (--sample-*, --keep, --log-every, --quiet) may change (got \(fixed.map { "--" + $0 }.joined(separator: ", ")))")
            }
            let corpus = args.positionals.first
            trainer = try Trainer(resuming: folder) { options in
                if let corpus { options.corpus = corpus }
                // Only flags given on this command line change the saved run (defaults do not).
                if args.isSet("epochs") { options.epochs = args.int("epochs")! }
                if args.isSet("max-steps") { options.maxSteps = args.int("max-steps") }
                if args.isSet("max-time") { options.maxTime = args.seconds("max-time") }
                if args.isSet("patience") { options.patience = args.int("patience") }
                if args.isSet("eval-every") { options.evaluateEvery = args.int("eval-every") }
                if args.isSet("lr") { options.learningRate = args.double("lr")! }
                if args.isSet("lr-decay") { options.learningRateDecay = args.double("lr-decay")! }
                if args.isSet("lr-decay-after") { options.learningRateDecayAfter = args.int("lr-decay-after")! }
                if args.isSet("plateau-factor") { options.plateauFactor = args.double("plateau-factor")! }
                if args.isSet("clip") { options.clip = args.double("clip")! }
                applyReporting(args, to: &options)
                options.outputFolder = folder
            }
        } else {
            let options = try options(args)
            let folder = options.outputFolder!
            if !args.flag("overwrite") && Checkpoint.folderHoldsModel(folder) {
                throw CLIError.usage("\(folder) already holds a run; continue it with --resume \(folder), choose another --out, or pass --overwrite")
            }
            let absolute = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.path }
            if let base = options.baseCheckpoint,
               (try? Checkpoint.resolve(base)).map({ absolute(($0 as NSString).deletingLastPathComponent) }) == absolute(folder) {
                throw CLIError.usage("--out \(folder) is the folder of the --from checkpoint; fine-tune into another folder so the base model is kept")
            }
            trainer = try Trainer(options: options)
        }
        let printer = ProgressPrinter(quiet: args.flag("quiet"), logEvery: try args.int("log-every", atLeast: 1)!)
        if args.string("resume") == nil, !args.flag("quiet"), isTimeOnly(args) { printer.line(describeRecipe(trainer.options)) }
        Signals.install()
        let outcome = try trainer.run(events: { event in
            printer.handle(event)
            return Signals.received != 0 ? .stop : .proceed
        }, shouldStop: { Signals.received != 0 })
        if outcome.reason == .interrupted || Signals.received != 0 {
            printer.line("saved; continue with: quill train --resume \(outcome.folder ?? "")")
            exit(Signals.received != 0 ? Signals.exitStatus : 130)
        }
    }

    /// Samples and kept checkpoints, which a resumed run may change too.
    static func applyReporting(_ args: ParsedArguments, to o: inout TrainingOptions) {
        if args.isSet("sample-every") { o.sampleEvery = args.int("sample-every") }
        if args.isSet("sample-length") { o.sampleLength = args.int("sample-length")! }
        if args.isSet("sample-temperature") { o.sampleTemperature = args.double("sample-temperature")! }
        if args.isSet("sample-prompt") { o.samplePrompt = args.string("sample-prompt")! }
        if args.isSet("keep") { o.keepCheckpoints = args.int("keep") }
        if args.isSet("log-every") { o.logEvery = args.int("log-every")! }
    }

    static func options(_ args: ParsedArguments) throws -> TrainingOptions {
        let corpus = try args.positional(0)
        let name = ((corpus as NSString).lastPathComponent as NSString).deletingPathExtension
        var o = TrainingOptions(corpus: corpus, outputFolder: args.string("out") ?? "checkpoints/\(name.isEmpty ? "model" : name)")
        if let base = args.string("from") {
            if args.isSet("resume") { throw CLIError.usage("--from starts a new run from a trained model; --resume continues a run; give one of them") }
            if let flag = modelFlags.first(where: args.isSet) {
                throw CLIError.usage("--\(flag) cannot be combined with --from: the model, its tokenization and its vocabulary come from \(base)")
            }
            o.baseCheckpoint = base
            o.unknownPolicy = args.string("unknown").map { $0 == "error" ? .refuse : UnknownTokenPolicy(rawValue: $0)! }
        } else if args.isSet("unknown") {
            throw CLIError.usage("--unknown applies to fine-tuning with --from (a new model's vocabulary comes from its text)")
        }
        o.embeddingsFile = args.string("embeddings")
        o.freezeEmbeddings = args.flag("freeze-embeddings")
        o.level = TokenLevel(rawValue: args.string("level")!)!
        o.mode = TrainingMode(rawValue: args.string("mode") == "lines" ? "lines" : "stream")!
        o.maxLength = args.int("max-len")!
        o.validationFile = args.string("val")
        o.validationFraction = args.double("val-fraction")!
        o.minimumCount = args.int("min-count")!
        o.maximumVocabulary = args.int("max-vocab")
        o.embeddingSize = args.int("embed")!
        o.hiddenSize = args.int("hidden")!
        o.layers = args.int("layers")!
        o.dropout = Float(args.double("dropout")!)
        o.regularization = Regularization(embeddingDropout: Float(args.double("embedding-dropout")!),
                                          weightDrop: Float(args.double("weight-drop")!), lockedDropout: args.flag("locked-dropout"),
                                          activation: Float(args.double("ar")!), temporalActivation: Float(args.double("tar")!))
        // 0 turns the average off, also where a time-only run's recipe would keep one.
        o.averageDecay = args.double("ema").flatMap { $0 == 0 ? nil : $0 }
        o.tieWeights = args.flag("tie-weights")
        o.cell = ModelConfig.Cell(rawValue: args.string("cell")!)!
        o.initialization = ModelConfig.Initialization(rawValue: args.string("init")!)!
        o.initializationRange = Float(args.double("init-range")!)
        if args.isSet("init-range") && o.initialization != .uniform { throw CLIError.usage("--init-range applies to --init uniform only") }
        o.seed = UInt64(try args.int("seed", atLeast: 0)!)
        o.batchSize = args.int("batch")!
        o.sequenceLength = args.int("seq-len")!
        let kind = Optimizer.Kind(rawValue: args.string("optimizer")!)!
        o.optimizer = Optimizer.Settings(kind: kind, momentum: Float(args.double("momentum")!),
                                         weightDecay: args.double("weight-decay").map(Float.init) ?? kind.defaultWeightDecay)
        if args.isSet("momentum") && kind != .sgd { throw CLIError.usage("--momentum applies to --optimizer sgd only") }
        o.learningRate = args.double("lr") ?? kind.defaultLearningRate
        o.clip = args.double("clip")!
        o.learningRateDecay = args.double("lr-decay")!
        o.learningRateDecayAfter = args.int("lr-decay-after")!
        o.plateauFactor = args.double("plateau-factor")!
        o.decayShape = DecayShape(rawValue: args.string("schedule")!)!
        o.warmupSteps = try args.int("warmup", atLeast: 0)!
        o.decayFloor = args.double("lr-floor")!
        o.patience = args.int("patience")
        o.epochs = args.int("epochs")!
        o.maxSteps = args.int("max-steps")
        o.maxTime = args.seconds("max-time")
        o.evaluateEvery = args.int("eval-every")
        applyReporting(args, to: &o)
        if let seconds = o.maxTime, isTimeOnly(args) {
            // Time is the only limit: the budget chooses what the user left unset.
            let kept = Set(budgetFlags.filter { args.isSet($0.flag) }.map(\.setting))
            BudgetRecipe.recipe(seconds: seconds, level: o.level).apply(to: &o, keeping: kept)
        }
        try o.validate()
        return o
    }

    /// Whether time is a new run's only limit, so that the budget's recipe sets what is not given.
    static func isTimeOnly(_ args: ParsedArguments) -> Bool {
        args.isSet("max-time") && !args.isSet("epochs") && !args.isSet("max-steps") && !args.isSet("from")
    }

    /// One line saying what a time-only run trains, since the budget chose most of it.
    static func describeRecipe(_ o: TrainingOptions) -> String {
        let r = o.regularization
        var parts = ["\(o.layers) × \(o.hiddenSize) \(o.cell.rawValue)", "--embed \(o.embeddingSize)\(o.tieWeights ? " tied" : "")",
                     "--dropout \(o.dropout)\(r.lockedDropout ? " locked" : "")"]
        if r.weightDrop > 0 { parts.append("--weight-drop \(r.weightDrop)") }
        parts.append("\(o.optimizer.kind.rawValue) --lr \(o.learningRate)")
        if o.optimizer.weightDecay > 0 { parts.append("--weight-decay \(o.optimizer.weightDecay)") }
        if let average = o.averageDecay { parts.append("--ema \(average)") }
        parts.append("--warmup \(o.warmupSteps), \(o.decayShape.rawValue) to the end")
        return "time budget \(Format.duration(o.maxTime ?? 0)): " + parts.joined(separator: ", ") + " (flags given keep their values)"
    }

    /// The flags a time-only run's recipe sets when they are not given.
    static let budgetFlags: [(flag: String, setting: Setting)] = [
        ("hidden", .hiddenSize), ("layers", .layers), ("embed", .embeddingSize), ("dropout", .dropout), ("weight-drop", .weightDrop),
        ("tie-weights", .tieWeights), ("lr", .learningRate), ("schedule", .decayShape), ("warmup", .warmupSteps),
        ("optimizer", .optimizer), ("weight-decay", .weightDecay), ("ema", .averageDecay),
    ]
}
