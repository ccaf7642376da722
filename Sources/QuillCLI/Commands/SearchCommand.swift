import Foundation
import Quill

/// `quill search CORPUS --budget TIME`: random search with successive halving under a time budget.
enum SearchCommand: Command {
    enum Option: CommandOption {
        case budget, val, valFraction, level, out, space, eta, seed, rungSteps, noBaseline, resume, overwrite, json, quiet

        var spec: OptionSpec {
            switch self {
            case .budget: OptionSpec("budget", .duration, "wall-clock time for the whole search, e.g. 30m (required for a new search)")
            case .val, .valFraction, .level: Self.trainingSpec(self)
            case .out: OptionSpec("out", .string, "search folder: search.jsonl and best/", defaultNote: "checkpoints/<corpus name>-search")
            case .space: OptionSpec("space", .string, "JSON file narrowing or widening the ranges (keys: \(SearchSpace.keys.joined(separator: ", ")))")
            case .eta: OptionSpec("eta", .int, default: "3", "keep the best 1/eta of each rung and train them eta times longer", minimum: 2, maximum: 64)
            case .seed: OptionSpec("seed", .int, default: "1", "seed of the sampling (the same seed draws the same trials)", minimum: 0)
            case .rungSteps: OptionSpec("rung-steps", .int, "count rungs in steps (N, N·eta, ...) instead of time, so a repeated search makes the same decisions",
                                        maximum: 1 << 30)
            case .noBaseline: OptionSpec("no-baseline", .flag, "do not train the defaults beside the winner at the last rung (its share of the budget goes to the rungs)")
            case .resume: OptionSpec("resume", .string, "continue the search saved in this folder with what is left of its budget")
            case .overwrite: OptionSpec("overwrite", .flag, "start afresh even if --out already holds a search")
            case .json: OptionSpec("json", .flag, "print one JSON object (trials, best and baseline) on stdout; the table goes to stderr")
            case .quiet: OptionSpec("quiet", .flag, "print no table (errors and --json output only)")
            }
        }

        /// The settings a search shares with training, as `quill train` offers them.
        private static func trainingSpec(_ option: Option) -> OptionSpec {
            switch option {
            case .val: OptionSpec(TrainingSetting.validationFile)
            case .valFraction: OptionSpec(TrainingSetting.validationFraction)
            default: OptionSpec(TrainingSetting.level)
            }
        }
    }

    static let spec = CommandSpec(
        name: "search",
        summary: "Search learning rate, model size, dropout and regularisation, window, batch and optimizer for a text under a time budget.",
        positionals: [Positional("FILE", "the training text (left out with --resume)")],
        options: Option.self,
        notes: ["Each trial is a real training run (warmup, then a cosine schedule over its time, both cores), one after",
                "another. The first rung trains 3^K configurations, each later rung the best third for 3x longer; every rung",
                "costs about the same share of the budget. The first trial is what `quill train --max-time T` would choose for",
                "the last rung's time T, and the last rung trains it beside the winner (unless it is the winner), so the answer",
                "is measured against the defaults at equal time. Ctrl-C stops; --resume DIR continues."],
        examples: ["quill search corpus.txt --budget 30m",
                   "quill search corpus.txt --budget 1h --space space.json --json > search.json",
                   "quill search --resume checkpoints/corpus-search"]
    )

    static func run(_ args: ParsedArguments<Option>) throws {
        let search: HyperparameterSearch
        if let folder = args.optionalString(.resume) {
            let fixed = args.given.filter { ![Option.resume, .json, .quiet].contains($0) }
            if !fixed.isEmpty || !args.positionals.isEmpty {
                throw CLIError.usage("--resume continues the saved search as it was configured (only --json and --quiet may be given)")
            }
            search = try HyperparameterSearch(resuming: folder)
        } else {
            search = try HyperparameterSearch(settings: try settings(args))
        }
        let json = args.flag(.json), quiet = args.flag(.quiet)
        let table = SearchTable(search: search, quiet: quiet)
        Signals.install()
        let outcome = try search.run(events: table.handle, shouldStop: { Signals.received != 0 })
        table.finish(outcome)
        if json { StandardOutput().write(report(outcome, search: search) + "\n") }
        if outcome.interrupted {
            table.line("stopped; continue with: quill search --resume \(search.settings.folder)")
            exit(Signals.received != 0 ? Signals.exitStatus : 130)
        }
    }

    static func settings(_ args: ParsedArguments<Option>) throws -> HyperparameterSearch.Settings {
        let corpus = try args.positional(0)
        guard let budget = args.optionalSeconds(.budget) else { throw CLIError.usage("a search needs --budget, e.g. --budget 30m") }
        let name = ((corpus as NSString).lastPathComponent as NSString).deletingPathExtension
        let folder = args.optionalString(.out) ?? "checkpoints/\(name.isEmpty ? "corpus" : name)-search"
        if !args.flag(.overwrite) && FileManager.default.fileExists(atPath: folder + "/search.jsonl") {
            throw CLIError.usage("\(folder) already holds a search; continue it with --resume \(folder), choose another --out, or pass --overwrite")
        }
        var base = TrainingOptions(corpus: corpus, outputFolder: nil)
        base.level = try args.choice(.level)
        base.validationFile = args.optionalString(.val)
        base.validationFraction = try args.double(.valFraction)
        var space = SearchSpace(level: base.level)
        if let path = args.optionalString(.space) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError.usage("cannot read --space \(path)") }
            space = try SearchSpace(json: text, level: base.level, path: path)
        }
        var settings = HyperparameterSearch.Settings(base: base, budget: budget, space: space, folder: folder)
        settings.eta = try args.int(.eta)
        settings.seed = UInt64(try args.int(.seed))
        settings.firstRungSteps = args.optionalInt(.rungSteps)
        if args.flag(.noBaseline) { settings.baseline = .none }
        if args.flag(.overwrite) {
            try? FileManager.default.removeItem(atPath: folder + "/search.jsonl")
            try? FileManager.default.removeItem(atPath: folder + "/" + HyperparameterSearch.bestFolder)
        }
        return settings
    }

    /// The `quill train` command that trains `p` on the search's text (without limits or --out,
    /// which the user chooses).
    static func command(_ p: TrialParameters, search: HyperparameterSearch) -> String {
        let settings = search.settings
        typealias S = TrainingSetting
        func flag(_ setting: S) -> String { "--" + setting.flag }
        var words = ["quill", "train", shellQuoted(settings.base.corpus)]
        if settings.base.level != .char { words += [flag(S.level), settings.base.level.rawValue] }
        if settings.base.level == .bpe {
            if let file = settings.base.tokenizerFile {
                words += [flag(S.tokenizerFile), shellQuoted(file)]
            } else {
                // The size the trials learned, spelt out: the recipe of the command's own budget may choose another.
                let size = p.vocabularySize ?? settings.base.effectiveBytePairVocabularySize
                words += [flag(S.bytePairVocabularySize), "\(size)"]
            }
        }
        if let val = settings.base.validationFile { words += [flag(S.validationFile), shellQuoted(val)] }
        words += [flag(S.hiddenSize), "\(p.hiddenSize)", flag(S.layers), "\(p.layers)", flag(S.embeddingSize), "\(p.embeddingSize)"]
        if p.tieWeights {
            words.append(flag(S.tieWeights))
        } else if settings.base.level == .word {
            words.append(flag(S.tieWeights) + "=false") // else a large vocabulary's recipe would take an adaptive softmax
        }
        if let memory = p.attentionMemory {
            words += [flag(S.attention), flag(S.attentionMemory), "\(memory)"]
        } else {
            words.append(flag(S.attention) + "=false") // a short word budget's recipe would add the head
        }
        words += [flag(S.dropout), "\(p.dropout)"]
        if p.lockedDropout { words.append(flag(S.lockedDropout)) }
        // Every setting is spelt out, zeros too, so a time-only run's recipe changes none of them.
        words += [flag(S.weightDrop), "\(p.weightDrop)", flag(S.embeddingDropout), "\(p.embeddingDropout)",
                  flag(S.sequenceLength), "\(p.sequenceLength)", flag(S.batchSize), "\(p.batchSize)", flag(S.optimizer), p.optimizer.rawValue,
                  flag(S.learningRate), "\(p.learningRate)", flag(S.decayShape), "cosine", flag(S.warmupSteps), "\(search.recipe.warmupSteps)"]
        // Spelt out too: a time-only run over ten minutes would otherwise add AdamW's decay and an average.
        words += [flag(S.weightDecay), "\(p.weightDecay ?? p.optimizer.defaultWeightDecay)", flag(S.averageDecay), "\(p.averageDecay ?? 0)"]
        return words.joined(separator: " ")
    }

    static func shellQuoted(_ s: String) -> String {
        s.allSatisfy { $0.isLetter || $0.isNumber || "/._-+=:,".contains($0) } && !s.isEmpty ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Parameters under the space file's keys, with `weight_decay` and `ema` when the recipe set them.
    static func parameters(_ p: TrialParameters) -> [String: Any] {
        var object: [String: Any] = [
            "lr": p.learningRate, "hidden": p.hiddenSize, "layers": p.layers, "embed": p.embeddingSize, "tie": p.tieWeights,
            "dropout": Double(p.dropout),
            "weight_drop": Double(p.weightDrop), "embedding_dropout": Double(p.embeddingDropout), "locked_dropout": p.lockedDropout,
            "seq_len": p.sequenceLength, "batch": p.batchSize, "optimizer": p.optimizer.rawValue]
        if let decay = p.weightDecay { object["weight_decay"] = Double(decay) }
        if let average = p.averageDecay { object["ema"] = average }
        if let size = p.vocabularySize { object["vocab_size"] = size }
        object["attention"] = p.attentionMemory.map { $0 as Any } ?? false
        return object
    }

    static func report(_ outcome: HyperparameterSearch.Outcome, search: HyperparameterSearch) -> String {
        let trials: [[String: Any]] = outcome.trials.map { t in
            var entry: [String: Any] = ["id": t.id, "rung": t.rung, "params": parameters(t.parameters), "steps": t.steps,
                                        "validation_loss": t.validationLoss ?? NSNull(), "tokens_per_second": t.tokensPerSecond.rounded(),
                                        "seconds": (t.seconds * 10).rounded() / 10, "status": t.status.name]
            if case .failed(let message) = t.status { entry["message"] = message }
            if let trained = t.trainingSeconds { entry["training_seconds"] = (trained * 10).rounded() / 10 }
            return entry
        }
        var object: [String: Any] = ["trials": trials, "interrupted": outcome.interrupted, "seconds": (outcome.seconds * 10).rounded() / 10]
        if let baseline = outcome.baseline, let loss = baseline.validationLoss {
            object["baseline"] = ["params": parameters(baseline.parameters), "validation_loss": loss, "trial": baseline.id,
                                  "rung": baseline.rung, "command": command(baseline.parameters, search: search)]
        } else {
            object["baseline"] = NSNull()
        }
        if let best = outcome.best, let bestLoss = best.validationLoss {
            object["best"] = ["params": parameters(best.parameters), "validation_loss": bestLoss, "trial": best.id, "rung": best.rung,
                              "command": command(best.parameters, search: search),
                              "checkpoint": search.settings.folder + "/" + HyperparameterSearch.bestFolder]
        } else {
            object["best"] = NSNull()
        }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
