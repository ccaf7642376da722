import Foundation

/// One validation during training: the row of `metrics.csv` and of the checkpoint's history.
public struct TrainingRecord: Codable, Equatable, Sendable {
    public var step: Int
    /// Fractional epoch (2.5 = halfway through the third pass).
    public var epoch: Double
    /// Mean training loss (nats per token) since the previous record.
    public var trainLoss: Double
    public var validationLoss: Double
    public var learningRate: Double
    public var tokensPerSecond: Double
    /// Training seconds since the run began (summed over resumed sessions).
    public var seconds: Double

    public var validationPerplexity: Double { validationLoss.isFinite ? Foundation.exp(validationLoss) : .infinity }

    public init(step: Int, epoch: Double, trainLoss: Double, validationLoss: Double, learningRate: Double,
                tokensPerSecond: Double, seconds: Double) {
        self.step = step
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.learningRate = learningRate
        self.tokensPerSecond = tokensPerSecond
        self.seconds = seconds
    }
}

