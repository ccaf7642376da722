import Foundation
import Quill

/// The live table of a search on stderr: a row per finished trial, a line per promotion, a
/// "training…" line while a trial runs (on a terminal), and at the end the top five and the
/// winner's command.
final class SearchTable {
    let search: HyperparameterSearch
    let quiet: Bool
    private let status: StatusLine

    init(search: HyperparameterSearch, quiet: Bool) {
        self.search = search
        self.quiet = quiet
        status = StatusLine(quiet: quiet)
    }

    /// Column widths: text is right-aligned in each, except the optimizer's and the status.
    static let columns: [(title: String, width: Int)] = [
        ("trial", 5), ("rung", 4), ("lr", 8), ("hidden", 6), ("L", 2), ("embed", 5), ("tie", 3), ("attn", 5), ("drop", 5), ("wdrop", 5), ("edrop", 5),
        ("lock", 4), ("seq", 4), ("batch", 5), ("opt", -7), ("steps", 7), ("val loss", 8), ("tok/s", 7), ("status", 0),
    ]

    static func format(_ cells: [String]) -> String {
        zip(columns, cells).map { column, cell in
            let padding = String(repeating: " ", count: max(0, abs(column.width) - cell.count))
            return column.width < 0 ? cell + padding : padding + cell
        }.joined(separator: " ")
    }

    static let header = format(columns.map(\.title))

    static func row(_ t: SearchTrial, best: Bool = false) -> String {
        let p = t.parameters
        let loss = t.validationLoss.map { String(format: "%.4f", $0) } ?? "-"
        let status: String
        switch t.status {
        case .failed(let message): status = "failed: " + message
        case .pending: status = "running"
        case .completed: status = best ? "best so far" : "done"
        }
        let vocabulary = p.vocabularySize.map { ", vocab \($0)" } ?? ""
        return format(["\(t.id)", "\(t.rung)", String(format: "%.3g", p.learningRate), "\(p.hiddenSize)", "\(p.layers)",
                       "\(p.embeddingSize)", p.tieWeights ? "yes" : "no",
                       p.attentionMemory.map { "\($0)" } ?? "-", String(format: "%.2f", p.dropout), String(format: "%.2f", p.weightDrop),
                       String(format: "%.2f", p.embeddingDropout), p.lockedDropout ? "yes" : "no", "\(p.sequenceLength)",
                       "\(p.batchSize)", p.optimizer.rawValue, "\(t.steps)", loss, Format.count(t.tokensPerSecond), status + vocabulary])
    }

    func handle(_ event: HyperparameterSearch.Event) {
        switch event {
        case .planned(let plan, let done):
            let rungs = plan.trials.indices.map { k in
                let each = plan.steps.map { "\($0[k]) steps" } ?? Format.duration(plan.seconds[k])
                return "\(plan.trials[k]) × \(each)"
            }
            line("search: \(Format.duration(search.settings.budget)) budget, rungs \(rungs.joined(separator: ", ")), eta \(plan.eta), seed \(search.settings.seed); log \(search.settings.folder)/search.jsonl")
            if search.settings.space.vocabularySizes != nil {
                line("vocab_size is searched: val loss is in nats per character of the validation text, so sizes compare")
            }
            line(Self.header)
            for trial in done { line(Self.row(trial) + " (earlier session)") }
        case .trialStarted(let t, let seconds):
            let limit = search.plan.steps.map { "\($0[t.rung]) steps" } ?? Format.duration(seconds)
            status.draw("trial \(t.id), rung \(t.rung): training for \(limit)…")
        case .trialFinished(let t, let best):
            line(Self.row(t, best: best))
        case .promoted(let rung, let ids):
            var text = "rung \(rung) done: \(ids.isEmpty ? "no trial completed" : "trials \(ids.map(String.init).joined(separator: ", ")) go on")"
            if !ids.isEmpty, rung + 2 == search.plan.trials.count, let b = search.baselineID, !ids.contains(b) {
                text += ", with trial \(b) (the defaults) as the baseline"
            }
            line(text)
        case .shortened(let rung, let seconds):
            line("rung \(rung): \(Format.duration(seconds)) a trial instead of \(Format.duration(search.plan.seconds[rung])), as setup and validation took longer than planned")
        }
    }

    func finish(_ outcome: HyperparameterSearch.Outcome) {
        // One row per configuration, at the furthest rung it reached: further first, then by loss.
        let completed = outcome.trials.compactMap { t in t.validationLoss.map { (loss: $0, trial: t) } }
        let furthest = Dictionary(grouping: completed, by: \.trial.id).compactMap { $0.value.max { $0.trial.rung < $1.trial.rung } }
        let ranked = furthest.sorted { (-$0.trial.rung, $0.loss, $0.trial.id) < (-$1.trial.rung, $1.loss, $1.trial.id) }.map(\.trial)
        line(String(format: "search used %@ of %@; %d trials, %d failed", Format.duration(outcome.seconds) as NSString,
                    Format.duration(search.settings.budget) as NSString, outcome.trials.count,
                    outcome.trials.count - completed.count))
        guard let best = outcome.best, let bestLoss = best.validationLoss else {
            line("no trial completed")
            return
        }
        line("top \(min(5, ranked.count)):")
        line(Self.header)
        for t in ranked.prefix(5) { line(Self.row(t)) }
        line(String(format: "best: trial %d (rung %d), validation loss %.4f; checkpoint %@/%@", best.id, best.rung,
                    bestLoss, search.settings.folder, HyperparameterSearch.bestFolder))
        let trained = training(best)
        line("train it (it was validated after \(trained) of training; add --max-time or --epochs, and --out):")
        line("  " + SearchCommand.command(best.parameters, search: search))
        if let baseline = outcome.baseline, let loss = baseline.validationLoss {
            let yardstick = training(baseline)
            let what = search.settings.baseline == .recipe && search.plan.steps == nil
                ? "the defaults of quill train --max-time \(yardstick)" : "the baseline"
            // The two train equally long unless the budget ran out between them; then both times are given.
            let asLong = yardstick == trained ? "trained as long" : "trained for \(yardstick) (the winner \(trained))"
            line(baseline == best
                 ? String(format: "the winner is %@ (trial %d)", what, baseline.id)
                 : String(format: "%@ (trial %d), %@: %.4f; the winner is %.4f lower", what, baseline.id, asLong, loss, loss - bestLoss))
        }
    }

    /// How long `trial` trained: its steps when the rungs count steps, else its time (the plan's
    /// for a log that did not record it).
    func training(_ trial: SearchTrial) -> String {
        search.plan.steps.map { "\($0[trial.rung]) steps" } ?? Format.duration(trial.trainingSeconds ?? search.plan.seconds[trial.rung])
    }

    func line(_ text: String) { status.line(text) }
}
