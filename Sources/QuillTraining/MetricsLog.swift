import Foundation
import QuillCheckpoint
import QuillCore

/// The human-readable records of a run: `metrics.csv` (a row per training-loss point and per
/// validation) and `loss.svg` (the chart of both, with the learning rate), rewritten whole after
/// each validation.
package enum MetricsLog {
    /// The CSV of every validation in a run folder.
    public static let csvFile = "metrics.csv"
    /// The loss chart in a run folder.
    public static let plotFile = "loss.svg"

    /// The run as CSV in step order: `train` rows (the curve's points: mean training loss since the
    /// previous point) and `validation` rows (training loss since the previous validation, and the
    /// validation's loss and perplexity). A column a row lacks is empty.
    public static func csv(_ history: [TrainingRecord], curve: [TrainingCurve.Point] = []) -> String {
        var rows: [(step: Int, order: Int, line: String)] = []
        for p in curve {
            rows.append((p.step, 0, String(format: "train,%d,%.4f,%.6f,,,%.6g,,%.1f", p.step, p.epoch, p.loss, p.learningRate, p.seconds)))
        }
        for r in history {
            rows.append((r.step, 1, String(format: "validation,%d,%.4f,%.6f,%.6f,%.4f,%.6g,%.1f,%.1f", r.step, r.epoch, r.trainLoss,
                                           r.validationLoss, r.validationPerplexity, r.learningRate, r.tokensPerSecond, r.seconds)))
        }
        rows.sort { ($0.step, $0.order) < ($1.step, $1.order) }
        return (["kind,step,epoch,train_loss,val_loss,val_ppl,lr,tokens_per_s,seconds"] + rows.map(\.line)).joined(separator: "\n") + "\n"
    }

    /// Writes the CSV and the chart into `folder`, atomically.
    public static func write(_ history: [TrainingRecord], curve: [TrainingCurve.Point] = [], folder: String) throws {
        try AtomicFile.write(csv(history, curve: curve), to: folder + "/" + csvFile)
        try AtomicFile.write(LossPlot.svg(history, curve: curve), to: folder + "/" + plotFile)
    }
}
