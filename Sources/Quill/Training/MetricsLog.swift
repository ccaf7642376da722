import Foundation

/// The human-readable records of a run: `metrics.csv` (one row per validation) and `loss.svg`
/// (training and validation loss against steps), rewritten whole after each validation.
public enum MetricsLog {
    /// The CSV of every validation in a run folder.
    public static let csvFile = "metrics.csv"
    /// The loss chart in a run folder.
    public static let plotFile = "loss.svg"

    /// The history as CSV, one row per validation.
    public static func csv(_ history: [TrainingRecord]) -> String {
        var lines = ["step,epoch,train_loss,val_loss,val_ppl,lr,tokens_per_s,seconds"]
        for r in history {
            lines.append(String(format: "%d,%.4f,%.6f,%.6f,%.4f,%.6g,%.1f,%.1f", r.step, r.epoch, r.trainLoss,
                                r.validationLoss, r.validationPerplexity, r.learningRate, r.tokensPerSecond, r.seconds))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the CSV and the chart into `folder`, atomically.
    public static func write(_ history: [TrainingRecord], folder: String) throws {
        try AtomicFile.write(csv(history), to: folder + "/" + csvFile)
        try AtomicFile.write(LossPlot.svg(history), to: folder + "/" + plotFile)
    }
}
