import Foundation
import Quill

/// `quill train FILE`: train a model and write checkpoints. Its options are the library's
/// training settings (`TrainingSetting.all`: names, defaults, limits, help, resume and budget
/// rules) and four of the tool's own.
enum TrainCommand: Command {
    enum Option: CommandOption {
        case out, resume, overwrite, quiet
        case setting(TrainingSetting)

        static var allCases: [Option] { [.out, .resume, .overwrite] + TrainingSetting.all.map(Option.setting) + [.quiet] }

        var spec: OptionSpec {
            switch self {
            case .out: OptionSpec("out", .string, "checkpoint folder", defaultNote: "checkpoints/<corpus name>")
            case .resume: OptionSpec("resume", .string, "continue the run saved in this folder (FILE may then be left out)")
            case .overwrite: OptionSpec("overwrite", .flag, "start afresh even if --out already holds a run (its files are replaced)")
            case .quiet: OptionSpec("quiet", .flag, "print nothing but errors")
            case .setting(let setting): OptionSpec(setting)
            }
        }

        /// Whether a resumed run may be given it.
        var resumable: Bool {
            switch self {
            case .out, .overwrite: false
            case .resume, .quiet: true
            case .setting(let setting): setting.resumable
            }
        }
    }

    static let spec = CommandSpec(
        name: "train",
        summary: "Train a recurrent language model (LSTM, GRU or RNN) on a text file and save it as a checkpoint folder.",
        positionals: [Positional("FILE", "the training text (with --resume, only to name a text that moved)")],
        options: Option.self,
        notes: Help.wrap("With --max-time and neither --epochs nor --max-steps, time is the limit and the budget chooses the options left unset: "
                         + TrainingSetting.all.filter(\.chosenByBudget).map { "--" + $0.flag }.joined(separator: ", ")
                         + " (with --dropout, locked masks; the README's \"Training for a time budget\" lists the recipes); the defaults shown"
                         + " below apply otherwise. --resume may change only " + resumableFlags + "."),
        examples: ["quill train corpora/lighthouse.txt --max-time 2m",
                   "quill train corpus.txt --level word --embed 200 --hidden 200 --optimizer sgd --lr 20 --dropout 0.2",
                   "quill train letters.txt --from checkpoints/lighthouse --out checkpoints/letters --lr 0.0005 --max-time 5m"]
    )

    /// The options a resumed run may be given, as help and errors list them.
    static var resumableFlags: String {
        Option.allCases.filter { $0.resumable && $0 != .resume }.map { "--" + $0.spec.name }.joined(separator: ", ")
    }

    static func run(_ args: ParsedArguments<Option>) throws {
        let trainer: Trainer
        var estimatedPasses: Double?
        if let folder = args.optionalString(.resume) {
            trainer = try resume(folder, args)
        } else {
            let (options, passes) = try plan(args)
            estimatedPasses = passes
            guard let folder = options.outputFolder else { throw CLIError.failure("internal error: no output folder") }
            if !args.flag(.overwrite) && Checkpoint.folderHoldsModel(folder) {
                throw CLIError.usage("\(folder) already holds a run; continue it with --resume \(folder), choose another --out, or pass --overwrite")
            }
            let absolute = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.path }
            if let base = options.baseCheckpoint,
               (try? Checkpoint.resolve(base)).map({ absolute(($0 as NSString).deletingLastPathComponent) }) == absolute(folder) {
                throw CLIError.usage("--out \(folder) is the folder of the --\(TrainingSetting.baseCheckpoint.flag) checkpoint; fine-tune into another folder so the base model is kept")
            }
            trainer = try Trainer(options: options)
        }
        let printer = ProgressPrinter(quiet: args.flag(.quiet), logEvery: trainer.options.logEvery)
        if !args.isSet(.resume), !args.flag(.quiet), isTimeOnly(args) { printer.line(describeRecipe(trainer.options, estimatedPasses: estimatedPasses)) }
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

    /// Continues the run saved in `folder`, with the resumable settings given on this command line.
    static func resume(_ folder: String, _ args: ParsedArguments<Option>) throws -> Trainer {
        let fixed = args.given.filter { !$0.resumable }
        if !fixed.isEmpty {
            throw CLIError.usage("--resume continues the saved run as it was configured; only \(resumableFlags) may change (got \(fixed.map { "--" + $0.spec.name }.joined(separator: ", ")))")
        }
        let corpus = args.positionals.first
        var failure: Error?
        let trainer = try Trainer(resuming: folder) { options in
            if let corpus { options.corpus = corpus }
            // Only settings given on this command line change the saved run (defaults do not).
            do { try apply(args, to: &options) } catch { failure = error }
            options.outputFolder = folder
        }
        if let failure { throw failure }
        return trainer
    }

    /// Sets every training setting given on the command line, in the table's order (so an
    /// optimizer's default rate comes before a rate given).
    static func apply(_ args: ParsedArguments<Option>, to options: inout TrainingOptions) throws {
        for case .setting(let setting) in args.given {
            guard let text = args.optionalString(.setting(setting)) else { continue }
            try setting.set(text, in: &options)
        }
    }

    /// A new run's options, as `plan` makes them (the flag fuzz tests' entry).
    static func options(_ args: ParsedArguments<Option>) throws -> TrainingOptions {
        try plan(args).options
    }

    /// A new run's options, and for a time-only run whose recipe looks at the text's length, the
    /// passes over the text its budget is expected to make (which the run's first line says); nil
    /// for other runs, or when the text cannot be sized.
    static func plan(_ args: ParsedArguments<Option>) throws -> (options: TrainingOptions, estimatedPasses: Double?) {
        let corpus = try args.positional(0)
        let name = ((corpus as NSString).lastPathComponent as NSString).deletingPathExtension
        var o = TrainingOptions(corpus: corpus, outputFolder: args.optionalString(.out) ?? "checkpoints/\(name.isEmpty ? "model" : name)")
        var passes: Double?
        try checkCombinations(args)
        try apply(args, to: &o)
        if let seconds = o.maxTime, isTimeOnly(args) {
            // Time is the only limit: the budget chooses what the user left unset.
            var kept = Set(TrainingSetting.all.filter { $0.chosenByBudget && args.isSet(.setting($0)) }.map(\.name))
            // Not the budget's to choose, but a schedule given keeps every validation it asks for.
            if args.isSet(.setting(.evaluateEvery)) { kept.insert(.evaluateEvery) }
            let characters = o.estimatedTrainingCharacters()
            BudgetRecipe.recipe(seconds: seconds, level: o.level, trainingCharacters: characters).apply(to: &o, keeping: kept)
            passes = characters.flatMap { BudgetRecipe.expectedPasses(seconds: seconds, level: o.level, trainingCharacters: $0) }
        }
        // After the recipe, which may turn attention on (word level).
        if args.isSet(.setting(.attentionMemory)) && !o.attention {
            throw CLIError.usage("--\(TrainingSetting.attentionMemory.flag) applies only to a model with a head (--\(TrainingSetting.attention.flag), or a time-only word run of up to 5 minutes)")
        }
        try o.validate()
        return (o, passes)
    }

    /// Options that make sense only with others, refused before anything is read.
    static func checkCombinations(_ args: ParsedArguments<Option>) throws {
        if let base = args.optionalString(.setting(.baseCheckpoint)) {
            if args.isSet(.resume) { throw CLIError.usage("--\(TrainingSetting.baseCheckpoint.flag) starts a new run from a trained model; --resume continues a run; give one of them") }
            if let row = TrainingSetting.all.first(where: { $0.takenFromBase && args.isSet(.setting($0)) }) {
                throw CLIError.usage("--\(row.flag) cannot be combined with --\(TrainingSetting.baseCheckpoint.flag): the model, its tokenization and its vocabulary come from \(base)")
            }
        } else if args.isSet(.setting(.unknownPolicy)) {
            throw CLIError.usage("--\(TrainingSetting.unknownPolicy.flag) applies to fine-tuning with --\(TrainingSetting.baseCheckpoint.flag) (a new model's vocabulary comes from its text)")
        }
        if args.isSet(.setting(.initializationRange)) && args.optionalString(.setting(.initialization)) != ModelConfig.Initialization.uniform.rawValue {
            throw CLIError.usage("--\(TrainingSetting.initializationRange.flag) applies to --\(TrainingSetting.initialization.flag) uniform only")
        }
        if args.isSet(.setting(.adaptiveDivValue)) && !args.isSet(.setting(.adaptiveSoftmax)) && !args.isSet(.setting(.adaptiveSoftmaxFrom)) {
            throw CLIError.usage("--\(TrainingSetting.adaptiveDivValue.flag) applies with --\(TrainingSetting.adaptiveSoftmax.flag) or --\(TrainingSetting.adaptiveSoftmaxFrom.flag) only")
        }
        if args.isSet(.setting(.adaptiveSoftmaxFrom)) && args.optionalString(.setting(.tieWeights)).map({ $0 != "false" }) == true {
            throw CLIError.usage("--\(TrainingSetting.tieWeights.flag) cannot be used with --\(TrainingSetting.adaptiveSoftmaxFrom.flag): an adaptive softmax has no decoder matrix to share")
        }
        if args.isSet(.setting(.momentum)) && args.optionalString(.setting(.optimizer)) != Optimizer.Kind.sgd.rawValue {
            throw CLIError.usage("--\(TrainingSetting.momentum.flag) applies to --\(TrainingSetting.optimizer.flag) sgd only")
        }
    }

    /// Whether time is a new run's only limit, so that the budget's recipe sets what is not given.
    static func isTimeOnly(_ args: ParsedArguments<Option>) -> Bool {
        args.isSet(.setting(.maxTime)) && !args.isSet(.setting(.epochs)) && !args.isSet(.setting(.maxSteps))
            && !args.isSet(.setting(.baseCheckpoint))
    }

    /// One line saying what a time-only run trains, since the budget chose most of it, and how many
    /// passes over the text the recipe expected when it chose.
    static func describeRecipe(_ o: TrainingOptions, estimatedPasses: Double?) -> String {
        let r = o.regularization
        var parts = ["\(o.layers) × \(o.hiddenSize) \(o.cell.rawValue)", "--embed \(o.embeddingSize)\(o.tieWeights ? " tied" : "")",
                     "--dropout \(o.dropout)\(r.lockedDropout ? " locked" : "")"]
        if o.attention { parts.insert("--attention --attention-memory \(o.attentionMemory)", at: 2) }
        if let cutoffs = TrainingSetting.adaptiveSoftmax.text(in: o) { parts.insert("--\(TrainingSetting.adaptiveSoftmax.flag) \(cutoffs)", at: 2) }
        if o.level == .bpe, o.tokenizerFile == nil { parts.insert("--vocab-size \(o.effectiveBytePairVocabularySize)", at: 0) }
        if r.weightDrop > 0 { parts.append("--weight-drop \(r.weightDrop)") }
        parts.append("\(o.optimizer.kind.rawValue) --lr \(o.learningRate)")
        if o.optimizer.weightDecay > 0 { parts.append("--weight-decay \(o.optimizer.weightDecay)") }
        if let average = o.averageDecay { parts.append("--ema \(average)") }
        parts.append("--warmup \(o.warmupSteps), \(o.decayShape.rawValue) to the end")
        if let share = o.validationShare { parts.append("--val-share \(share)") }
        if let passes = estimatedPasses {
            // Cut, not rounded, so that an estimate just under the dropout line never reads as on it.
            let shown = passes < 10 ? String(format: "%.1f", (passes * 10).rounded(.down) / 10) : Format.count(passes.rounded(.down))
            parts.append("for ~\(shown) passes over the text")
        }
        return "time budget \(Format.duration(o.maxTime ?? 0)): " + parts.joined(separator: ", ") + " (flags given keep their values)"
    }
}
