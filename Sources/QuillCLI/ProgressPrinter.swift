import Foundation
import Quill

/// Turns training events into output: one live line on a terminal, a plain line every N steps
/// otherwise, and a line after each validation.
final class ProgressPrinter {
    let quiet: Bool
    let logEvery: Int
    private let status: StatusLine
    private var lastDraw = 0.0

    init(quiet: Bool, logEvery: Int) {
        self.quiet = quiet
        self.logEvery = logEvery
        status = StatusLine(quiet: quiet)
    }

    func handle(_ event: TrainingEvent) {
        guard !quiet else { return }
        switch event {
        case .started(let s):
            let resumed = s.resumedAtStep > 0 ? ", resuming at step \(s.resumedAtStep)" : ""
            if let base = s.baseCheckpoint { line("fine-tuning from \(base) (its weights, config and vocabulary; a fresh optimizer)") }
            if let missing = s.missing, !missing.isEmpty {
                let fate = missing.policy == .skip ? "left out" : "read as <unk>"
                line("note: \(missing.summary) are not in the model's vocabulary and are \(fate) (--unknown); \(missing.training) in the training text, \(missing.validation) in the validation text")
            }
            if let c = s.embeddingCoverage {
                line(String(format: "embeddings: %d of %d vocabulary tokens covered (%.1f%%: %d as spelt, %d in lower case) by %d vectors of %d dimensions",
                            c.covered, c.vocabularySize, c.share * 100, c.exact, c.lowercase, c.vectors, c.dimension))
            }
            line("vocabulary \(s.vocabularySize) tokens, \(Format.count(s.parameterCount)) parameters, \(Format.count(s.trainTokens)) training and \(Format.count(s.validationTokens)) validation tokens")
            if s.validationUnknown > 0 && s.missing == nil {
                line("note: \(s.validationUnknown) validation tokens are not in the training vocabulary and count as <unk>")
            }
            if let window = s.shortenedWindow {
                line("note: --seq-len \(window.requested) is longer than each of the batch's streams, so windows are \(window.used) steps; lower --batch or --seq-len to use the text fully")
            }
            let limit = Self.timeBound(s.plannedSteps) ? "until the time is up" : "up to \(s.plannedSteps) steps"
            line("\(s.stepsPerEpoch) steps per epoch, \(limit), \(s.threads) threads\(resumed)")
        case .step(let r):
            let steps = Self.timeBound(r.plannedSteps) ? "\(r.step)" : "\(r.step)/\(r.plannedSteps)"
            let text = String(format: "epoch %.2f | step %@ | loss %.4f | %@ tok/s | lr %.3g | ETA %@",
                              r.epoch, steps as NSString, r.averageLoss, Format.count(r.tokensPerSecond) as NSString,
                              r.learningRate, (r.remaining.map(Format.duration) ?? "?") as NSString)
            if status.terminal {
                let now = Date().timeIntervalSince1970
                if now - lastDraw >= 0.1 {
                    status.draw(text)
                    lastDraw = now
                }
            } else if r.step % logEvery == 0 {
                line(text)
            }
        case .validated(let v):
            let r = v.record
            var text = String(format: "validation | step %d | epoch %.2f | loss %.4f | ppl %.2f", r.step, r.epoch,
                              r.validationLoss, r.validationPerplexity)
            if let bits = v.bitsPerCharacter { text += String(format: " | %.4f bits/char", bits) }
            // Only where they differ: a text with characters beyond ASCII.
            if let bytes = v.bitsPerByte, bytes != v.bitsPerCharacter { text += String(format: ", %.4f bits/byte", bytes) }
            if v.improved { text += " | best, saved" }
            line(text)
        case .validationSkipped(let skip):
            line(String(format: "validation | step %d | epoch %.2f | skipped: it would take ~%@, and validations may take %@ of the %@ so far (%@ spent); latest saved",
                        skip.step, skip.epoch, Format.seconds(skip.expectedSeconds) as NSString, Format.percent(skip.share) as NSString,
                        Format.seconds(skip.elapsedSeconds) as NSString, Format.seconds(skip.spentSeconds) as NSString))
        case .sampled(let sample):
            line("sample | step \(sample.step)\n\(sample.prompt)\(sample.text)")
        case .finished(let outcome):
            var text = "stopped: \(Self.describe(outcome.reason)) after \(outcome.steps) steps"
            if let best = outcome.bestValidationLoss {
                text += String(format: "; best validation loss %.4f (ppl %.2f)", best, Foundation.exp(best))
            }
            line(text)
            // Before any validation there is no best model yet, only the latest weights.
            if let folder = outcome.folder {
                line("model: " + ((try? Checkpoint.resolve(folder)) ?? "\(folder)/\(Checkpoint.modelFile)"))
            }
        }
    }

    /// A step count an epoch limit of "no limit" gives (a time-only run's): not worth printing.
    static func timeBound(_ plannedSteps: Int) -> Bool { plannedSteps >= TrainingOptions.unlimitedEpochs }

    static func describe(_ reason: TrainingOutcome.Reason) -> String {
        switch reason {
        case .completed: return "all epochs done"
        case .maxSteps: return "--max-steps reached"
        case .maxTime: return "--max-time reached"
        case .earlyStopping: return "validation stopped improving (--patience)"
        case .interrupted: return "interrupted"
        }
    }

    /// Prints a whole line to stderr, clearing the live line first.
    func line(_ text: String) { status.line(text) }
}

enum Format {
    /// 1234567 → "1,234,567".
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A rate such as tokens per second, rounded → "12,345"; "?" when no whole number holds it (a
    /// search log edited by hand may say anything).
    static func count(_ x: Double) -> String {
        guard x.magnitude < 1e18, let n = Int(exactly: x.rounded()) else { return "?" }
        return count(n)
    }

    /// Seconds → "1h02m", "3m05s", "42s" (`TimeSpan.text`, which never traps on a huge value).
    static func duration(_ seconds: Double) -> String { TimeSpan.text(seconds) }

    /// A short time in seconds: "0.4 s", "31 s" (a tenth below ten seconds, where it matters).
    static func seconds(_ s: Double) -> String { String(format: s < 10 ? "%.1f s" : "%.0f s", s) }

    /// A share: 0.05 → "5%", 0.125 → "12.5%", 1e-6 → "0.0001%".
    static func percent(_ share: Double) -> String {
        let value = share * 100
        return value == value.rounded() ? String(format: "%.0f%%", value) : String(format: "%g%%", value)
    }
}
