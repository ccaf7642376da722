import Foundation
import Quill

/// The live table of a search on stderr: a row per finished trial, a line per promotion, a
/// "training…" line while a trial runs (on a terminal), and at the end the top five and the
/// winner's command.
final class SearchTable {
    let search: HyperparameterSearch
    let quiet: Bool
    private let terminal = isatty(STDERR_FILENO) == 1
    private var liveLineShown = false

    init(search: HyperparameterSearch, quiet: Bool) {
        self.search = search
        self.quiet = quiet
    }

    static let header = String(format: "%5@ %4@ %8@ %6@ %2@ %5@ %5@ %5@ %5@ %4@ %4@ %5@ %-7@ %7@ %8@ %7@  %@",
                               "trial", "rung", "lr", "hidden", "L", "embed", "drop", "wdrop", "edrop", "lock", "seq", "batch",
                               "opt", "steps", "val loss", "tok/s", "status")

    static func row(_ t: SearchTrial, best: Bool = false) -> String {
        let p = t.parameters
        let loss = t.validationLoss.map { String(format: "%.4f", $0) } ?? "-"
        let status = t.status == .failed ? "failed: " + (t.message ?? "") : (best ? "best so far" : "done")
        return String(format: "%5d %4d %8.3g %6d %2d %5d %5.2f %5.2f %5.2f %4@ %4d %5d %-7@ %7d %8@ %7@  %@",
                      t.id, t.rung, p.learningRate, p.hiddenSize, p.layers, p.embeddingSize, p.dropout, p.weightDrop,
                      p.embeddingDropout, p.lockedDropout ? "yes" : "no", p.sequenceLength, p.batchSize,
                      p.optimizer.rawValue, t.steps, loss, Format.count(Int(t.tokensPerSecond)), status)
    }

    func handle(_ event: HyperparameterSearch.Event) {
        switch event {
        case .planned(let plan, let done):
            let rungs = plan.trials.indices.map { k in
                let each = plan.steps.map { "\($0[k]) steps" } ?? Format.duration(plan.seconds[k])
                return "\(plan.trials[k]) × \(each)"
            }
            line("search: \(Format.duration(search.settings.budget)) budget, rungs \(rungs.joined(separator: ", ")), eta \(plan.eta), seed \(search.settings.seed); log \(search.settings.folder)/search.jsonl")
            line(Self.header)
            for trial in done { line(Self.row(trial) + " (earlier session)") }
        case .trialStarted(let t, let seconds):
            guard terminal && !quiet else { return }
            let limit = search.plan.steps.map { "\($0[t.rung]) steps" } ?? Format.duration(seconds)
            FileHandle.standardError.write(Data("\r\u{1B}[Ktrial \(t.id), rung \(t.rung): training for \(limit)…".utf8))
            liveLineShown = true
        case .trialFinished(let t, let best):
            line(Self.row(t, best: best))
        case .promoted(let rung, let ids):
            line("rung \(rung) done: \(ids.isEmpty ? "no trial completed" : "trials \(ids.map(String.init).joined(separator: ", ")) go on")")
        }
    }

    func finish(_ outcome: HyperparameterSearch.Outcome) {
        let ranked = outcome.trials.filter { $0.status == .completed }
            .sorted { ($0.validationLoss!, $0.id) < ($1.validationLoss!, $1.id) }
        line(String(format: "search used %@ of %@; %d trials, %d failed", Format.duration(outcome.seconds) as NSString,
                    Format.duration(search.settings.budget) as NSString, outcome.trials.count,
                    outcome.trials.filter { $0.status == .failed }.count))
        guard let best = outcome.best else {
            line("no trial completed")
            return
        }
        line("top \(min(5, ranked.count)):")
        line(Self.header)
        for t in ranked.prefix(5) { line(Self.row(t)) }
        line(String(format: "best: trial %d (rung %d), validation loss %.4f; checkpoint %@/%@", best.id, best.rung,
                    best.validationLoss!, search.settings.folder, HyperparameterSearch.bestFolder))
        line("train it (add --max-time or --epochs, and --out):")
        line("  " + SearchCommand.command(best.parameters, settings: search.settings))
    }

    func line(_ text: String) {
        guard !quiet else { return }
        if liveLineShown {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            liveLineShown = false
        }
        StandardError.write(text)
    }
}
