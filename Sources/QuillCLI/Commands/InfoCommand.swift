import Foundation
import Quill

/// `quill info CHECKPOINT`: what a checkpoint holds.
enum InfoCommand: Command {
    enum Option: CommandOption {
        case json

        var spec: OptionSpec { OptionSpec("json", .flag, "print one JSON object") }
    }

    static let spec = CommandSpec(
        name: "info",
        summary: "Show a checkpoint's configuration, size, vocabulary and training history.",
        positionals: [Positional("CHECKPOINT", "a checkpoint folder or .safetensors file")],
        options: Option.self
    )

    static func run(_ args: ParsedArguments<Option>) throws {
        let argument = try args.positional(0)
        let path = try Checkpoint.resolve(argument)
        let checkpoint = try Checkpoint(contentsOf: path)
        let c = checkpoint.config, s = checkpoint.summary
        let last = s.history.last
        // A run folder's model is its best; the run itself may have gone further.
        let latestPath = (argument as NSString).appendingPathComponent(Checkpoint.latestFile)
        let latest = path != argument && FileManager.default.fileExists(atPath: latestPath)
            ? try? Checkpoint(contentsOf: latestPath) : nil
        if args.flag(.json) {
            var object: [String: Any] = [
                "file": path, "level": s.level.rawValue, "mode": s.mode.rawValue, "cell": c.cell.rawValue,
                "vocabulary_size": c.vocabularySize, "embed": c.embeddingSize, "hidden": c.hiddenSize,
                "layers": c.layers, "dropout": Double(c.dropout), "tie_weights": c.tieWeights,
                "init": c.initialization.rawValue, "weights": checkpoint.storedFormat.rawValue, "parameters": c.parameterCount, "steps": s.steps,
                "epochs": s.epochs, "validations": s.history.count, "corpus": s.corpus ?? NSNull(),
            ]
            if let attention = c.attention, let layer = c.attentionLayer {
                object["attention"] = ["memory": attention.memory, "after_layer": layer + 1, "heads": 1] // layers counted from 1, as the text says
            }
            if let adaptive = c.adaptiveSoftmax {
                object["adaptive_softmax"] = ["cutoffs": adaptive.cutoffs, "div_value": adaptive.divValue,
                                              "projections": (0..<adaptive.clusterCount).map { adaptive.projectionSize($0, hiddenSize: c.hiddenSize) }]
            }
            if let merges = checkpoint.vocabulary.merges { object["merges"] = merges.pairs.count }
            if let best = s.bestValidationLoss {
                object["best_validation_loss"] = best
                object["best_validation_perplexity"] = Foundation.exp(best)
                object["best_validation_bits_per_char"] = s.bitsPerCharacter(validationLoss: best) ?? NSNull()
            }
            if let last { object["last_train_loss"] = last.trainLoss.isFinite ? last.trainLoss : NSNull() }
            if let latest { object["latest_steps"] = latest.summary.steps }
            print(try JSONText.line(object))
            return
        }
        print("checkpoint       \(path)")
        print("model            \(c.cell.rawValue), \(c.layers) × \(c.hiddenSize) hidden, embedding \(c.embeddingSize)\(c.tieWeights ? ", tied weights" : ""), dropout \(c.dropout), init \(c.initialization.rawValue)\(c.initialization == .uniform ? " ±\(c.initializationRange)" : "")")
        if let attention = c.attention, let layer = c.attentionLayer {
            print("attention        one head after layer \(layer + 1) of \(c.layers), memory \(attention.memory) positions")
        }
        if let adaptive = c.adaptiveSoftmax {
            let clusters = (0..<adaptive.clusterCount).map {
                let ids = adaptive.cluster($0, vocabularySize: c.vocabularySize)
                return "\(ids.lowerBound)..<\(ids.upperBound) via \(adaptive.projectionSize($0, hiddenSize: c.hiddenSize))"
            }
            print("adaptive softmax shortlist \(adaptive.cutoffs[0]), clusters \(clusters.joined(separator: ", ")) (cutoffs \(adaptive.cutoffs.map(String.init).joined(separator: ",")), div \(adaptive.divValue))")
        }
        print("parameters       \(Format.count(c.parameterCount)) (\(checkpoint.storedFormat.rawValue) weights)")
        let merges = checkpoint.vocabulary.merges.map { ", 256 bytes + \($0.pairs.count) merges" } ?? ""
        print("vocabulary       \(c.vocabularySize) tokens (\(s.level.rawValue) level\(merges), \(s.mode.rawValue) mode)")
        print("trained          \(s.steps) steps, \(String(format: "%.2f", s.epochs)) epochs\(s.corpus.map { " on " + $0 } ?? "")")
        if let latest, latest.summary.steps != s.steps {
            print("latest           \(latest.summary.steps) steps (\(Checkpoint.latestFile); this is the best model so far)")
        }
        if let best = s.bestValidationLoss {
            var line = String(format: "best validation  loss %.4f, perplexity %.2f", best, Foundation.exp(best))
            if let bits = s.bitsPerCharacter(validationLoss: best) { line += String(format: ", %.4f bits/char", bits) }
            print(line)
        }
        if !s.history.isEmpty {
            // Bits per character where the file says how to count them (older files: char level only).
            let withBits = s.hasBitsPerCharacter
            print("history          step      epoch  train loss  val loss  val ppl" + (withBits ? "  bits/char" : ""))
            for r in s.history.suffix(10) {
                var row = String(format: "                 %-8d %6.2f  %10.4f  %8.4f  %7.2f", r.step, r.epoch, r.trainLoss,
                                 r.validationLoss, r.validationPerplexity)
                if let bits = s.bitsPerCharacter(validationLoss: r.validationLoss) { row += String(format: "  %9.4f", bits) }
                print(row)
            }
        }
    }
}
